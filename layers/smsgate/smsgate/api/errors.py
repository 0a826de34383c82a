"""One place that turns exceptions into HTTP answers `{"error": {"code", "message", ...}}` (STYLE rule 5)."""

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import BotoCoreError, ClientError

from smsgate.errors import SmsgateError, StorageUnavailable
from smsgate.observability import logger
from smsgate.reasons import HTTP_STATUS, ReasonCode

# What boto3 raises when AWS fails or refuses: the resolver answers them with `aws_error_response`.
AwsError = ClientError | BotoCoreError
AWS_ERRORS: list[type[Exception]] = [ClientError, BotoCoreError]

_RETRYABLE_AWS_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionCanceledException",
    }
)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, default=str),
        headers=headers or {},
    )


def error_response(error: SmsgateError) -> Response[str]:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else {}
    return json_response(error.status, error.body(), headers)


def field_name(location: tuple[Any, ...] | list[Any]) -> str:
    """The dotted name of the field a problem is about: its place in the body, the query or the
    path, without the place itself (`("body", "body")` is the message's `body` field)."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(str(part) for part in parts)


def validation_response(exc: RequestValidationError) -> Response[str]:
    for problem in exc.errors():
        if problem.get("type") == "json_invalid":
            reason = (problem.get("ctx") or {}).get("error")
            return json_response(
                int(HTTP_STATUS[ReasonCode.VALIDATION_ERROR]),
                {
                    "error": {
                        "code": str(ReasonCode.VALIDATION_ERROR),
                        "message": "The request body is not valid JSON" + (f": {reason}." if reason else "."),
                    }
                },
            )
    problems = [
        {
            "field": field_name(problem.get("loc", ())),
            "problem": str(problem.get("msg", problem.get("type", "invalid"))),
        }
        for problem in exc.errors()
    ]
    message = (
        "; ".join(f"{item['field'] or 'body'}: {item['problem']}" for item in problems) or "Invalid request."
    )
    return json_response(
        int(HTTP_STATUS[ReasonCode.VALIDATION_ERROR]),
        {"error": {"code": str(ReasonCode.VALIDATION_ERROR), "message": message, "fields": problems}},
    )


def undecodable_body_response(exc: UnicodeDecodeError) -> Response[str]:
    """A body that is not UTF-8 cannot be JSON: a 400 like any invalid body
    (docs/api.md#every-request-gets-an-answer),
    not a crash of the handler (powertools decodes the body before validating it; found by
    tests/e2e/test_fuzz.py)."""
    return json_response(
        int(HTTP_STATUS[ReasonCode.VALIDATION_ERROR]),
        {
            "error": {
                "code": str(ReasonCode.VALIDATION_ERROR),
                "message": f"The request body is not valid UTF-8 (byte {exc.start}).",
            }
        },
    )


def internal_error_response(exc: Exception) -> Response[str]:
    """A bug of ours: logged with its trace, answered 500 in the error format (never a dropped
    connection or the platform's own page)."""
    logger.exception("unhandled error", extra={"error": type(exc).__name__})
    return error_response(SmsgateError(ReasonCode.INTERNAL_ERROR, "Internal error."))


def aws_error_response(exc: AwsError) -> Response[str]:
    """AWS throttling or failure: answer 503 with Retry-After and decide nothing
    (docs/guarantees.md#nothing-lost-nothing-twice)."""
    code = (
        exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else type(exc).__name__
    )
    if isinstance(exc, ClientError) and code not in _RETRYABLE_AWS_ERRORS:
        logger.exception("unexpected AWS error", extra={"aws_error": code})
        return error_response(SmsgateError(ReasonCode.INTERNAL_ERROR, "Internal error; nothing was sent."))
    logger.warning("AWS dependency unavailable", extra={"aws_error": code})
    return error_response(StorageUnavailable())
