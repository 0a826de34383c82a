"""Twilio Programmable Messaging adapter: one `POST .../Messages.json` per outbound SMS.

Request (Twilio REST API 2010-04-01, "Create a Message resource"):
`POST {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic auth with the
account SID and auth token, `application/x-www-form-urlencoded` fields `To`, `From`, `Body`
and `StatusCallback`. The callback URL carries our `message_id` as a query parameter because
Twilio's status webhook echoes only its own `MessageSid`, and the consumer must find our
message without a lookup by carrier id (docs/receipts.md#the-twilio-webhook).

Response mapping:

| Twilio answer | raised / returned |
|---|---|
| 2xx with a `sid` | `SendResult(carrier_message_id=sid)` |
| 429, any 5xx, a 4xx with code 20429 | `TransientCarrierError` |
| 4xx code 21611 (sender queue full) | `TransientCarrierError`, `retry_after`: `Retry-After` or 1 h |
| network error, timeout | `TransientCarrierError` |
| 401/403/404, codes 20003, 20005, 20404 (our credentials or account) | `InfrastructureCarrierError` |
| other 4xx with a JSON `code` (21211, 21408, 21610, 21614, 30034...) | `PermanentCarrierError(code)` |
| other 4xx without a code | `PermanentCarrierError(code=30008)` |
| 2xx without a `sid` | `PermanentCarrierError(code=30008)`: not retried, it may have gone out |

A transient error carries `retry_after` from the `Retry-After` header when Twilio sends one.

A timeout after the request was written is ambiguous (Twilio may have queued the message);
it is still transient, so a retry can, rarely, send twice: Twilio's Messages API has no
idempotency key to prevent it.

Exception messages carry the HTTP status and Twilio's error code only. Twilio's own
`message` is left out because it quotes the phone number (e.g. "The 'To' number +1... is
not a valid phone number"), and neither the credentials nor the body ever leave this module.
"""

import base64
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any

from smsgate.carriers.base import (
    InfrastructureCarrierError,
    OutboundSms,
    PermanentCarrierError,
    SendResult,
    TransientCarrierError,
)

TWILIO_API_BASE_URL = "https://api.twilio.com"
STATUS_CALLBACK_PATH = "/v1/webhooks/twilio/status"
DEFAULT_TIMEOUT_SECONDS = 10.0
SECRET_MAX_AGE_SECONDS = 300
# The longest `ValidityPeriod` Twilio takes (seconds).
MAX_VALIDITY_PERIOD = 36_000

# Twilio codes that arrive with a 4xx but clear by themselves: 20429 is the API rate limit,
# 21611 a sender whose queue already holds 10 hours of messages at its MPS.
TRANSIENT_TWILIO_CODES: frozenset[int] = frozenset({20429, 21611})
SENDER_QUEUE_FULL = 21611
# A full sender queue drains over hours: the message waits this long in our queue when Twilio
# names no time (docs/carriers.md#retry-advice).
SENDER_QUEUE_FULL_RETRY_SECONDS = 3600.0
# Our own credentials, account or account SID refused: no message can go until someone fixes
# them, and none of it is the location's (docs/carriers.md#our-own-faults).
INFRASTRUCTURE_TWILIO_CODES: frozenset[int] = frozenset({20003, 20005, 20404})
# Twilio's generic codes, used when a 4xx carries none of its own.
UNKNOWN_ERROR_CODE = 30008
_CODE_BY_HTTP_STATUS: dict[int, int] = {401: 20003, 403: 20003, 404: 20404}


