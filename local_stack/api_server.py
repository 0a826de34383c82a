"""The HTTP API on 127.0.0.1: each request becomes an API Gateway HTTP API (payload 2.0) event.

Every request gets an answer, as API Gateway gives one: whatever its method, a route that does
not exist, a body the server cannot read, or a function that raises (docs/local-stack.md).
"""

import base64
import contextlib
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local_stack.lambdas import FunctionPool, log_failure
from local_stack.stack import Route
from smsgate.reasons import ReasonCode


def http_api_event(
    method: str,
    raw_path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    route: Route,
    path_parameters: dict[str, str],
    source_ip: str,
) -> dict[str, Any]:
    text_body: str | None
    try:
        text_body, encoded = (body.decode("utf-8"), False) if body else (None, False)
    except UnicodeDecodeError:
        text_body, encoded = base64.b64encode(body).decode("ascii"), True
    query_parameters: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        query_parameters[key] = f"{query_parameters[key]},{value}" if key in query_parameters else value
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "queryStringParameters": query_parameters or None,
        "pathParameters": path_parameters or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": text_body,
        "isBase64Encoded": encoded,
    }


# API Gateway HTTP API refuses larger payloads before any function runs.
MAX_BODY_BYTES = 10 * 1024 * 1024
# What API Gateway answers when the function fails (raises, or returns what it cannot read).
INTERNAL_ERROR = {"error": {"code": str(ReasonCode.INTERNAL_ERROR), "message": "Internal Server Error"}}


class BadRequest(Exception):
    """A request whose body cannot be read: answered `status` before any function runs."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def error_body(status: int, message: str) -> bytes:
    """`{"error": {"code", "message"}}` for an answer the server gives itself, not a function."""
    code = {
        HTTPStatus.NOT_FOUND: ReasonCode.NOT_FOUND,
        HTTPStatus.METHOD_NOT_ALLOWED: ReasonCode.METHOD_NOT_ALLOWED,
    }.get(HTTPStatus(status), ReasonCode.INTERNAL_ERROR if status >= 500 else ReasonCode.VALIDATION_ERROR)
    return json.dumps({"error": {"code": str(code), "message": message}}).encode()


def lambda_answer(result: Any) -> tuple[int, dict[str, str], bytes]:
    """A function's return value read as API Gateway reads a payload 2.0 response: a dict with
    `statusCode` is the answer; anything else JSON-serialisable is a 200 with it as the body."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return 200, {"Content-Type": "application/json"}, json.dumps(result).encode()
    status = int(result["statusCode"])
    if not 100 <= status <= 599:
        raise ValueError(f"statusCode {status} is no HTTP status")
    headers = {str(name): str(value) for name, value in (result.get("headers") or {}).items()}
    for cookie in result.get("cookies") or []:
        headers["Set-Cookie"] = str(cookie)
    payload = result.get("body") or ""
    raw = base64.b64decode(payload) if result.get("isBase64Encoded") else str(payload).encode("utf-8")
    return status, headers, raw


