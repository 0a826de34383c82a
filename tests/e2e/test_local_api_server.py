"""The local HTTP API answers every request as API Gateway would, over real HTTP.

A small server of its own carries two functions written for the test (one answers, one
raises), so a crash can be provoked on purpose; one test asks the session's local stack the
same questions on its real routes.
"""

import http.client
import io
import json
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from local_stack.api_server import make_server
from local_stack.lambdas import FunctionPool
from local_stack.stack import Route
from tests.e2e.conftest import LocalStack, free_port

ANSWERING = """
import json


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"path": event["rawPath"], "body": event["body"]}),
    }
"""
RAISING = """
def handler(event, context):
    raise RuntimeError("the function broke on +12025550143")
"""
LOGGING = """
from smsgate.observability import logger


@logger.inject_lambda_context
def handler(event, context):
    # Both functions have appended their keys before either writes: the moment a shared
    # logger would lend one the other's function_name.
    event["together"].wait(timeout=10)
    logger.warning("written", extra={"writer": event["writer"]})
"""


def function_dir(root: Path, name: str, code: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "app.py").write_text(code)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("functions")
    routes = [
        Route("GET", "/v1/things/{thing_id}", "Answering"),
        Route("POST", "/v1/things", "Answering"),
        Route("GET", "/v1/broken", "Raising"),
    ]
    functions = {
        "Answering": FunctionPool("Answering", function_dir(root, "answering", ANSWERING), 2),
        "Raising": FunctionPool("Raising", function_dir(root, "raising", RAISING), 1),
    }
    port = free_port()
    http_server = make_server("127.0.0.1", port, routes, functions)
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{port}"
    http_server.shutdown()


def raw_request(address: str, request: bytes) -> bytes:
    """What the server sends back for `request` written as is on the socket."""
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_a_raising_function_is_a_500_in_the_error_format_and_logged(
    server: str, capfd: pytest.CaptureFixture[str]
) -> None:
    answer = requests.get(f"http://{server}/v1/broken", timeout=10)
    assert answer.status_code == 500
    assert answer.json() == {"error": {"code": "INTERNAL_ERROR", "message": "Internal Server Error"}}
    request_id = answer.headers["Apigw-Requestid"]
    logged = capfd.readouterr().err
    assert f"Raising failed on GET /v1/broken (request {request_id})" in logged
    assert "RuntimeError: the function broke on +***43" in logged
    assert "+12025550143" not in logged


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "CONNECT", "PATCH", "DELETE", "PURGE", "GET"])
def test_every_method_on_a_route_of_another_method_is_a_405_in_the_error_format(
    server: str, method: str
) -> None:
    connection = http.client.HTTPConnection(server, timeout=10)
    connection.request(method, "/v1/things")
    answer = connection.getresponse()
    assert answer.status == 405
    assert answer.getheader("Allow") == "POST"
    assert answer.getheader("Content-Type") == "application/json"
    error = json.loads(answer.read())["error"]
    assert error == {"code": "METHOD_NOT_ALLOWED", "message": f"No route for {method} /v1/things."}


@pytest.mark.parametrize("method", ["GET", "TRACE", "OPTIONS", "PROPFIND"])
def test_every_method_on_no_route_is_a_404_in_the_error_format(server: str, method: str) -> None:
    answer = requests.request(method, f"http://{server}/v1/nowhere", timeout=10)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "NOT_FOUND"


def test_connect_to_a_host_is_a_404_not_a_dropped_connection(server: str) -> None:
    answer = raw_request(server, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404")
    assert b'"code": "NOT_FOUND"' in body


def test_head_is_answered_without_a_body(server: str) -> None:
    answer = raw_request(server, b"HEAD /v1/things/1 HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405")
    assert b"Allow: GET" in head
    assert body == b""


def test_a_malformed_request_is_a_400_in_the_error_format(server: str) -> None:
    answer = raw_request(server, b"GET\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"application/json" in head
    assert b'"code": "VALIDATION_ERROR"' in body


def test_an_unreadable_content_length_is_a_400_and_a_chunked_body_reaches_the_function(
    server: str,
) -> None:
    answer = raw_request(server, b"POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    chunked = requests.post(f"http://{server}/v1/things", data=iter([b'{"a": ', b"1}"]), timeout=10)
    assert chunked.status_code == 200
    assert chunked.json() == {"path": "/v1/things", "body": '{"a": 1}'}


def test_the_local_stack_answers_every_method_in_the_error_format(local_stack: LocalStack) -> None:
    for method in ("TRACE", "OPTIONS", "PATCH", "DELETE"):
        answer = requests.request(method, local_stack.url("/v1/messages"), timeout=10)
        assert answer.status_code == 405, (method, answer.text)
        assert answer.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    head = requests.head(local_stack.url("/v1/openapi.json"), timeout=10)
    assert head.status_code == 405 and head.content == b"" and head.headers["Allow"] == "GET"
    assert requests.options(local_stack.url("/v1/nowhere"), timeout=10).json()["error"]["code"] == "NOT_FOUND"


def test_each_log_line_carries_the_function_name_of_the_function_that_wrote_it(tmp_path: Path) -> None:
    from smsgate.observability import logger

    pools = {
        name: FunctionPool(name, function_dir(tmp_path, name.lower(), LOGGING), 1)
        for name in ("AlphaFunction", "BetaFunction")
    }
    lines = io.StringIO()
    capture = logging.StreamHandler(lines)
    capture.setFormatter(logger.registered_formatter)
    logging.getLogger(logger.name).addHandler(capture)
    try:
        for _ in range(5):
            together = threading.Barrier(2)
            threads = [
                threading.Thread(target=pool.invoke, args=({"writer": name, "together": together},))
                for name, pool in pools.items()
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=20)
    finally:
        logging.getLogger(logger.name).removeHandler(capture)
    written: list[dict[str, Any]] = [
        json.loads(line) for line in lines.getvalue().splitlines() if '"written"' in line
    ]
    assert len(written) == 10
    assert all(line["function_name"] == line["writer"] for line in written), written
