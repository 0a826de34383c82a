"""Messages: send one, send many, read one with its status history."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smsgate.api import contract
from smsgate.api.access import may_access, require_access
from smsgate.api.errors import json_response
from smsgate.api.params import new_router
from smsgate.api.request_time import request_now
from smsgate.errors import SmsgateError
from smsgate.models.requests import BulkSendRequest, SendMessageRequest
from smsgate.models.responses import BulkAnswer, MessageView, SendAccepted
from smsgate.reasons import ReasonCode
from smsgate.services import messages as messages_service
from smsgate.services import sending
from smsgate.services.idempotency import Answer, answer_once, request_hash


def router() -> APIGatewayHttpRouter:
    """The message routes."""
    routes = new_router()
    _send_one(routes)
    _send_many(routes)
    _read_one(routes)
    _cancel_one(routes)
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

        return _answer_once(routes, "send", request, request.idempotency_key, gate_one)


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
        # Loaded by the first bulk request: most instances answer single sends and reads only,
        # and their cold start need not pay for it (docs/performance.md#cold-imports).
        from smsgate.services import bulk_sending

        def gate_many(now: datetime) -> Answer:
            outcome = bulk_sending.send_bulk(request, now)
            status, headers = bulk_sending.bulk_status(outcome, request.preview, now)
            answer = bulk_sending.bulk_answer(outcome, request.preview)
            return status, answer.model_dump(mode="json", by_alias=True, exclude_unset=True), headers

        # A preview sends nothing: it is answered afresh each time.
        key = None if request.preview else request.idempotency_key
        return _answer_once(routes, "bulk", request, key, gate_many)


def _answer_once(
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


def _read_one(routes: APIGatewayHttpRouter) -> None:
    @routes.get(
        "/v1/messages/<message_id>",
        operation_id="get_message",
        summary="A message and its status history",
        responses=contract.answers({200: contract.success(MessageView, "The message")}, 404),
    )
    def get_message(message_id: Annotated[str, Path(max_length=128)]) -> MessageView:
        message = messages_service.get_message(message_id)
        # Another tenant's message is answered as an unknown id: its existence is not told.
        if not may_access(routes.current_event, message.location_id):
            raise SmsgateError(ReasonCode.MESSAGE_NOT_FOUND, f"Message '{message_id}' does not exist.")
        return message


def _cancel_one(routes: APIGatewayHttpRouter) -> None:
    @routes.delete(
        "/v1/messages/<message_id>",
        operation_id="cancel_message",
        summary="Cancel a scheduled message",
        responses=contract.answers({200: contract.success(MessageView, "The message, canceled")}, 404, 409),
    )
    def delete_message(message_id: Annotated[str, Path(max_length=128)]) -> MessageView:
        message = messages_service.get_message(message_id)
        # Another tenant's message is answered as an unknown id, as when it is read.
        if not may_access(routes.current_event, message.location_id):
            raise SmsgateError(ReasonCode.MESSAGE_NOT_FOUND, f"Message '{message_id}' does not exist.")
        return messages_service.cancel_message(message_id, request_now(routes))
