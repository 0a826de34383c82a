"""moto's server, made to apply one request at a time.

DynamoDB applies each request atomically. moto's backends are not thread-safe: under racing
clients its threaded server has been seen to fail `transact_write_items` with 'dictionary changed
size during iteration', SQS `send_message_batch` with 'list.remove(x): x not in list', and to
let another request in between a condition and its update. Serialising the requests restores
per-request atomicity; the clients' requests still interleave freely, which is what a
read-modify-write would lose to.
"""

import copy
import json
import threading
from contextvars import ContextVar
from typing import Any, cast

from moto.server import ThreadedMotoServer


def start_moto_server(host: str, port: int) -> ThreadedMotoServer:
    """moto's server on `host:port`, started, handling one request at a time."""
    back_up_transactions_per_item()
    parse_conditions_once()
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    wsgi = server._server  # werkzeug's server, made by ThreadedMotoServer.start()
    if wsgi is None:
        raise RuntimeError("moto's server did not start")
    app, lock = wsgi.app, threading.Lock()

    def one_request_at_a_time(environ: Any, start_response: Any) -> Any:
        with lock:
            return app(environ, start_response)

    wsgi.app = one_request_at_a_time
    return server


_in_transaction: ContextVar[bool] = ContextVar("in_transaction", default=False)


def back_up_transactions_per_item() -> None:
    """moto rolls a failed TransactWriteItems back from a deep copy of every table it touches,
    taken before each transaction: O(table size) per transaction, so a local stack holding
    10,000 contacts spends a minute on each consent recorded. Here the transaction backs up the
    items it names instead, and restores them when it fails: the same all-or-nothing result at
    O(items) cost. Idempotent."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "backs_up_items", False):
        return
    whole_tables = DynamoDBBackend.transact_write_items

    def table_deepcopy(table: Table, memo: dict[int, Any]) -> Table:
        if _in_transaction.get():
            return table  # the items are backed up one by one: `transact_write_items` below
        copied = cast(Table, Table.__new__(Table))  # what copy.deepcopy does for a class without __deepcopy__
        memo[id(table)] = copied
        for name, value in vars(table).items():
            setattr(copied, name, copy.deepcopy(value, memo))
        return copied

    def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = [_backed_up(backend, operation) for item in transact_items for operation in item.values()]
        token = _in_transaction.set(True)
        try:
            whole_tables(backend, transact_items)
        except Exception:
            for backup in reversed([backup for backup in saved if backup is not None]):
                _restore(*backup)
            raise
        finally:
            _in_transaction.reset(token)

    transact_write_items.backs_up_items = True  # type: ignore[attr-defined]
    Table.__deepcopy__ = table_deepcopy  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign, assignment]


def _backed_up(backend: Any, operation: dict[str, Any]) -> tuple[Any, Any, Any, Any] | None:
    """(table, hash key, range key, a copy of the item or None) for one transaction operation."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = backend.tables.get(operation.get("TableName"))
    if table is None:
        return None
    key = operation.get("Key") or operation.get("Item") or {}
    if table.hash_key_attr not in key:
        return None
    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
    if table.has_range_key and range_key is None:
        return None
    return table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))


def _restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is not None:
        if item is None:
            table.items.get(hash_key, {}).pop(range_key, None)
        else:
            table.items[hash_key][range_key] = item
    elif item is None:
        table.items.pop(hash_key, None)
    else:
        table.items[hash_key] = item


def parse_json_templates_as_json() -> None:
    """moto parses every template body with PyYAML's pure-Python loader first (JSON is YAML),
    about half a second for ours; the local stack sends JSON, which `json` reads at once to the
    same document. YAML bodies still go to moto's own parser. Idempotent."""
    from moto.cloudformation.models import Stack

    yaml_first = Stack.parse_template
    if getattr(yaml_first, "json_first", False):
        return

    def parse_template(template: str) -> dict[str, Any]:
        try:
            document: dict[str, Any] = json.loads(template)
        except ValueError:
            return yaml_first(template)
        return document if isinstance(document, dict) else yaml_first(template)

    parse_template.json_first = True  # type: ignore[attr-defined]
    Stack.parse_template = staticmethod(parse_template)  # type: ignore[method-assign]


# How many parsed condition expressions `parse_conditions_once` keeps.
PARSED_CONDITIONS = 512


def parse_conditions_once() -> None:
    """moto parses a transaction's every condition expression three times (to validate the
    request, to check the condition, and again in the update it makes), about a third of its CPU
    for a conditional update. The parse is a pure function of the expression and its attribute
    names and values, and its tree is only evaluated afterwards, never changed: the same
    request parsed once gives the same tree, the same errors (an expression that fails to parse
    is not kept) and the same names and values found. The last PARSED_CONDITIONS are kept.
    Idempotent."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    parse_each_time = ConditionExpressionParser.parse
    if getattr(parse_each_time, "kept", False):
        return
    parsed: dict[str, tuple[Any, list[str], list[str]]] = {}

    def parse(parser: ConditionExpressionParser) -> Any:
        try:
            key = json.dumps(
                [
                    parser.condition_expression,
                    parser.expression_attribute_names,
                    parser.expression_attribute_values,
                ],
                sort_keys=True,
            )
        except (TypeError, ValueError):  # not JSON: parsed as moto would, not kept
            return parse_each_time(parser)
        if key not in parsed:
            tree = parse_each_time(parser)
            if len(parsed) >= PARSED_CONDITIONS:
                parsed.pop(next(iter(parsed)))
            parsed[key] = (tree, list(parser.expr_attr_names_found), list(parser.expr_attr_values_found))
        tree, names, values = parsed[key]
        parser.expr_attr_names_found = list(names)
        parser.expr_attr_values_found = list(values)
        return tree

    parse.kept = True  # type: ignore[attr-defined]
    ConditionExpressionParser.parse = parse  # type: ignore[method-assign, assignment]
