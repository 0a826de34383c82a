"""A message waiting in the schedule for its minute (docs/scheduling.md)."""

from datetime import datetime
from typing import Literal, Self

from smsgate.models.entities import Message
from smsgate.models.outbound import OutboundMessage
from smsgate.models.vocabulary import ScheduleReason, WhenOverLimit

ScheduleState = Literal["scheduled", "released", "canceled"]


class ScheduledMessage(OutboundMessage):
    """What the release needs to gate and queue a message again without reading the message: the
    body as it will go (decorated when it was scheduled) and whether it introduces the sender."""

    kind: str
    segments: int
    due_at: datetime
    reason: ScheduleReason
    expires_in: int | None = None
    when_over_limit: WhenOverLimit = "fail"
    # The body carries the location's introduction: the contact is introduced once it is sent.
    introduces: bool = False
    state: ScheduleState = "scheduled"

    @classmethod
    def of(
        cls,
        message: Message,
        reason: ScheduleReason,
        expires_in: int | None,
        when_over_limit: WhenOverLimit,
        introduces: bool,
    ) -> Self:
        """The schedule's entry of a message just recorded `scheduled` for its minute."""
        assert message.scheduled_for is not None
        return cls(
            **OutboundMessage.addressing_of(message),
            kind=message.kind,
            segments=message.segments,
            due_at=message.scheduled_for,
            reason=reason,
            expires_in=expires_in,
            when_over_limit=when_over_limit,
            introduces=introduces,
        )
