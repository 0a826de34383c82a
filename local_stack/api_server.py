"""The HTTP API on 127.0.0.1: each request becomes an API Gateway HTTP API (payload 2.0) event."""

import base64
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local_stack.lambdas import FunctionPool
from local_stack.stack import Route


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


def make_server(
    host: str, port: int, routes: list[Route], functions: dict[str, FunctionPool]
) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # the functions log; access lines would repeat phone numbers in paths

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            # One request per connection: an idle keep-alive connection would hold a worker.
            self.send_header("Connection", "close")
            self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        def _dispatch(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            route, parameters = _match(routes, self.command, split.path)
            if route is None:
                code = "METHOD_NOT_ALLOWED" if parameters else "NOT_FOUND"
                error = {"error": {"code": code, "message": f"No route for {self.command} {split.path}."}}
                self._answer(
                    405 if parameters else 404,
                    {"Content-Type": "application/json"},
                    json.dumps(error).encode(),
                )
                return
            headers = {name.lower(): value for name, value in self.headers.items()}
            event = http_api_event(
                self.command,
                split.path,
                split.query,
                headers,
                body,
                route,
                parameters,
                self.client_address[0],
            )
            result = functions[route.function].invoke(event)
            status = int(result.get("statusCode", 200))
            out_headers = dict(result.get("headers") or {})
            for cookie in result.get("cookies") or []:
                out_headers["Set-Cookie"] = cookie
            payload = result.get("body") or ""
            raw = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode("utf-8")
            self._answer(status, out_headers, raw)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch

    server = PooledHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


class PooledHTTPServer(ThreadingHTTPServer):
    """Requests answered by a fixed set of worker threads: each keeps its AWS clients warm, as
    a warm Lambda instance does, instead of building them anew for every request."""

    request_queue_size = 256
    workers = ThreadPoolExecutor(max_workers=16, thread_name_prefix="http-api")

    def process_request(self, request: Any, client_address: Any) -> None:
        self.workers.submit(self.process_request_thread, request, client_address)


def _match(routes: list[Route], method: str, path: str) -> tuple[Route | None, dict[str, str]]:
    """The route for a request; with no route but a path match, ({}, {'path': ...}) → 405."""
    path_matched: dict[str, str] = {}
    for route in routes:
        found = route.pattern.match(path)
        if not found:
            continue
        if route.method == method:
            return route, found.groupdict()
        path_matched = {"path": path}
    return None, path_matched
