"""A message as the API shows it (`GET /v1/messages/{id}`), and taking back a scheduled one
(`DELETE /v1/messages/{id}`)."""

from datetime import datetime

from smsgate.dal import messages
from smsgate.errors import SmsgateError
from smsgate.models.message_views import MessageView
from smsgate.reasons import ReasonCode


def get_message(message_id: str) -> MessageView:
    message = messages.get_message(message_id)
    if message is None:
        raise SmsgateError(ReasonCode.MESSAGE_NOT_FOUND, f"Message '{message_id}' does not exist.")
    return MessageView.model_validate(message.to_api())


def cancel_message(message_id: str, now: datetime) -> MessageView:
    """Cancel a scheduled message: the message, now `canceled`; 409 `NOT_SCHEDULED` once its
    release has queued (or failed) it, or when it never waited (docs/scheduling.md#cancel)."""
    # Imported by the first cancel: a read does not need the schedule's service, nor a send that
    # goes now (docs/performance.md#cold-imports).
    from smsgate.services.scheduling import cancel_scheduled

    outcome = cancel_scheduled(message_id, now)
    if outcome == "not_found":
        raise SmsgateError(ReasonCode.MESSAGE_NOT_FOUND, f"Message '{message_id}' does not exist.")
    view = get_message(message_id)
    if outcome == "not_scheduled":
        raise SmsgateError(
            ReasonCode.NOT_SCHEDULED,
            "The message is not scheduled: it was released (or never waited) and can no longer be canceled.",
            details={"status": view.status},
        )
    return view
