"""A message's status: read it with its status history, cancel it while it is scheduled
(docs/scheduling.md#cancel)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smsgate.api import contract
from smsgate.api.access import may_access
from smsgate.api.params import new_router
from smsgate.api.request_time import request_now
from smsgate.errors import SmsgateError
from smsgate.models.message_views import MessageView
from smsgate.reasons import ReasonCode
from smsgate.services import messages as messages_service


def router() -> APIGatewayHttpRouter:
    """The routes of one message."""
    routes = new_router()
    _read_one(routes)
    _cancel_one(routes)
    return routes


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
