"""Twilio webhook signatures as the official SDKs compute them: repeated values signed once, and
HMAC-SHA256 with a shared key when one is configured (docs/receipts.md#the-twilio-webhook)."""

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from local_stack.api_server import http_api_event
from local_stack.stack import load_template
from smsgate.api.webhooks import INBOUND_PATH
from smsgate.settings import get_settings
from tests.integration.conftest import CONTACT, NUMBER, Invoke, route_for

BASE_URL = "http://127.0.0.1:3000"
SHARED_KEY = "webhooks-shared-key-secret-for-tests"
SETTINGS_HEADER = "x-twilio-webhooks-signature-settings"
PARAMS = [
    ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
    ("Body", "Parar"),
    ("From", CONTACT),
    ("MessageSid", "SMa7c3e9b1d5f24086a7c3e9b1d5f24086"),
    ("OptOutType", "STOP"),
    ("To", NUMBER),
]


def sign(secret: str, digest: Any, url: str, pairs: list[tuple[str, str]]) -> str:
    """The official SDKs' algorithm, written out here: each name, sorted, with each of its
    distinct values, sorted, after the URL."""
    names = sorted({name for name, _ in pairs})
    payload = url + "".join(
        name + value for name in names for value in sorted({v for n, v in pairs if n == name})
    )
    return base64.b64encode(hmac.new(secret.encode(), payload.encode(), digest).digest()).decode()


@pytest.fixture
def post(handler: Callable[[str], Invoke]) -> Callable[..., dict[str, Any]]:
    """POST a form to whichever function the template routes the Twilio inbound webhook to."""
    route, _ = route_for("POST", INBOUND_PATH)
    function = Path(load_template()["Resources"][route.function]["Properties"]["CodeUri"]).name
    invoke = handler(function)

    def send(pairs: list[tuple[str, str]], headers: dict[str, str]) -> dict[str, Any]:
        event = http_api_event(
            "POST",
            INBOUND_PATH,
            "",
            {"content-type": "application/x-www-form-urlencoded", "host": "127.0.0.1:3000", **headers},
            urlencode(pairs).encode(),
            route,
            {},
            "54.172.60.1",
        )
        return invoke(event)

    return send


@pytest.fixture
def shared_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TWILIO_SHARED_KEY", SHARED_KEY)
    get_settings.cache_clear()
    yield SHARED_KEY
    get_settings.cache_clear()


def test_a_repeated_identical_value_is_signed_once(post: Any, stack: Any) -> None:
    pairs = [*PARAMS, ("MediaUrl0", "https://example.com/a.jpg"), ("MediaUrl0", "https://example.com/a.jpg")]
    signature = sign("local-dev-token", hashlib.sha1, f"{BASE_URL}{INBOUND_PATH}", pairs)

    assert post(pairs, {"x-twilio-signature": signature})["statusCode"] == 200


def test_an_hmac_sha256_shared_key_signature_is_accepted_when_configured(
    post: Any, stack: Any, shared_key: str
) -> None:
    signature = sign(shared_key, hashlib.sha256, f"{BASE_URL}{INBOUND_PATH}", PARAMS)
    headers = {
        "x-twilio-signature": signature,
        SETTINGS_HEADER: "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256",
    }

    assert post(PARAMS, headers)["statusCode"] == 200


@pytest.mark.parametrize(
    ("secret", "digest", "settings_header"),
    [
        # Signed with the auth token but claiming a shared key: the shared key is what counts.
        ("local-dev-token", hashlib.sha256, "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"),
        # The shared key's secret with the wrong algorithm.
        (SHARED_KEY, hashlib.sha1, "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"),
        # An algorithm nobody knows.
        (SHARED_KEY, hashlib.sha256, "key=webhooks_sharedkey_1,algorithm=HMAC_MD5"),
    ],
)
def test_a_wrong_shared_key_signature_is_refused(
    post: Any, stack: Any, shared_key: str, secret: str, digest: Any, settings_header: str
) -> None:
    signature = sign(secret, digest, f"{BASE_URL}{INBOUND_PATH}", PARAMS)

    answer = post(PARAMS, {"x-twilio-signature": signature, SETTINGS_HEADER: settings_header})

    assert answer["statusCode"] == 403


def test_a_shared_key_signature_is_refused_when_none_is_configured(post: Any, stack: Any) -> None:
    signature = sign(SHARED_KEY, hashlib.sha256, f"{BASE_URL}{INBOUND_PATH}", PARAMS)
    headers = {
        "x-twilio-signature": signature,
        SETTINGS_HEADER: "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256",
    }

    assert post(PARAMS, headers)["statusCode"] == 403
