"""Messages: send one. The routes that send many (`smsgate.api.routers.bulk`) and that read or
cancel one (`smsgate.api.routers.message_status`) are included at the first request of theirs
(docs/performance.md#cold-imports)."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smsgate.api import contract
from smsgate.api.access import require_access
from smsgate.api.errors import json_response
from smsgate.api.params import new_router
from smsgate.api.request_time import request_now
from smsgate.models.requests import BulkSendRequest, SendMessageRequest
from smsgate.models.responses import SendAccepted
from smsgate.services import sending
from smsgate.services.idempotency import Answer, answer_once, request_hash


def router() -> APIGatewayHttpRouter:
    """The single send's route."""
    routes = new_router()
    _send_one(routes)
    return routes


def _send_one(routes: APIGatewayHttpRouter) -> None:
    @routes.post(
        "/v1/messages",
        operation_id="send_message",
        summary="Gate and queue one message",
        responses=contract.answers(
            {202: contract.success(SendAccepted, "Accepted: queued, or scheduled to go later")},
            404,
            409,
            422,
            429,
            body=True,
        ),
    )
    def post_message(request: Annotated[SendMessageRequest, Body()]) -> Response[str]:
        def gate_one(now: datetime) -> Answer:
            message = sending.send_message(request, now)
            accepted = SendAccepted.model_validate(
                {
                    "message_id": message.message_id,
                    "status": message.status,
                    "body": message.body,
                    "segments": message.segments,
                    "encoding": message.encoding,
                    **sending.accepted_fields(message),
                    **sending.warnings_field(request.body),
                }
            )
            return 202, accepted.model_dump(mode="json", by_alias=True, exclude_unset=True), {}

        return send_once(routes, "send", request, request.idempotency_key, gate_one)


def send_once(
    routes: APIGatewayHttpRouter,
    kind: str,
    request: SendMessageRequest | BulkSendRequest,
    idempotency_key: str | None,
    gate: Callable[[datetime], Answer],
) -> Response[str]:
    """Gate a send for a caller allowed its location, once per idempotency key: a retry with
    the same key and body gets the first answer again (`smsgate.services.idempotency`)."""
    require_access(routes.current_event, request.location_id)
    now = request_now(routes)
    digest = request_hash(kind, request)
    return json_response(*answer_once(request.location_id, idempotency_key, digest, now, lambda: gate(now)))