def read_body(headers: Any, rfile: Any) -> bytes:
    """The request's body, by its Content-Length or in chunks; BadRequest when unreadable."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        return _read_chunks(rfile)
    try:
        length = int(headers.get("Content-Length") or 0)
    except ValueError:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "Content-Length is not a number.") from None
    if length < 0:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "Content-Length is negative.")
    if length > MAX_BODY_BYTES:
        raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "The request body is over 10 MB.")
    body: bytes = rfile.read(length) if length else b""
    return body


def _read_chunks(rfile: Any) -> bytes:
    body = bytearray()
    while True:
        size_line = rfile.readline(1024).split(b";")[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise BadRequest(HTTPStatus.BAD_REQUEST, "A chunk size is not a number.") from None
        if size == 0:
            while rfile.readline(1024).strip():
                pass  # trailers
            return bytes(body)
        if len(body) + size > MAX_BODY_BYTES:
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "The request body is over 10 MB.")
        body += rfile.read(size)
        rfile.readline(1024)


class ApiHandler(BaseHTTPRequestHandler):
    """One request: routed to its function as API Gateway would, or answered here."""

    protocol_version = "HTTP/1.1"
    # A request line too malformed to name its version still gets a status line and headers.
    default_request_version = "HTTP/1.1"
    server: "PooledHTTPServer"

    def log_message(self, format: str, *args: Any) -> None:
        return  # the functions log; access lines would repeat phone numbers in paths

    def __getattr__(self, name: str) -> Any:
        # Every method takes the same path (TRACE, OPTIONS, CONNECT, made-up ones):
        # BaseHTTPRequestHandler answers a method without a do_<METHOD> with an HTML 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # What the server refuses before routing (a malformed request line, headers too long):
        # the error format instead of Python's HTML page.
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may be gone
            self._answer(
                code,
                {"Content-Type": "application/json"},
                error_body(code, message or HTTPStatus(code).phrase),
            )

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        # One request per connection: an idle keep-alive connection would hold a worker.
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        # HEAD is answered like any method but never carries a body; nor do 204 and 304.
        if getattr(self, "command", None) != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def _dispatch(self) -> None:
        request_id = str(uuid.uuid4())
        split = urlsplit(self.path)
        # CONNECT names a host, not a path: no route has it.
        path = split.path if self.path.startswith(("/", "http://", "https://")) else self.path
        json_headers = {"Content-Type": "application/json", "Apigw-Requestid": request_id}
        try:
            body = read_body(self.headers, self.rfile)
        except BadRequest as refused:
            self._answer(refused.status, json_headers, error_body(refused.status, str(refused)))
            return
        route, parameters = _match(self.server.routes, self.command, path)
        if route is None:
            allowed = _allowed_methods(self.server.routes, path)
            status: int = HTTPStatus.METHOD_NOT_ALLOWED if allowed else HTTPStatus.NOT_FOUND
            headers = {**json_headers, "Allow": ", ".join(allowed)} if allowed else json_headers
            self._answer(status, headers, error_body(status, f"No route for {self.command} {path}."))
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        event = http_api_event(
            self.command, path, split.query, headers, body, route, parameters, self.client_address[0]
        )
        event["requestContext"]["requestId"] = request_id
        try:
            status, out_headers, raw = lambda_answer(self.server.functions[route.function].invoke(event))
        except Exception:
            log_failure(route.function, f"{self.command} {path} (request {request_id}): answered 500")
            status, out_headers, raw = 500, json_headers, json.dumps(INTERNAL_ERROR).encode()
        self._answer(status, {**out_headers, "Apigw-Requestid": request_id}, raw)


class PooledHTTPServer(ThreadingHTTPServer):
    """Requests answered by a fixed set of worker threads: each keeps its AWS clients warm, as
    a warm Lambda instance does, instead of building them anew for every request."""

    request_queue_size = 256
    daemon_threads = True
    workers = ThreadPoolExecutor(max_workers=16, thread_name_prefix="http-api")

    def __init__(
        self, address: tuple[str, int], routes: list[Route], functions: dict[str, FunctionPool]
    ) -> None:
        self.routes = routes
        self.functions = functions
        super().__init__(address, ApiHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.workers.submit(self.process_request_thread, request, client_address)


def make_server(
    host: str, port: int, routes: list[Route], functions: dict[str, FunctionPool]
) -> PooledHTTPServer:
    return PooledHTTPServer((host, port), routes, functions)


def _match(routes: list[Route], method: str, path: str) -> tuple[Route | None, dict[str, str]]:
    """The route for a request and its path parameters; (None, {}) when none matches."""
    for route in routes:
        found = route.pattern.match(path)
        if found and route.method == method:
            return route, found.groupdict()
    return None, {}


def _allowed_methods(routes: list[Route], path: str) -> list[str]:
    """The methods of the routes on `path`: a request with another method is a 405, not a 404."""
    return sorted({route.method for route in routes if route.pattern.match(path)})