class TwilioCarrier:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        public_base_url: str,
        base_url: str = TWILIO_API_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("Twilio account SID and auth token must not be empty")
        # urlopen would also open file:// and other schemes; only HTTP(S) reaches Twilio.
        for url in (base_url, public_base_url):
            if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
                raise ValueError("Twilio base URL and public base URL must be http(s) URLs")
        account = urllib.parse.quote(account_sid, safe="")
        self._messages_url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account}/Messages.json"
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._authorization = f"Basic {credentials}"
        self._public_base_url = public_base_url.rstrip("/")
        self._timeout = timeout
        self._clock = clock

    def __repr__(self) -> str:
        # Spelled out so that a repr in a log line can never come to include the auth header.
        return f"TwilioCarrier(messages_url={self._messages_url!r})"

    def status_callback_url(self, message_id: str) -> str:
        query = urllib.parse.urlencode({"message_id": message_id})
        return f"{self._public_base_url}{STATUS_CALLBACK_PATH}?{query}"

    def send(self, sms: OutboundSms) -> SendResult:
        fields = {
            "To": sms.to,
            "From": sms.from_number,
            "Body": sms.body,
            "StatusCallback": self.status_callback_url(sms.message_id),
        }
        if sms.validity_seconds is not None:
            fields["ValidityPeriod"] = str(max(1, min(MAX_VALIDITY_PERIOD, sms.validity_seconds)))
        form = urllib.parse.urlencode(fields).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310  # scheme checked in __init__
            self._messages_url,
            data=form,
            method="POST",
            headers={
                "Authorization": self._authorization,
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                status = int(response.status)
                payload = response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                error_payload = _read_error_body(exc)
            raise self._error_for(exc.code, exc.headers, error_payload) from None
        except (OSError, http.client.HTTPException) as exc:
            # Refused or reset connections, timeouts, truncated answers: the type name says
            # which without quoting the request.
            raise TransientCarrierError(f"Twilio unreachable: {type(exc).__name__}") from exc
        return self._result_for(status, payload)

    def _result_for(self, status: int, payload: bytes) -> SendResult:
        sid = _json_object(payload).get("sid")
        if not isinstance(sid, str) or not sid:
            raise PermanentCarrierError(
                f"Twilio answered HTTP {status} without a message sid", code=UNKNOWN_ERROR_CODE
            )
        return SendResult(carrier_message_id=sid)

    def _error_for(
        self, status: int, headers: Message | None, payload: bytes
    ) -> TransientCarrierError | PermanentCarrierError | InfrastructureCarrierError:
        raw_code = _json_object(payload).get("code")
        code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        retry_after = parse_retry_after(headers.get("Retry-After") if headers else None, self._clock())
        if code == SENDER_QUEUE_FULL and retry_after is None:
            retry_after = SENDER_QUEUE_FULL_RETRY_SECONDS
        if status == 429 or status >= 500 or code in TRANSIENT_TWILIO_CODES:
            return TransientCarrierError(
                f"Twilio answered HTTP {status} (code {code})", code=code, retry_after=retry_after
            )
        if code is None:
            code = _CODE_BY_HTTP_STATUS.get(status)
        if code in INFRASTRUCTURE_TWILIO_CODES or (code is None and status in _CODE_BY_HTTP_STATUS):
            return InfrastructureCarrierError(
                f"Twilio refused our credentials or account: HTTP {status}, code {code}", code=code
            )
        code = code if code is not None else UNKNOWN_ERROR_CODE
        return PermanentCarrierError(f"Twilio rejected the message: HTTP {status}, code {code}", code=code)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date (RFC 9110)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def _read_error_body(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except (OSError, http.client.HTTPException):
        return b""


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def twilio_from_secret(
    secret_name: str,
    public_base_url: str,
    *,
    base_url: str = TWILIO_API_BASE_URL,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> TwilioCarrier:
    """A TwilioCarrier with credentials from a Secrets Manager JSON secret.

    The secret holds `{"account_sid": ..., "auth_token": ...}`; it is cached for five minutes
    so a warm dispatcher does not call Secrets Manager per message, yet a rotated token is
    picked up without a redeploy.
    """
    from aws_lambda_powertools.utilities import parameters

    secret = parameters.get_secret(secret_name, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
    if not isinstance(secret, dict):
        raise ValueError(f"secret {secret_name} is not a JSON object")
    account_sid, auth_token = secret.get("account_sid"), secret.get("auth_token")
    if (
        not isinstance(account_sid, str)
        or not isinstance(auth_token, str)
        or not account_sid
        or not auth_token
    ):
        raise ValueError(f"secret {secret_name} needs non-empty string keys account_sid and auth_token")
    return TwilioCarrier(account_sid, auth_token, public_base_url, base_url=base_url, timeout=timeout)
