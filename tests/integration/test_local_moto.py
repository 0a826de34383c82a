"""The local stack's moto server (local_stack/moto_server.py, docs/local-stack.md): what it keeps
between requests, parsed expressions and open connections, changes no answer.

Each scenario runs twice against the same server, once with the parses kept and once with moto
parsing every time (its own parser, put back for the run), on tables of their own: the items and
the errors must be the same.
"""

import http.client
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.parsing.validators import UpdateExpressionValidator

from local_stack.moto_server import start_moto_server
from tests.e2e.conftest import free_port

Outcome = dict[str, Any] | str


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = start_moto_server("127.0.0.1", free_port())
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        yield url
    finally:
        requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
        server.stop()


@pytest.fixture
def dynamodb(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def new_table(dynamodb: Any, key: str = "pk", name: str = "") -> str:
    """A new table whose hash key is the string `key`."""
    name = name or f"kept-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def each_time(parser: Any) -> Any:
    """moto's own parse, the one the kept parse wraps."""
    return parser.__wrapped__


def parsed_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(UpdateExpressionParser, "make", classmethod(each_time(UpdateExpressionParser.make)))
    monkeypatch.setattr(ConditionExpressionParser, "parse", each_time(ConditionExpressionParser.parse))
    monkeypatch.setattr(UpdateExpressionValidator, "__init__", each_time(UpdateExpressionValidator.__init__))
    monkeypatch.setattr(UpdateExpressionValidator, "validate", each_time(UpdateExpressionValidator.validate))


def both_ways(
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
    scenario: Callable[[Any, str], list[Outcome]],
) -> tuple[list[Outcome], list[Outcome]]:
    """The scenario's outcomes with the parses and checks kept (run twice: the second run meets
    only kept ones), then with moto parsing and checking every time."""
    kept = scenario(dynamodb, new_table(dynamodb))
    kept_again = scenario(dynamodb, new_table(dynamodb))
    assert kept_again == kept
    with monkeypatch.context() as patch:
        parsed_each_time(patch)
        assert not getattr(UpdateExpressionParser.make, "kept", False)
        assert not getattr(ConditionExpressionParser.parse, "kept", False)
        assert not getattr(UpdateExpressionValidator.validate, "kept", False)
        fresh = scenario(dynamodb, new_table(dynamodb))
    return kept, fresh


def update(dynamodb: Any, table: str, key: str, **request: Any) -> Outcome:
    """The item after the update, or the error's code and message."""
    try:
        answer = dynamodb.update_item(
            TableName=table, Key={"pk": {"S": key}}, ReturnValues="ALL_NEW", **request
        )
    except ClientError as error:
        return f"{error.response['Error']['Code']}: {error.response['Error']['Message']}"
    attributes: dict[str, Any] = answer["Attributes"]
    return attributes


def counter_reservations(dynamodb: Any, table: str) -> list[Outcome]:
    """One update expression and one condition, repeated with different values and keys: the
    daily counter's reservation (smsgate.dal.counters)."""
    reserve = {
        "UpdateExpression": "ADD used :n SET expires_at = if_not_exists(expires_at, :ttl)",
        "ConditionExpression": "attribute_not_exists(used) OR used <= :cap",
    }
    outcomes: list[Outcome] = []
    for key, wanted, cap in [("a", 1, 4), ("a", 2, 3), ("b", 5, 5), ("a", 2, 2), ("a", 1, 3), ("b", 1, 0)]:
        values = {":n": {"N": str(wanted)}, ":cap": {"N": str(cap)}, ":ttl": {"N": str(100 + wanted)}}
        outcomes.append(update(dynamodb, table, key, ExpressionAttributeValues=values, **reserve))
    return outcomes


def differing_expressions(dynamodb: Any, table: str) -> list[Outcome]:
    """The same text with other names, then other texts on the same item."""
    value = {":v": {"S": "one"}, ":w": {"S": "two"}}
    return [
        update(dynamodb, table, "k", UpdateExpression="SET #f = :v", ExpressionAttributeNames={"#f": "x"},
               ExpressionAttributeValues={":v": value[":v"]}),
        update(dynamodb, table, "k", UpdateExpression="SET #f = :v", ExpressionAttributeNames={"#f": "y"},
               ExpressionAttributeValues={":v": value[":w"]}),
        update(dynamodb, table, "k", UpdateExpression="SET x = :v, z = :w", ExpressionAttributeValues=value),
        update(dynamodb, table, "k", UpdateExpression="REMOVE y"),
        update(dynamodb, table, "k", UpdateExpression="ADD tags :t",
               ExpressionAttributeValues={":t": {"SS": ["p", "q"]}}),
        update(dynamodb, table, "k", UpdateExpression="ADD tags :t",
               ExpressionAttributeValues={":t": {"SS": ["r"]}}),
        update(dynamodb, table, "k", UpdateExpression="SET x = :v", ConditionExpression="x = :w",
               ExpressionAttributeValues=value),
        update(dynamodb, table, "k", UpdateExpression="SET x = :v", ConditionExpression="x = :w",
               ExpressionAttributeValues={":v": value[":w"], ":w": value[":v"]}),
    ]  # fmt: skip


def refused_expressions(dynamodb: Any, table: str) -> list[Outcome]:
    """Expressions moto refuses, each asked twice, around one it accepts; and texts that passed
    every check once, then asked with names or on a table that make them refused."""
    value = {":v": {"S": "one"}, ":w": {"S": "two"}}
    asked: list[dict[str, Any]] = [
        {"UpdateExpression": "SET a = = :v", "ExpressionAttributeValues": value},  # does not parse
        {"UpdateExpression": "SET pk = :v", "ExpressionAttributeValues": {":v": value[":v"]}},  # the key
        {"UpdateExpression": "SET a = :v, a = :w", "ExpressionAttributeValues": value},  # one path twice
        {"UpdateExpression": "SET a = :v ADD b :w ADD c :w", "ExpressionAttributeValues": value},  # two ADDs
        {"UpdateExpression": "SET a = :v", "ExpressionAttributeValues": {}},  # a value missing
        {"UpdateExpression": "SET a = :v", "ExpressionAttributeValues": {":v": value[":v"]}},
    ]
    renamed: list[dict[str, Any]] = [
        {"UpdateExpression": "SET #k = :v", "ExpressionAttributeNames": {"#k": "a"}},
        {"UpdateExpression": "SET #k = :v", "ExpressionAttributeNames": {"#k": "pk"}},  # now the key
        {"UpdateExpression": "SET #x = :v, #y = :w", "ExpressionAttributeNames": {"#x": "a", "#y": "b"}},
        {"UpdateExpression": "SET #x = :v, #y = :w", "ExpressionAttributeNames": {"#x": "a", "#y": "a"}},
    ]
    outcomes = [update(dynamodb, table, "k", **request) for request in asked + asked]
    for request in renamed + renamed:
        used = {name: value[name] for name in (":v", ":w") if name in request["UpdateExpression"]}
        outcomes.append(update(dynamodb, table, "k", ExpressionAttributeValues=used, **request))
    # One text on tables of other keys: `a` is an attribute of this table, the key of the other.
    keyed_by_a = new_table(dynamodb, key="a", name=f"{table}-a")
    for name, key in [(table, {"pk": {"S": "k"}}), (keyed_by_a, {"a": {"S": "k"}})]:
        try:
            dynamodb.update_item(
                TableName=name,
                Key=key,
                UpdateExpression="SET a = :v",
                ExpressionAttributeValues={":v": value[":v"]},
            )
            outcomes.append("written")
        except ClientError as error:
            outcomes.append(f"{error.response['Error']['Code']}: {error.response['Error']['Message']}")
    return outcomes


def snowshoe_transactions(dynamodb: Any, table: str) -> list[Outcome]:
    """One transaction repeating an update expression over several items, as a body's fingerprint
    keys do (smsgate.dal.snowshoe), then one whose condition fails and rolls all of it back."""
    outcomes: list[Outcome] = []
    for sender, most in [("+15550001", 2), ("+15550002", 2), ("+15550003", 2)]:
        actions = [
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": f"fingerprint-{index}"}},
                    "UpdateExpression": "ADD #b0 :number SET expires_at = :ttl",
                    "ConditionExpression": (
                        "attribute_not_exists(#b0) OR contains(#b0, :sender) OR size(#b0) < :max"
                    ),
                    "ExpressionAttributeNames": {"#b0": "bucket"},
                    "ExpressionAttributeValues": {
                        ":number": {"SS": [sender]},
                        ":sender": {"S": sender},
                        ":max": {"N": str(most)},
                        ":ttl": {"N": "1000"},
                    },
                }
            }
            for index in range(3)
        ]
        try:
            dynamodb.transact_write_items(TransactItems=actions)
            outcomes.append("written")
        except ClientError as error:
            reasons = [reason["Code"] for reason in error.response.get("CancellationReasons", [])]
            outcomes.append(f"{error.response['Error']['Code']} {reasons}")
    items = dynamodb.scan(TableName=table)["Items"]
    outcomes += sorted((item for item in items), key=lambda item: json.dumps(item, sort_keys=True))
    return outcomes


