"""The HTTP API as the CLI calls it: the local stack unsigned, a deployed API signed with SigV4."""

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session

LOCAL_API = "http://127.0.0.1:3000"
RETRYABLE = frozenset({429, 502, 503, 504})


class ApiError(Exception):
    """An answer other than 2xx: the API's `{"error": {"code", "message"}}` when it sent one."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code


def local_state_file() -> Path:
    """Where `make run` (local_stack.runner.state_file) writes the addresses of the stack on
    SMSGATE_API_PORT (3000): one file per port, or SMSGATE_STATE_FILE."""
    if explicit := os.environ.get("SMSGATE_STATE_FILE"):
        return Path(explicit)
    return Path(".local-stack") / f"stack-{os.environ.get('SMSGATE_API_PORT') or 3000}.json"


def default_api_url() -> str:
    """SMSGATE_API_URL, else the API of the running local stack (its state file), else :3000."""
    if url := os.environ.get("SMSGATE_API_URL"):
        return url
    state_file = local_state_file()
    try:
        return str(json.loads(state_file.read_text())["api"])
    except (OSError, ValueError, KeyError):
        return LOCAL_API


def is_aws_endpoint(url: str) -> bool:
    return (urlsplit(url).hostname or "").endswith(".amazonaws.com")


def region_of(url: str, profile: str | None) -> str:
    """`<api>.execute-api.<region>.amazonaws.com` names its region; otherwise the profile's."""
    parts = (urlsplit(url).hostname or "").split(".")
    if len(parts) > 3 and parts[1] == "execute-api":
        return parts[2]
    return str(Session(profile=profile).get_config_variable("region") or "us-east-1")


def path_part(value: str) -> str:
    """A path parameter, URL-encoded ('+' of an E.164 number as %2B)."""
    return quote(value, safe="")


@dataclass
class Api:
    base_url: str
    sigv4: bool = False
    profile: str | None = None
    timeout: float = 60.0
    retries: int = 5
    session: requests.Session = field(default_factory=requests.Session)

    def _headers(self, method: str, url: str, body: bytes | None) -> dict[str, str]:
        headers = {"content-type": "application/json"} if body is not None else {}
        if not self.sigv4:
            return headers
        credentials = Session(profile=self.profile).get_credentials()
        if credentials is None:
            raise ApiError(0, "NO_CREDENTIALS", "no AWS credentials (profile, environment or SSO) found")
        request = AWSRequest(method=method, url=url, data=body or b"", headers=headers)
        SigV4Auth(credentials, "execute-api", region_of(self.base_url, self.profile)).add_auth(request)
        return dict(request.headers.items())

    def request(
        self, method: str, path: str, body: Any = None, params: Mapping[str, str | int] | None = None
    ) -> requests.Response:
        """One call, retried on 429/5xx after the answer's Retry-After; ApiError on a refusal."""
        query = "&".join(f"{quote(str(k))}={quote(str(v), safe='')}" for k, v in (params or {}).items())
        url = self.base_url.rstrip("/") + path + (f"?{query}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(self.retries + 1):
            answer = self.session.request(
                method, url, data=data, headers=self._headers(method, url, data), timeout=self.timeout
            )
            if answer.status_code not in RETRYABLE or attempt == self.retries:
                break
            time.sleep(float(answer.headers.get("Retry-After") or 2**attempt))
        if answer.status_code >= 400:
            try:
                error = answer.json()["error"]
                code, message = str(error["code"]), str(error["message"])
            except (ValueError, KeyError, TypeError):
                code, message = "HTTP_ERROR", answer.text[:500]
            raise ApiError(answer.status_code, code, message)
        return answer

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return self.request("GET", path, params=params).json()
