"""Fixtures for handler tests: real handlers, moto's AWS, events shaped as Lambda receives them."""

import copy
import io
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from local_stack.api_server import http_api_event
from local_stack.lambdas import Handler, LocalContext, load_handler
from local_stack.stack import LocalStack, Route, http_routes, load_template
from smsgate.dal import clients
from smsgate.errors import SmsgateError
from smsgate.models.entities import Location
from smsgate.models.location_requests import PutLocationRequest
from smsgate.models.vocabulary import RevocationMode
from smsgate.observability import logger
from smsgate.reasons import ReasonCode
from smsgate.services import locations as locations_service
from smsgate.services.dispatch import Dispatcher
from smsgate.settings import get_settings
from tests.moto_stack import create_stack_on_mock, use_stack_settings
from tests.registration_bodies import registration_steps

ROOT = Path(__file__).resolve().parents[2]
ROUTES = http_routes(load_template())

ApiCall = Callable[..., tuple[int, dict[str, Any], dict[str, str]]]


def route_for(method: str, path: str) -> tuple[Route, dict[str, str]]:
    for route in ROUTES:
        found = route.pattern.match(path)
        if found and route.method == method:
            return route, found.groupdict()
    raise AssertionError(f"template.yaml has no route for {method} {path}")


def call_api(
    handler: Handler,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: str | None = None,
    authorizer: dict[str, Any] | None = None,
    source_ip: str = "127.0.0.1",
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Call a send_gate `handler` as API Gateway would for `method path` (a query string
    included) with a JSON `body` (or the `raw` text), signed when `authorizer` is given:
    (status, JSON answer or {"text": …}, headers)."""
    route_path, _, query = path.partition("?")
    route, parameters = route_for(method, route_path)
    payload = raw if raw is not None else (json.dumps(body) if body is not None else "")
    event = http_api_event(
        method,
        route_path,
        query,
        {"content-type": "application/json"},
        payload.encode(),
        route,
        parameters,
        source_ip,
    )
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    result = handler(event, LocalContext(function_name="send_gate"))
    text = result.get("body") or "{}"
    return (
        result["statusCode"],
        json.loads(text) if text.startswith(("{", "[")) else {"text": text},
        result.get("headers") or {},
    )


# --- one stack for the integration tests, emptied before each test ------------------------------
#
# Creating the stack through moto's CloudFormation costs more than most tests; what a test
# changes in it is data: items, messages, subscriptions and queues of its own, and the
# parameters and secrets of services the stack does not hold. So consecutive integration tests
# share one stack on one moto mock, and each starts from it emptied (`SharedStack.empty`). The
# mock is stopped (all its data dropped) before any test that does not ask for the shared stack,
# which thus runs on moto as before; the infra tests keep a stack of their own per test.

# What the shared stack's backends hold that a test may change, and `SharedStack.empty` removes.
EMPTIED_SERVICES = ("dynamodb", "sqs", "sns")


class SharedStack:
    """The stack created once on a moto mock that stays on while consecutive tests use it."""

    def __init__(self) -> None:
        self._mock: Any = None
        self.created: LocalStack | None = None
        self._aws: dict[str, Any] = {}
        self._keys: dict[str, list[str]] = {}  # table → its key attributes
        self._queues: dict[str, str] = {}  # name → URL
        self._topics: set[str] = set()
        self._subscriptions: set[str] = set()
        self._services: set[str] = set()  # the moto services holding the stack
        self._models: dict[tuple[str, str], int] = {}

    def get(self) -> LocalStack:
        """The stack as just created: emptied, or created anew when it cannot be emptied."""
        if self.created is not None and not self.empty():
            self.close()
        if self.created is None:
            self._open()
        assert self.created is not None
        # Each test its own copy: a test changing `stack.environment` changes no other's.
        return copy.deepcopy(self.created)

    def _open(self) -> None:
        from moto import mock_aws
        from moto.core.base_backend import BackendDict

        self._mock = mock_aws()
        self._mock.start()
        try:
            self.created = create_stack_on_mock()
            session = clients.session()
            self._aws = {name: session.client(name) for name in EMPTIED_SERVICES}  # type: ignore[call-overload]
            dynamodb = self._aws["dynamodb"]
            self._keys = {
                table: [
                    key["AttributeName"]
                    for key in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
                ]
                for table in dynamodb.list_tables()["TableNames"]
            }
            self._queues = {
                url.rsplit("/", 1)[-1]: url for url in self._aws["sqs"].list_queues().get("QueueUrls", [])
            }
            self._topics = {topic["TopicArn"] for topic in self._aws["sns"].list_topics()["Topics"]}
            self._subscriptions = {
                subscription["SubscriptionArn"]
                for subscription in self._aws["sns"].list_subscriptions()["Subscriptions"]
            }
            self._services = {backends.service_name for backends in BackendDict._instances}  # type: ignore[misc]
            self._models = self._kept_models()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop the mock, dropping everything moto holds (as each test's own mock did)."""
        if self._mock is not None:
            self._mock.stop()
        self._mock = None
        self.created = None

    def _kept_models(self) -> dict[tuple[str, str], int]:
        """How many resources moto has made in each kept service other than the emptied ones."""
        from moto.core.base_backend import BackendDict
        from moto.core.model_instances import model_data

        modules = {
            backends.backend.__module__.split(".")[1]
            for backends in BackendDict._instances  # type: ignore[misc]
            if backends.service_name in self._services and backends.service_name not in EMPTIED_SERVICES
        }
        return {
            (module, name): len(getattr(model, "instances_tracked", ()))
            for module in modules
            for name, model in model_data[module].items()
        }

    def empty(self) -> bool:
        """Remove what the last test left; False when the stack is not as created (a test reset
        moto, or made a resource `empty` would not remove) and must be created anew. What is
        there is read from moto's models (a call each would cost more than most tests' own
        work); what is removed, through the API."""
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends
        from moto.sns.models import sns_backends
        from moto.sqs.models import sqs_backends

        dynamodb, sqs, sns = (self._aws[name] for name in EMPTIED_SERVICES)
        region = dynamodb.meta.region_name
        tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables
        queues = sqs_backends[DEFAULT_ACCOUNT_ID][region].queues
        topics = sns_backends[DEFAULT_ACCOUNT_ID][region]
        if not (
            set(self._keys) <= set(tables)
            and set(self._queues) <= set(queues)
            and self._topics <= set(topics.topics)
            and self._subscriptions <= set(topics.subscriptions)
            and self._kept_models() == self._models
        ):
            return False
        self._reset_other_services()
        for table in set(tables) - set(self._keys):
            dynamodb.delete_table(TableName=table)
        for table, keys in self._keys.items():
            if len(tables[table]):
                self._empty_table(table, keys)
        for name, queue in list(queues.items()):
            if name not in self._queues:
                sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
            elif (
                queue.approximate_number_of_messages
                or queue.approximate_number_of_messages_not_visible
                or queue.approximate_number_of_messages_delayed
            ):
                # moto refuses a second purge of a queue within 60 s, as SQS does; not this one's.
                with pytest.MonkeyPatch.context() as patch:
                    patch.setenv("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false")
                    sqs.purge_queue(QueueUrl=self._queues[name])
        for subscription in set(topics.subscriptions) - self._subscriptions:
            sns.unsubscribe(SubscriptionArn=subscription)
        for topic in set(topics.topics) - self._topics:
            sns.delete_topic(TopicArn=topic)
        return True

    def _empty_table(self, table: str, keys: list[str]) -> None:
        # A plain scan: moto parses a ProjectionExpression slower than it returns whole items.
        dynamodb = self._aws["dynamodb"]
        request: dict[str, Any] = {"TableName": table}
        while True:
            page = dynamodb.scan(**request)
            items = [{key: item[key] for key in keys} for item in page["Items"]]
            for start in range(0, len(items), 25):
                deletes = [{"DeleteRequest": {"Key": item}} for item in items[start : start + 25]]
                while deletes:
                    answer = dynamodb.batch_write_item(RequestItems={table: deletes})
                    deletes = answer.get("UnprocessedItems", {}).get(table, [])
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _reset_other_services(self) -> None:
        """Every moto service the stack does not hold (SSM, Secrets Manager, End User
        Messaging…) back to empty, as moto's own reset does it."""
        from moto.core.base_backend import BackendDict, backend_lock

        with backend_lock:
            for backends in list(BackendDict._instances):  # type: ignore[misc]
                if backends.service_name in self._services:
                    continue
                for account in backends.values():
                    account.reset()
                backends.clear()
                BackendDict._instances.remove(backends)  # type: ignore[misc]


_SHARED = SharedStack()


def _reset_process_state() -> None:
    """What the handlers' modules keep between invocations and a new Lambda instance would not
    have: the webhook secret's cached read (and its remembered failure), unflushed metrics."""
    from smsgate.observability import metrics
    from smsgate.services import carrier_webhooks

    metrics.clear_metrics()
    if "aws_lambda_powertools.utilities.parameters" in sys.modules:
        sys.modules["aws_lambda_powertools.utilities.parameters"].clear_caches()
    carrier_webhooks._token_failures.until.clear()


@pytest.fixture
def shared_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    """The integration tests' stack (see `SharedStack`), emptied, its settings read afresh."""
    created = _SHARED.get()
    use_stack_settings(monkeypatch, created)
    _reset_process_state()
    yield created
    get_settings.cache_clear()
    clients.reset()


@pytest.fixture
def stack(shared_stack: LocalStack) -> LocalStack:
    """An in-process moto backend holding the stack created from template.yaml, holding
    nothing a previous test wrote."""
    return shared_stack


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the shared stack's mock before a test that does not use it (and at the end)."""
    if nextitem is None or "shared_stack" not in getattr(nextitem, "fixturenames", ()):
        _SHARED.close()


@pytest.fixture
def send_gate(stack: Any) -> ApiCall:
    """Call the send_gate handler as API Gateway would for `method path` with a JSON body."""
    handler = load_handler(ROOT / "functions" / "send_gate", uuid.uuid4().hex)

    def call(
        method: str, path: str, body: Any = None, raw: str | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        return call_api(handler, method, path, body, raw=raw)

    return call


# --- the consumers' tests (docs/inbound.md, docs/receipts.md): a location, its number, a contact

LOCATION = "loc-dc-bakery"
LOCATION_NAME = "DC Bakery"
NUMBER = "+12025550188"  # the location's number in events/inbound_keyword and events/status_callback
# A contact outside the US, so that no 10DLC registration stands between a test and the DND check.
CONTACT = "+447911120143"

Invoke = Callable[..., dict[str, Any]]


@pytest.fixture
def handler(stack: Any) -> Callable[[str], Invoke]:
    """`handler("status_callback")`: a fresh instance of a function's handler (its own module, as
    one Lambda instance), called as `(event)` or `(event, context)`."""

    def load(function: str) -> Invoke:
        loaded = load_handler(ROOT / "functions" / function, f"{function}-{uuid.uuid4().hex[:8]}")

        def invoke(event: dict[str, Any], context: LocalContext | None = None) -> dict[str, Any]:
            return dict(loaded(event, context or LocalContext(function_name=function)))

        return invoke

    return load


@pytest.fixture
def dispatcher(stack: Any) -> Callable[..., Handler]:
    """`dispatcher(sleep)`: a fresh dispatcher instance whose retries and throttle sleep through
    `sleep` (by default no real time)."""

    def load(sleep: Callable[[float], None] = lambda _: None, instance: str = "dispatcher") -> Handler:
        loaded = load_handler(ROOT / "functions" / "dispatcher", f"{instance}-{uuid.uuid4().hex[:8]}")
        app: Any = sys.modules[loaded.__module__]
        app.dispatcher = Dispatcher.from_settings(get_settings(), app.clock, sleep=sleep)
        return loaded

    return load


@pytest.fixture
def location(stack: Any) -> Callable[..., Location]:
    """`location(...)`: saves a location through the locations service (default: LOCATION with NUMBER,
    created on 2023-01-01, past the ramp-up)."""

    def save(
        mode: RevocationMode | None = None,
        numbers: tuple[str, ...] = (NUMBER,),
        location_id: str = LOCATION,
        created_at: datetime | None = None,
    ) -> Location:
        request = PutLocationRequest(
            name=LOCATION_NAME,
            numbers=list(numbers),
            revocation_mode=mode,
            created_at=created_at or datetime(2023, 1, 1, tzinfo=UTC),
        )
        return locations_service.save_location(location_id, request, datetime.now(UTC), operator=True)[0]

    return save


def refusal_of(action: Callable[[], object]) -> ReasonCode | None:
    """The reason code `action` is refused with, None when it is not."""
    try:
        action()
    except SmsgateError as refusal:
        return refusal.code
    return None


def audit_counts(stack: Any, location_id: str = LOCATION) -> dict[str, int]:
    """A location's audit counters (the Counters table), summed over hours."""
    import boto3

    table: Any = boto3.resource("dynamodb").Table(stack.environment["COUNTERS_TABLE"])
    totals: dict[str, int] = {}
    for item in table.scan()["Items"]:
        if str(item["pk"]).startswith(f"AUDIT#{location_id}#"):
            for name, value in item.items():
                if name not in ("pk", "expires_at", "location_id"):
                    totals[name] = totals.get(name, 0) + int(value)
    return totals


def drain(queue_url: str, max_messages: int = 10_000) -> list[dict[str, Any]]:
    """Every message waiting on a queue (deleted as read)."""
    import boto3

    sqs = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    while len(found) < max_messages:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return found
        found += batch
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )
    return found


# --- 10DLC registration (docs/registration.md) --------------------------------------------------------


def register_10dlc(
    api: ApiCall, location_id: str, numbers: list[str], path: str = "standard"
) -> dict[str, Any]:
    """Submit and approve the location's brand and campaign with `numbers` assigned, over the
    API (the operator's decision routes): US destinations then pass row 4 of the gate."""
    base = f"/v1/locations/{location_id}"
    for path_, body in registration_steps(location_id, numbers, path):
        status, answer, _ = api("PUT", path_, body)
        assert status == 200, (path_, answer)
    status, location, _ = api("GET", base)
    assert status == 200, location
    return location


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the service logs (powertools' JSON lines), captured from its handler."""
    buffer = io.StringIO()
    handler: Any = logger.registered_handler
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)
