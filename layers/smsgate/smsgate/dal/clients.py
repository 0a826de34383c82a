"""AWS clients, created once per thread (Lambda runs one thread; the local stack runs several, and
boto3 resources must not be shared between threads)."""

import importlib
import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from smsgate.errors import StorageUnavailable

# Standard retry mode with a small budget: a throttled call is retried a few times, then the
# request is answered 503 rather than left hanging (docs/guarantees.md#nothing-lost-nothing-twice).
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
_local = threading.local()
_generation = 0
# The service models every session reads from disk, read once per process and shared by the
# threads' sessions (a Lambda has one thread; the local stack and the tests make many sessions).
_SERVICE_MODELS = botocore.loaders.create_loader()

# The tests prove each function's IAM role from the AWS calls it makes (README, "Permissions"):
# they set this variable, in the local stack's process too; a deployment never does.
if os.environ.get("SMSGATE_RECORD_AWS_CALLS"):
    importlib.import_module("tests.permissions.recorder").install(os.environ["SMSGATE_RECORD_AWS_CALLS"])


def session() -> boto3.session.Session:
    """A new boto3 session that reads the service models this process already read."""
    botocore_session = botocore.session.get_session()
    botocore_session.register_component("data_loader", _SERVICE_MODELS)
    return boto3.session.Session(botocore_session=botocore_session)


def _cache() -> dict[str, Any]:
    if getattr(_local, "generation", None) != _generation:
        _local.generation = _generation
        _local.cache = {}
    cache: dict[str, Any] = _local.cache
    return cache


def dynamodb() -> Any:
    cache = _cache()
    if "dynamodb" not in cache:
        cache["dynamodb"] = session().resource("dynamodb", config=_CONFIG)
    return cache["dynamodb"]


def table(name: str) -> Any:
    cache = _cache()
    key = f"table:{name}"
    if key not in cache:
        cache[key] = dynamodb().Table(name)
    return cache[key]


def client(service: str) -> Any:
    cache = _cache()
    if service not in cache:
        cache[service] = session().client(service, config=_CONFIG)  # type: ignore[call-overload]
    return cache[service]


def sqs() -> Any:
    return client("sqs")


def sns() -> Any:
    return client("sns")


def reset() -> None:
    """Forget every client in every thread (tests start a fresh moto backend per test)."""
    global _generation  # noqa: PLW0603 - one counter shared by every thread
    _generation += 1


def conditional_write(write: Callable[..., Any], **request: Any) -> bool:
    """One conditional PutItem, UpdateItem or DeleteItem (`write`: the table's method, with its
    request): True when written, False (nothing written) when its condition did not hold."""
    try:
        write(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


# Another transaction on the same items cancels ours with TransactionConflict: retried a few
# times with jittered exponential backoff (about 0.05, 0.1, 0.2… s), then raised.
TRANSACTION_ATTEMPTS = 6
TRANSACTION_BACKOFF_SECONDS = 0.025


def wait_after_conflict(attempt: int) -> None:
    """The jittered backoff before the `attempt`-th retry of a write that met a transaction."""
    time.sleep(random.uniform(0, TRANSACTION_BACKOFF_SECONDS * 2**attempt))


def met_transaction(exc: ClientError, attempt: int) -> bool:
    """Whether a single-item write failed only because a transaction held its item (DynamoDB
    answers TransactionConflictException, which the SDK does not retry) and may try again:
    waits the backoff and answers True for the first TRANSACTION_ATTEMPTS - 1 attempts."""
    if exc.response["Error"]["Code"] != "TransactionConflictException" or attempt >= TRANSACTION_ATTEMPTS:
        return False
    wait_after_conflict(attempt)
    return True


def write_transaction(items: list[dict[str, Any]]) -> bool:
    """TransactWriteItems of `items`: True when written, False (nothing written) when one of
    their conditions failed."""
    return not transaction_refusals(items)


def transaction_refusals(items: list[dict[str, Any]]) -> list[int]:
    """TransactWriteItems of `items`: [] when written, else (nothing written) the positions of
    the items whose condition failed. The one place a transaction is retried on conflict."""
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            dynamodb().meta.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [str(reason.get("Code")) for reason in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons:
                return [index for index, code in enumerate(reasons) if code == "ConditionalCheckFailed"]
            if "TransactionConflict" not in reasons or attempt == TRANSACTION_ATTEMPTS:
                raise
            wait_after_conflict(attempt)
        else:
            return []
    raise AssertionError("unreachable: the last attempt returns or raises")


# A key DynamoDB leaves unprocessed (throttling) is asked again after a jittered backoff.
_UNPROCESSED_ATTEMPTS = 8
_UNPROCESSED_BACKOFF_SECONDS = 0.05


def batch_get(
    keys: dict[str, list[dict[str, Any]]], consistent: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """The items of `keys` (table name -> keys), in one BatchGetItem when they number 100 at
    most (DynamoDB's limit per request); unprocessed keys are asked again with backoff. A missing
    item is simply absent from its table's list. `consistent=False` halves the read cost where a
    second-old item is good enough (the audit's counters, its listing of locations)."""
    unique = [
        (name, key)
        for name, each in keys.items()
        for key in {tuple(sorted(k.items())): k for k in each}.values()
    ]
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in keys}
    for start in range(0, len(unique), 100):
        request: dict[str, Any] = {}
        for name, key in unique[start : start + 100]:
            request.setdefault(name, {"Keys": [], "ConsistentRead": consistent})["Keys"].append(key)
        attempt = 0
        while request:
            response = dynamodb().batch_get_item(RequestItems=request)
            for name, items in response["Responses"].items():
                found[name].extend(items)
            request = response.get("UnprocessedKeys") or {}
            if request:
                attempt += 1
                if attempt == _UNPROCESSED_ATTEMPTS:
                    raise StorageUnavailable()
                time.sleep(random.uniform(0, _UNPROCESSED_BACKOFF_SECONDS * 2**attempt))
    return found
