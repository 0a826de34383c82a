"""Who may act on which location: the one place the API asks (the caller's grants and the
decision: `smsgate.services.access`; docs/guarantees.md#who-may-act-on-which-location).

Routes with `{location_id}` in their path are checked by `location_access`, a global middleware,
before the route runs; the routes naming their location elsewhere (`POST /v1/messages` and
`…/bulk` in the body, `GET /v1/messages/{id}` through the message) call `require_access`.
Operator routes add `operators_only`. The carrier webhooks are not served here: they run in
their own function (`functions/carrier_webhooks`) and verify the carrier's signature instead.
"""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from smsgate.errors import SmsgateError
from smsgate.observability import logger
from smsgate.reasons import ReasonCode
from smsgate.services import access as access_service


def principal_of(event: APIGatewayProxyEventV2) -> str | None:
    """The IAM principal API Gateway's IAM authorizer verified; None on an unsigned request."""
    iam = event.request_context.authorizer.iam
    return iam.user_arn or iam.caller_id or None


def _refusal(
    event: APIGatewayProxyEventV2, location_id: str | None, *, operator: bool
) -> tuple[ReasonCode, str] | None:
    return access_service.refusal(principal_of(event), location_id, operator=operator)


def may_access(event: APIGatewayProxyEventV2, location_id: str) -> bool:
    """Whether the request's caller may act on `location_id` (no refusal raised)."""
    return _refusal(event, location_id, operator=False) is None


def is_operator(event: APIGatewayProxyEventV2) -> bool:
    """Whether the request's caller holds the operator grant (the anonymous local caller does)."""
    return _refusal(event, None, operator=True) is None


def require_access(event: APIGatewayProxyEventV2, location_id: str | None, *, operator: bool = False) -> None:
    """Raise the 403 when the request's caller may not act on `location_id` (or, for an operator
    route, is not an operator)."""
    refusal = _refusal(event, location_id, operator=operator)
    if refusal is not None:
        principal = principal_of(event)
        code, message = refusal
        logger.warning(
            "access refused", extra={"reason": str(code), "principal": principal, "location_id": location_id}
        )
        raise SmsgateError(code, message)


# The operator's routes (template.yaml route keys): they need the operator grant instead of
# access to the location they name. A route missing here needs both: it fails closed.
OPERATOR_ROUTE_KEYS = frozenset(
    {
        "PUT /v1/locations/{location_id}/brand/decision",
        "PUT /v1/locations/{location_id}/campaign/decision",
        "DELETE /v1/locations/{location_id}/suspension",
        "PUT /v1/locations/{location_id}/short-codes",
        "GET /v1/locations",
    }
)


def location_access(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[str]:
    """Global middleware: every route needs a caller, and one allowed the `{location_id}` of its
    path when it has one (an operator route: the operator grant instead)."""
    event = app.current_event
    operator = event.route_key in OPERATOR_ROUTE_KEYS
    require_access(event, (event.path_parameters or {}).get("location_id"), operator=operator)
    return next_middleware(app)


def operators_only(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[str]:
    """Route middleware of the operator routes (the carriers' decisions, lifting a suspension,
    the list of every location)."""
    event = app.current_event
    require_access(event, (event.path_parameters or {}).get("location_id"), operator=True)
    return next_middleware(app)
