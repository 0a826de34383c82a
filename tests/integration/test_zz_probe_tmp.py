from datetime import datetime, UTC
def test_probe(stack):
    from smsgate.dal import clients, audit, events
    from smsgate.settings import get_settings
    s = get_settings()
    c = clients.dynamodb().meta.client
    ups = audit.count_updates("loc1", datetime.now(UTC), {"opt_outs": 1})
    c.transact_write_items(TransactItems=[{"Put": {"TableName": s.idempotency_table, "Item": {"id": "x"}, "ConditionExpression": "attribute_not_exists(id)"}}] + [{"Update": u} for u in ups])
    try:
        c.transact_write_items(TransactItems=[{"Put": {"TableName": s.idempotency_table, "Item": {"id": "x"}, "ConditionExpression": "attribute_not_exists(id)"}}] + [{"Update": u} for u in ups])
    except Exception as e:
        print(type(e).__name__, getattr(e, "response", {}).get("CancellationReasons"), e.response["Error"])
    print(clients.table(s.counters_table).scan()["Items"])
    print(stack.environment)
