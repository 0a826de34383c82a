"""A local stand-in for Twilio's Messages API, answering with Twilio's recorded shapes."""

import json
import secrets
import socket
import threading
import urllib.parse
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"  # a test double's credential, never a real one


@dataclass(frozen=True)
class TwilioAnswer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(self.body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)


def _json_answer(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> TwilioAnswer:
    return TwilioAnswer(
        status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})}
    )


def message_created(account_sid: str, form: dict[str, list[str]]) -> TwilioAnswer:
    """The 201 body of `POST .../Messages.json`, field for field as Twilio returns it."""
    sid = "SM" + secrets.token_hex(16)
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}"
    return _json_answer(
        201,
        {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": form["Body"][0],
            "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
            "date_sent": None,
            "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form["From"][0],
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": form["To"][0],
            "uri": f"{uri}.json",
        },
    )


def twilio_error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> TwilioAnswer:
    """A Twilio REST error body: `{code, message, more_info, status}`."""
    return _json_answer(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        headers,
    )


class FakeTwilio:
    """Records every request; answers scripted answers first, then 201 Created."""

    # Recorded error answers of the Messages API.
    INVALID_TO = twilio_error(400, 21211, "The 'To' number +15005550001 is not a valid phone number.")
    TOO_MANY_REQUESTS = twilio_error(429, 20429, "Too Many Requests", {"Retry-After": "2"})
    INTERNAL_SERVER_ERROR = twilio_error(500, 20500, "Internal Server Error")
    error = staticmethod(twilio_error)

    def __init__(self, base_url: str, account_sid: str, auth_token: str) -> None:
        self.base_url = base_url
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[RecordedRequest] = []
        self._script: deque[TwilioAnswer] = deque()
        self._lock = threading.Lock()
        self.release = threading.Event()  # set at teardown; a hanging answer waits on it
        self.hang = False

    @staticmethod
    def raw(status: int, body: bytes, headers: dict[str, str] | None = None) -> TwilioAnswer:
        return TwilioAnswer(status, body, headers or {})

    def answer_next(self, *answers: TwilioAnswer) -> None:
        with self._lock:
            self._script.extend(answers)

    def answer_for(self, request: RecordedRequest) -> TwilioAnswer:
        with self._lock:
            self.requests.append(request)
            if self._script:
                return self._script.popleft()
        return message_created(self.account_sid, request.form)


def _handler_for(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            request = RecordedRequest("POST", self.path, dict(self.headers.items()), self.rfile.read(length))
            answer = fake.answer_for(request)
            if fake.hang:
                fake.release.wait(timeout=30)
                return
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read self.requests
            pass

    return Handler


@pytest.fixture
def twilio_server() -> Iterator[FakeTwilio]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    host, port = server.server_address[:2]
    fake = FakeTwilio(f"http://{host!s}:{port}", ACCOUNT_SID, AUTH_TOKEN)
    server.RequestHandlerClass = _handler_for(fake)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class RecordingSleep:
    """Stands in for time.sleep: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def recording_sleep() -> RecordingSleep:
    return RecordingSleep()
