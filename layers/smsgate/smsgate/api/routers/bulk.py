"""Bulk: gate and queue many messages in one request (docs/policy.md#bulk)."""

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smsgate.api import contract
from smsgate.api.params import new_router
from smsgate.api.routers.messages import send_once
from smsgate.models.message_views import BulkAnswer
from smsgate.models.requests import BulkSendRequest
from smsgate.services.idempotency import Answer


def router() -> APIGatewayHttpRouter:
    """The bulk route."""
    routes = new_router()
    _send_many(routes)
    return routes


def _send_many(routes: APIGatewayHttpRouter) -> None:
    @routes.post(
        "/v1/messages/bulk",
        operation_id="send_bulk",
        summary="Gate and queue many messages",
        responses=contract.answers(
            {
                200: contract.success(BulkAnswer, "A preview: what would be accepted, nothing sent"),
                202: contract.success(BulkAnswer, "Accepted and queued, recipient by recipient"),
                429: {**contract.error(429), "content": {contract.JSON: {"model": BulkAnswer}}},
            },
            404,
            409,
            422,
            body=True,
        ),
    )
    def post_bulk(request: Annotated[BulkSendRequest, Body()]) -> Response[str]:
        # Loaded by the first bulk request, not with the routes included after the single send's:
        # a read or a registration call need not pay for it (docs/performance.md#cold-imports).
        from smsgate.services import bulk_sending

        def gate_many(now: datetime) -> Answer:
            outcome = bulk_sending.send_bulk(request, now)
            status, headers = bulk_sending.bulk_status(outcome, request.preview, now)
            answer = bulk_sending.bulk_answer(outcome, request.preview)
            return status, answer.model_dump(mode="json", by_alias=True, exclude_unset=True), headers

        # A preview sends nothing: it is answered afresh each time.
        key = None if request.preview else request.idempotency_key
        return send_once(routes, "bulk", request, key, gate_many)
