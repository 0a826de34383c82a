"""Twilio's request validation (`X-Twilio-Signature`) for the webhooks of SPEC sections 7 and 10.

The signature is base64(HMAC-SHA1(auth token, URL + name₁value₁ + name₂value₂ …)) over the
full URL Twilio requested (query string included) followed by every POST parameter sorted by
name (a name posted more than once contributes each value, sorted). This follows Twilio's
published algorithm and its reference library (`twilio.request_validator`), including its
port quirk: Twilio signs some requests with the URL's port and some without, so a URL is
accepted when either form matches.
"""

import base64
import hmac
from collections.abc import Mapping, Sequence
from hashlib import sha1

_DEFAULT_PORTS = {"https": 443, "http": 80}

ParamValue = str | Sequence[str]


def _values(value: ParamValue) -> list[str]:
    return [value] if isinstance(value, str) else sorted(value)


def compute_signature(auth_token: str, url: str, params: Mapping[str, ParamValue]) -> str:
    """The `X-Twilio-Signature` Twilio sends for a POST of `params` to `url`."""
    payload = url + "".join(name + value for name in sorted(params) for value in _values(params[name]))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), sha1).digest()
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


def is_valid_signature(auth_token: str, url: str, params: Mapping[str, ParamValue], signature: str) -> bool:
    """True when `signature` is Twilio's for this URL (with or without its port) and these params."""
    if not auth_token or not signature:
        return False
    expected = signature.strip().encode("utf-8")
    matches = [
        hmac.compare_digest(compute_signature(auth_token, variant, params).encode("utf-8"), expected)
        for variant in url_variants(url)
    ]
    return any(matches)
