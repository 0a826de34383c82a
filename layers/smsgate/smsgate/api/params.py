"""What the routes read besides their body: the path parameters' types and the caller (the
request's instant: `smsgate.api.request_time`)."""

from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smsgate.api.access import principal_of
from smsgate.errors import SmsgateError
from smsgate.models.phone import E164_PATTERN, strict_e164
from smsgate.models.requests import LOCATION_ID_PATTERN
from smsgate.reasons import ReasonCode

LocationId = Annotated[str, Path(pattern=LOCATION_ID_PATTERN, description="The location's id")]
Phone = Annotated[
    str,
    Path(
        description="The contact's number, E.164 (URL-encode the '+': %2B)",
        json_schema_extra={"pattern": E164_PATTERN},
    ),
]


def new_router() -> APIGatewayHttpRouter:
    """An empty router of HTTP API routes (powertools' constructor is not typed)."""
    return APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def caller(router: APIGatewayHttpRouter) -> str:
    """Who made the request, for the consent ledger's actor (the IAM caller when deployed)."""
    return principal_of(router.current_event) or "api"


def phone_param(raw: str) -> str:
    """A phone number of the path or the query, URL-decoded and checked as E.164."""
    try:
        return strict_e164(unquote(raw))
    except ValueError as exc:
        raise SmsgateError(
            ReasonCode.VALIDATION_ERROR,
            f"phone {exc}",
            details={"fields": [{"field": "phone", "problem": str(exc)}]},
        ) from exc
