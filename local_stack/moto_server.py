"""moto's server for the local stack: one request at a time, over connections kept open, with
what moto would redo on every request done once
(docs/local-stack.md#how-the-stack-is-built-from-the-template).

DynamoDB applies each request atomically. moto's backends are not thread-safe: under racing
clients its threaded server has been seen to fail `transact_write_items` with 'dictionary changed
size during iteration', SQS `send_message_batch` with 'list.remove(x): x not in list', and to
let another request in between a condition and its update. Serialising the requests restores
per-request atomicity; the clients' requests still interleave freely, which is what a
read-modify-write would lose to.
"""

import copy
import io
import json
import threading
import traceback
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, cast

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server


def start_moto_server(host: str, port: int) -> ThreadedMotoServer:
    """moto's server on `host:port`, started, handling one request at a time over connections
    that stay open."""
    back_up_transactions_per_item()
    parse_conditions_once()
    parse_update_expressions_once()
    check_update_expressions_once()
    list_moto_modules_once()
    server = KeptAliveMotoServer(ip_address=host, port=port, verbose=False)
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


# How long a connection may wait idle for its next request before the server closes it.
IDLE_CONNECTION_SECONDS = 300


class KeepAliveRequestHandler(MotoRequestHandler):
    """moto's request handler, answering over a connection that stays open (HTTP/1.1 keep-alive).

    werkzeug's development server closes every connection after one answer, so each AWS request
    pays a new TCP connection and a new server thread: on a busy machine several milliseconds
    per request, which an accepted send, with three requests, pays three times
    (docs/local-stack.md#connections). AWS keeps the SDK's connections open, and so does this
    handler: it reads the whole body by its Content-Length before calling moto, so nothing of one
    request is left to be read as the next, and answers with a Content-Length. A request it cannot
    frame that way (a chunked body, `Expect: 100-continue`) is answered by werkzeug's own handler,
    which closes the connection after it."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_SECONDS
    # An answer is written in two sends (headers, then body): with Nagle's algorithm the second
    # waits for the client's delayed ACK of the first, 40 ms, once a connection is reused.
    disable_nagle_algorithm = True

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length", "0").strip() or "0"
        if "Transfer-Encoding" in self.headers or "Expect" in self.headers or not length.isdigit():
            super().run_wsgi()
            return
        body = self.rfile.read(int(length))
        environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        answer: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return chunks.append

        chunks: list[bytes] = []
        try:
            result = self.server.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception:
            self.close_connection = True
            self.server.log("error", "Error on request:\n%s", traceback.format_exc())
            answer, chunks = (
                ["500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")]],
                [b"Internal Server Error"],
            )
        status, headers = answer
        code, _, reason = status.partition(" ")
        content = b"".join(chunks)
        self.send_response(int(code), reason)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)


class KeptAliveMotoServer(ThreadedMotoServer):
    """moto's threaded server with `KeepAliveRequestHandler` instead of werkzeug's handler."""

    def _server_entry(self) -> None:
        self._server = make_server(
            self._ip_address,
            self._port,
            DomainDispatcherApplication(create_backend_app),
            threaded=True,
            request_handler=KeepAliveRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()


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


def _remember(kept: dict[Any, Any], key: Any, value: Any, most: int) -> None:
    """Keep `value` under `key`, forgetting the oldest entry once `most` are kept."""
    if len(kept) >= most:
        kept.pop(next(iter(kept)))
    kept[key] = value


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
            found = (tree, list(parser.expr_attr_names_found), list(parser.expr_attr_values_found))
            _remember(parsed, key, found, PARSED_CONDITIONS)
        tree, names, values = parsed[key]
        parser.expr_attr_names_found = list(names)
        parser.expr_attr_values_found = list(values)
        return tree

    parse.kept = True  # type: ignore[attr-defined]
    parse.__wrapped__ = parse_each_time  # type: ignore[attr-defined]  # moto's own, for a test to compare
    ConditionExpressionParser.parse = parse  # type: ignore[method-assign, assignment]


# How many parsed update expressions `parse_update_expressions_once` keeps.
PARSED_UPDATES = 512


def parse_update_expressions_once() -> None:
    """moto parses an update expression twice per `UpdateItem` and per transaction action (to
    validate the request, then in the update itself), tokenising it in Python each time. The parse
    is a pure function of the expression's text, and its tree is never changed afterwards: moto's
    validator works on a deep copy of it, which it resolves against the item and then executes.
    So the same text parsed once gives the same tree, hence the same item, answer and errors (an
    expression that fails to parse is not kept and fails again). The last PARSED_UPDATES are kept.
    Idempotent."""
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    make_each_time = UpdateExpressionParser.make
    if getattr(make_each_time, "kept", False):
        return
    parsed: dict[str, Any] = {}

    def make(_: Any, expression: str) -> Any:
        tree = parsed.get(expression)
        if tree is None:
            tree = make_each_time(expression)
            _remember(parsed, expression, tree, PARSED_UPDATES)
        return tree

    make.kept = True  # type: ignore[attr-defined]
    make.__wrapped__ = make_each_time.__func__  # type: ignore[attr-defined]  # moto's own, for a test to compare
    UpdateExpressionParser.make = classmethod(make)


# How many (update expression, names, table keys) `check_update_expressions_once` remembers.
CHECKED_UPDATES = 512


def check_update_expressions_once() -> None:
    """moto validates an update expression before each update with ten passes over a copy of its
    tree; three of them read neither the item nor the values (at most one clause of each kind, no
    path updated twice, no key attribute updated): a pure function of the tree, the attribute
    names and the table's key attributes, which raises or passes. Once an update with the same
    (kept) tree, names and table keys has passed every check, those three are skipped; the seven
    that read the values and the item always run. A quarter of moto's CPU for a send's
    transaction. The last CHECKED_UPDATES are remembered. Idempotent."""
    from moto.dynamodb.parsing import validators

    checked_class = validators.UpdateExpressionValidator
    validate_each_time = checked_class.validate
    if getattr(validate_each_time, "kept", False):
        return
    init_each_time = checked_class.__init__
    item_free = (
        validators.ActionCountValidator,
        validators.OverlappingPathsValidator,
        validators.UpdateHashRangeKeyValidator,
    )
    # The tree is held here so that its id is not reused while it is remembered.
    passed: dict[tuple[int, str, tuple[str, ...]], Any] = {}

    def __init__(validator: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        init_each_time(validator, expression, *args, **kwargs)
        validator.checked_tree = expression

    def validate(validator: Any) -> Any:
        tree = validator.checked_tree
        key = (
            id(tree),
            json.dumps(validator.expression_attribute_names or {}, sort_keys=True),
            tuple(validator.table.table_key_attrs),
        )
        if key in passed:
            validator.processors = [step for step in validator.processors if not isinstance(step, item_free)]
            return validate_each_time(validator)
        validated = validate_each_time(validator)
        _remember(passed, key, tree, CHECKED_UPDATES)
        return validated

    validate.kept = True  # type: ignore[attr-defined]
    validate.__wrapped__ = validate_each_time  # type: ignore[attr-defined]  # moto's own, for a test to compare
    __init__.__wrapped__ = init_each_time  # type: ignore[attr-defined]
    checked_class.__init__ = __init__  # type: ignore[method-assign, assignment]
    checked_class.validate = validate  # type: ignore[method-assign, assignment]


def list_moto_modules_once() -> None:
    """moto's server finds the service a request is for by listing its own package's folders,
    one directory read and a `stat` per folder (about 170), on every request: a fixed cost that an
    accepted send, with three requests, pays three times. The folders of an installed package do
    not change while the server runs, so they are listed once. Idempotent."""
    from moto import backends

    list_each_time = backends.list_of_moto_modules
    if getattr(list_each_time, "kept", False):
        return
    listed: list[str] = []

    def list_of_moto_modules() -> Iterator[str]:
        if not listed:
            listed.extend(list_each_time())
        return iter(listed)

    list_of_moto_modules.kept = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules
