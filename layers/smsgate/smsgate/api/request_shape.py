"""What a request must be before any route reads it (docs/api.md#request-shape): at most
MAX_BODY_BYTES, JSON when it has a body (every route of the HTTP API that takes one takes JSON),
nested no deeper than a parser can follow.

These checks run on the raw Lambda event, before powertools parses the body: its parser takes
a form or multipart body on any route (and raises on a multipart content type without a
boundary) and reports other content types in a shape of its own.
"""

import json
from collections.abc import Mapping
from typing import Any

from smsgate.errors import SmsgateError
from smsgate.reasons import ReasonCode

# The largest request the API takes: a consent import of 500 rows with long evidence, or a bulk
# of 5,000 recipients, is well under it; Lambda itself refuses 6 MB.
MAX_BODY_BYTES = 1_048_576
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def body_size(event: Mapping[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        # A base64 text of n characters holds about 3n/4 bytes.
        return len(body) * 3 // 4
    return len(body.encode("utf-8", "surrogatepass"))


def is_json(content_type: str) -> bool:
    """`application/json`, with or without parameters; no content type at all is read as JSON
    (as powertools reads it)."""
    return content_type.split(";", 1)[0].strip().lower() in ("", "application/json")


def shape_refusal(event: Mapping[str, Any]) -> SmsgateError | None:
    """Why the API refuses a request before reading it; None when it does not."""
    if body_size(event) > MAX_BODY_BYTES:
        return SmsgateError(
            ReasonCode.PAYLOAD_TOO_LARGE,
            f"The request body is larger than {MAX_BODY_BYTES} bytes.",
            details={"max_bytes": MAX_BODY_BYTES},
        )
    method = str(((event.get("requestContext") or {}).get("http") or {}).get("method", "")).upper()
    if method not in METHODS_WITH_BODY:
        return None
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", "")
    if not is_json(content_type):
        return SmsgateError(
            ReasonCode.UNSUPPORTED_MEDIA_TYPE,
            f"The request body must be JSON (content-type: application/json), not {content_type!r}.",
        )
    return None


def with_media_type_lowercase(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """`event` with its content type's media type in lower case: media types are case-insensitive,
    powertools compares them as written."""
    headers = dict(event.get("headers") or {})
    for name, value in headers.items():
        if str(name).lower() == "content-type" and isinstance(value, str):
            media_type, sep, parameters = value.partition(";")
            headers[name] = media_type.strip().lower() + sep + parameters
    return {**event, "headers": headers}


def parse_json(text: str) -> Any:
    """The JSON body; a JSONDecodeError (a 400) for one nested deeper than the parser follows,
    instead of a RecursionError out of the handler."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def lambda_answer(error: SmsgateError) -> dict[str, Any]:
    """An HTTP API (payload 2.0) answer for a request refused before the resolver saw it."""
    headers = {"Content-Type": "application/json"}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return {
        "statusCode": error.status,
        "headers": headers,
        "body": json.dumps(error.body()),
        "isBase64Encoded": False,
        "cookies": [],
    }