@pytest.mark.parametrize(
    "scenario", [counter_reservations, differing_expressions, refused_expressions, snowshoe_transactions]
)
def test_kept_parses_give_the_answers_of_parsing_each_time(
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
    scenario: Callable[[Any, str], list[Outcome]],
) -> None:
    kept, fresh = both_ways(dynamodb, monkeypatch, scenario)
    assert kept == fresh


def test_the_scenarios_reach_refusals_and_writes(dynamodb: Any) -> None:
    """The comparison above is only worth what the scenarios exercise: conditions that hold and
    fail, parse errors and validation errors."""
    reservations = counter_reservations(dynamodb, new_table(dynamodb))
    assert [outcome if isinstance(outcome, str) else outcome["used"] for outcome in reservations] == [
        {"N": "1"},
        {"N": "3"},
        {"N": "5"},
        reservations[3],
        {"N": "4"},
        reservations[5],
    ]
    assert all(str(reservations[i]).startswith("ConditionalCheckFailedException") for i in (3, 5))
    refused = refused_expressions(dynamodb, new_table(dynamodb))
    assert [str(outcome).split(":")[0] for outcome in refused[:5]] == ["ValidationException"] * 5
    assert refused[5] == {"pk": {"S": "k"}, "a": {"S": "one"}}
    renamed = refused[12:16]
    assert [isinstance(outcome, dict) for outcome in renamed] == [True, False, True, False]
    again = refused[16:20]
    assert [isinstance(outcome, dict) for outcome in again] == [True, False, True, False]
    assert (again[1], again[3]) == (renamed[1], renamed[3])
    assert refused[20] == "written" and str(refused[21]).startswith("ValidationException")
    transactions = snowshoe_transactions(dynamodb, new_table(dynamodb))
    assert transactions[:2] == ["written", "written"]
    assert str(transactions[2]).startswith("TransactionCanceledException")


