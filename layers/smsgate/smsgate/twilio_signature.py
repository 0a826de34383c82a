"""Twilio's request validation (`X-Twilio-Signature`) for the webhooks
(docs/receipts.md#the-twilio-webhook, docs/inbound.md#twilio-webhooks).

The signature is base64(HMAC(secret, URL + name₁value₁ + name₂value₂ …)) over the full URL
Twilio requested (query string included) followed by every POST parameter sorted by name; a
name posted more than once contributes each *distinct* value once, sorted, as the official
SDKs compute it. This follows Twilio's published algorithm and its reference library
(`twilio.request_validator`), including its port quirk: Twilio signs some requests with the
URL's port and some without, so a URL is accepted when either form matches.

The HMAC is SHA-1 keyed with the account's auth token, or, for a webhook signed with a shared
key, the algorithm the `X-Twilio-Webhooks-Signature-Settings` header names (`HMAC_SHA256`)
keyed with that shared key's secret (docs/receipts.md#the-twilio-webhook).
"""

import base64
import hmac
from collections.abc import Callable, Mapping, Sequence
from hashlib import sha1, sha256
from typing import Any, Final

_DEFAULT_PORTS = {"https": 443, "http": 80}

SETTINGS_HEADER: Final = "X-Twilio-Webhooks-Signature-Settings"
HMAC_SHA1: Final = "HMAC_SHA1"
HMAC_SHA256: Final = "HMAC_SHA256"
_HASHES: Final[dict[str, Callable[..., Any]]] = {HMAC_SHA1: sha1, HMAC_SHA256: sha256}

ParamValue = str | Sequence[str]


def _values(value: ParamValue) -> list[str]:
    # Each distinct value once: `Digits=1&Digits=1` is signed as one `Digits1`.
    return [value] if isinstance(value, str) else sorted(set(value))


def signature_algorithm(settings_header: str | None) -> str:
    """The algorithm `X-Twilio-Webhooks-Signature-Settings` (`key=…,algorithm=…`) names;
    HMAC_SHA1, the auth token's, when the header is absent or names none."""
    for part in (settings_header or "").split(","):
        name, separator, value = part.partition("=")
        if separator and name.strip() == "algorithm" and value.strip():
            return value.strip().upper()
    return HMAC_SHA1


def compute_signature(
    secret: str, url: str, params: Mapping[str, ParamValue], algorithm: str = HMAC_SHA1
) -> str:
    """The `X-Twilio-Signature` Twilio sends for a POST of `params` to `url`."""
    payload = url + "".join(name + value for name in sorted(params) for value in _values(params[name]))
    digest = hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), _HASHES[algorithm]).digest()
    return base64.b64encode(digest).decode("ascii")


def url_variants(url: str) -> list[str]:
    """`url` as given, without its port, and with it (the scheme's default when it names none).

    Only the authority is rewritten, character for character, so the path and query stay
    exactly as Twilio signed them.
    """
    scheme, separator, rest = url.partition("://")
    netloc = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    userinfo, at, host_port = netloc.rpartition("@")
    if host_port.startswith("["):  # an IPv6 literal keeps its brackets and colons
        host, bracket, after = host_port.partition("]")
        host, port = host + bracket, after.removeprefix(":")
    else:
        host, _, port = host_port.partition(":")
    default_port = _DEFAULT_PORTS.get(scheme.lower())
    if not separator or not host or not (port.isdigit() or port == "") or (not port and not default_port):
        return [url]
    path = rest[len(netloc) :]
    prefix = f"{scheme}://{userinfo}{at}{host}"
    without_port = prefix + path
    with_port = f"{prefix}:{port or default_port}{path}"
    return list(dict.fromkeys([url, without_port, with_port]))


def is_valid_signature(
    secret: str, url: str, params: Mapping[str, ParamValue], signature: str, algorithm: str = HMAC_SHA1
) -> bool:
    """True when `signature` is Twilio's for this URL (with or without its port) and these
    params, signed with `secret` by `algorithm` (an algorithm we do not know is refused)."""
    if not secret or not signature or algorithm not in _HASHES:
        return False
    expected = signature.strip().encode("utf-8")
    matches = [
        hmac.compare_digest(compute_signature(secret, variant, params, algorithm).encode("utf-8"), expected)
        for variant in url_variants(url)
    ]
    return any(matches)
