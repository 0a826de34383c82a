"""A message as the API shows it (`GET /v1/messages/{id}`)."""

from smsgate.dal import messages
from smsgate.errors import SmsgateError
from smsgate.models.responses import MessageView
from smsgate.reasons import ReasonCode


def get_message(message_id: str) -> MessageView:
    message = messages.get_message(message_id)
    if message is None:
        raise SmsgateError(ReasonCode.MESSAGE_NOT_FOUND, f"Message '{message_id}' does not exist.")
    return MessageView.model_validate(message.to_api())
