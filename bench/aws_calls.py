"""Every AWS request the code under test makes, counted with botocore event hooks.

`before-call` fires once per API operation a client sends (a retried HTTP attempt is not a new
call; an `UnprocessedItems` re-send by boto3's batch writer is). The hooks are registered
in `botocore.handlers.BUILTIN_HANDLERS`, so every botocore session created afterwards carries
them — the same way moto installs its own stub — and count only while a `Recorder` is active.

DynamoDB capacity is computed from the item sizes by DynamoDB's published rules, not taken
from moto: moto's `ConsumedCapacity` is a constant per call (1.0 or 0.5 whatever the size,
nothing at all for BatchWriteItem), so it cannot show what a bulk costs.

- write: 1 WCU per started 1 KB of the item written (PutItem, BatchWriteItem puts, UpdateItem:
  the item after the update, DeleteItem: the item deleted), at least 1; ×2 in a transaction;
  a failed condition check still consumes the write.
- read: 1 RCU per started 4 KB of each item read strongly consistent (0.5 eventually),
  at least one unit per key even when the item does not exist; a Query sums the sizes of the
  items it returns before rounding up; ×2 in a transaction.
- SQS: one billed request per started 64 KB of payload of each request.
"""

import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.handlers

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
SQS_CHUNK_BYTES = 64 * 1024
ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    resource: str  # table name, queue or topic (the first one of a multi-table batch)
    write_units: float = 0.0
    read_units: float = 0.0
    billed_requests: int = 1  # SQS: 64 KB chunks of the payload
    written_keys: tuple[str, ...] = ()  # DynamoDB: the partition keys the call writes


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    region: str = "us-east-1"

    @property
    def requests(self) -> int:
        return len(self.calls)

    def by_operation(self) -> dict[str, int]:
        return dict(Counter(f"{call.service}.{call.operation}" for call in self.calls).most_common())

    def writing(self, key_prefix: str) -> list[Call]:
        """The calls that write an item whose partition key starts with `key_prefix`."""
        return [call for call in self.calls if any(key.startswith(key_prefix) for key in call.written_keys)]

    def to(self, service: str, resource_contains: str = "", operation: str = "") -> list[Call]:
        return [
            call
            for call in self.calls
            if call.service == service
            and resource_contains in call.resource
            and (not operation or call.operation == operation)
        ]

    @property
    def write_units(self) -> float:
        return sum(call.write_units for call in self.calls)

    @property
    def read_units(self) -> float:
        return sum(call.read_units for call in self.calls)

    @property
    def sqs_billed_requests(self) -> int:
        return sum(call.billed_requests for call in self.calls if call.service == "sqs")


_state = threading.local()
_active: list[Recorder] = []
_lock = threading.Lock()


@contextmanager
def recording() -> Iterator[Recorder]:
    """Count every AWS call made (in any thread) while the block runs."""
    install()
    recorder = Recorder()
    with _lock:
        _active.append(recorder)
    try:
        yield recorder
    finally:
        with _lock:
            _active.remove(recorder)


def install() -> None:
    """Register the hooks for every botocore session created from now on (idempotent).

    Sessions created before are not hooked: forget cached clients after installing
    (`smsgate.dal.clients.reset()`)."""
    for entry in _HOOKS:
        if entry not in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.append(entry)