def test_a_repeated_expression_is_parsed_once() -> None:
    text = "ADD used :n SET expires_at = if_not_exists(expires_at, :ttl)"
    assert UpdateExpressionParser.make(text) is UpdateExpressionParser.make(text)
    assert UpdateExpressionParser.make(text) is not UpdateExpressionParser.make(text + " ")


# A DynamoDB ListTables as the SDK frames it (moto reads the service from the credential's scope).
LIST_TABLES = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0",
}


def _post_list_tables(connection: http.client.HTTPConnection) -> http.client.HTTPResponse:
    connection.request("POST", "/", body=b"{}", headers=LIST_TABLES)
    return connection.getresponse()


def test_a_connection_stays_open_for_the_next_request(endpoint: str) -> None:
    connection = http.client.HTTPConnection(endpoint.removeprefix("http://"), timeout=10)
    try:
        first = _post_list_tables(connection)
        assert first.status == 200 and "TableNames" in json.loads(first.read())
        assert first.getheader("Connection") is None and first.getheader("Content-Length")
        socket_used = connection.sock
        second = _post_list_tables(connection)
        assert second.status == 200 and "TableNames" in json.loads(second.read())
        assert connection.sock is socket_used and socket_used is not None
    finally:
        connection.close()


def test_a_body_the_service_does_not_read_is_not_read_as_the_next_request(endpoint: str) -> None:
    connection = http.client.HTTPConnection(endpoint.removeprefix("http://"), timeout=10)
    try:
        connection.request("POST", "/moto-api/reset", body=b"GET / HTTP/1.1\r\n\r\n" * 50)
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 200
        after = _post_list_tables(connection)
        assert after.status == 200 and "TableNames" in json.loads(after.read())
    finally:
        connection.close()


def test_a_chunked_request_is_answered_and_its_connection_closed(endpoint: str) -> None:
    connection = http.client.HTTPConnection(endpoint.removeprefix("http://"), timeout=10)
    try:
        connection.request("POST", "/", body=iter([b"{", b"}"]), headers=LIST_TABLES, encode_chunked=True)
        answer = connection.getresponse()
        assert answer.status == 200 and "TableNames" in json.loads(answer.read())
        assert answer.getheader("Connection") == "close"
    finally:
        connection.close()