def _before_call(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if not _active:
        return
    body = params.get("body") or b""
    try:
        context["bench_request"] = json.loads(body) if body else {}
    except (ValueError, UnicodeDecodeError):
        context["bench_request"] = {}  # query protocol (SNS): the operation is what we count


def _after_call(http_response: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
    if not _active or "bench_request" not in context:
        return
    request: dict[str, Any] = context.pop("bench_request")
    service = model.service_model.endpoint_prefix
    operation = model.name
    try:
        response = json.loads(http_response.content or b"{}")
    except ValueError:
        response = {}
    if service == "dynamodb":
        call = _dynamodb_call(operation, request, response)
    elif service == "sqs":
        call = _sqs_call(operation, request)
    else:
        call = Call(service, operation, "")
    with _lock:
        for recorder in _active:
            recorder.calls.append(call)


_HOOKS: list[tuple[str, Callable[..., None]]] = [("before-call", _before_call), ("after-call", _after_call)]


# ------------------------------------------------------------------ DynamoDB item sizes


_SCALAR_SIZES: dict[str, Callable[[Any], int]] = {
    "S": lambda data: len(str(data).encode("utf-8")),
    # A number takes about one byte per two significant digits, plus one.
    "N": lambda data: math.ceil(len(str(data).lstrip("-").replace(".", "").strip("0") or "0") / 2) + 1,
    "B": lambda data: len(str(data)) * 3 // 4,  # base64 on the wire
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
}


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB's wire format, by DynamoDB's sizing rules."""
    (kind, data), *_ = value.items()
    if kind in _SCALAR_SIZES:
        return _SCALAR_SIZES[kind](data)
    if kind in ("SS", "NS", "BS"):
        return sum(_SCALAR_SIZES[kind[0]](element) for element in data)
    if kind == "L":
        return 3 + sum(1 + attribute_size(element) for element in data)
    if kind == "M":
        return 3 + sum(
            1 + len(name.encode("utf-8")) + attribute_size(element) for name, element in data.items()
        )
    return 0


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + attribute_size(value) for name, value in item.items())


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / WRITE_UNIT_BYTES)))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units if consistent else units / 2)


def _stored_item(table: str, key: dict[str, Any]) -> dict[str, Any]:
    """The item as moto holds it now (read from its backend, not through botocore: not a call)."""
    from moto.dynamodb.models import dynamodb_backends

    try:
        found = dynamodb_backends[ACCOUNT]["us-east-1"].get_item(table, key)
    except Exception:
        return {}  # a missing table or key: nothing stored
    attributes: dict[str, Any] = found.to_json()["Attributes"] if found is not None else {}
    return attributes


Units = tuple[str, float, float]  # (tables, write units, read units)


def _put(request: dict[str, Any], _: dict[str, Any]) -> Units:
    return request["TableName"], write_units(item_size(request["Item"])), 0.0


def _update(request: dict[str, Any], _: dict[str, Any]) -> Units:
    stored = _stored_item(request["TableName"], request["Key"])
    return request["TableName"], write_units(item_size(stored or request["Key"])), 0.0


def _delete(request: dict[str, Any], response: dict[str, Any]) -> Units:
    return request["TableName"], write_units(item_size(response.get("Attributes") or request["Key"])), 0.0


def _get(request: dict[str, Any], response: dict[str, Any]) -> Units:
    size = item_size(response.get("Item") or {})
    return request["TableName"], 0.0, read_units(size, bool(request.get("ConsistentRead")))


def _query(request: dict[str, Any], response: dict[str, Any]) -> Units:
    size = sum(item_size(item) for item in response.get("Items", []))
    return request["TableName"], 0.0, read_units(size, bool(request.get("ConsistentRead")))


def _batch_write(request: dict[str, Any], response: dict[str, Any]) -> Units:
    units = 0.0
    unprocessed = response.get("UnprocessedItems") or {}
    for name, writes in request.get("RequestItems", {}).items():
        for write in writes[: len(writes) - len(unprocessed.get(name, []))]:
            item = write.get("PutRequest", {}).get("Item") or write.get("DeleteRequest", {}).get("Key", {})
            units += write_units(item_size(item))
    return ",".join(request.get("RequestItems", {})), units, 0.0


def _batch_get(request: dict[str, Any], response: dict[str, Any]) -> Units:
    units = 0.0
    unprocessed = response.get("UnprocessedKeys") or {}
    for name, asked in request.get("RequestItems", {}).items():
        found = response.get("Responses", {}).get(name, [])
        strong = bool(asked.get("ConsistentRead"))
        units += sum(read_units(item_size(item), strong) for item in found)
        # A key with no item still costs the minimum read.
        missing = len(asked.get("Keys", [])) - len(found) - len(unprocessed.get(name, {}).get("Keys", []))
        units += max(0, missing) * read_units(0, strong)
    return ",".join(request.get("RequestItems", {})), 0.0, units


def _transact_write(request: dict[str, Any], _: dict[str, Any]) -> Units:
    units = 0.0
    tables: list[str] = []
    for action in request.get("TransactItems", []):
        (kind, detail), *_ = action.items()
        tables.append(detail.get("TableName", ""))
        if kind == "Put":
            item = detail["Item"]
        elif kind == "Update":
            item = _stored_item(detail["TableName"], detail["Key"])
        else:
            item = detail.get("Key", {})
        units += 2 * write_units(item_size(item))
    return ",".join(dict.fromkeys(tables)), units, 0.0


def _transact_get(_: dict[str, Any], response: dict[str, Any]) -> Units:
    found = response.get("Responses", [])
    return "", 0.0, sum(2 * read_units(item_size(each.get("Item") or {}), True) for each in found)


_DYNAMODB_UNITS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Units]] = {
    "PutItem": _put,
    "UpdateItem": _update,
    "DeleteItem": _delete,
    "GetItem": _get,
    "Query": _query,
    "BatchWriteItem": _batch_write,
    "BatchGetItem": _batch_get,
    "TransactWriteItems": _transact_write,
    "TransactGetItems": _transact_get,
}


def _dynamodb_call(operation: str, request: dict[str, Any], response: dict[str, Any]) -> Call:
    units = _DYNAMODB_UNITS.get(operation)
    if units is None:
        return Call("dynamodb", operation, str(request.get("TableName", "")))
    tables, writes, reads = units(request, response)
    return Call(
        "dynamodb",
        operation,
        tables,
        write_units=writes,
        read_units=reads,
        written_keys=_written_keys(operation, request),
    )


_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


def _written_keys(operation: str, request: dict[str, Any]) -> tuple[str, ...]:
    """The string partition keys (`pk`) a write request names, transactions and batches included."""
    if operation not in _WRITES:
        return ()
    writes: list[dict[str, Any]] = [request]
    writes += [detail for action in request.get("TransactItems", []) for detail in action.values()]
    writes += [
        detail
        for each in request.get("RequestItems", {}).values()
        if isinstance(each, list)
        for write in each
        for detail in write.values()
    ]
    keys = [(write.get("Key") or write.get("Item") or {}).get("pk", {}).get("S") for write in writes]
    return tuple(key for key in keys if isinstance(key, str))


def _sqs_call(operation: str, request: dict[str, Any]) -> Call:
    queue = str(request.get("QueueUrl", "")).rsplit("/", 1)[-1]
    if operation == "SendMessageBatch":
        payload = sum(
            len(str(entry.get("MessageBody", "")).encode("utf-8")) for entry in request.get("Entries", [])
        )
    else:
        payload = len(str(request.get("MessageBody", "")).encode("utf-8"))
    return Call("sqs", operation, queue, billed_requests=max(1, math.ceil(payload / SQS_CHUNK_BYTES)))
