"""A message waiting in the schedule for its minute (docs/scheduling.md)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from smsgate.models.vocabulary import ScheduleReason, WhenOverLimit

ScheduleState = Literal["scheduled", "released", "canceled"]


class ScheduledMessage(BaseModel):
    """What the release needs to gate and queue a message again without reading the message: the
    body as it will go (decorated when it was scheduled) and whether it introduces the sender."""

    # defer_build: pydantic builds the validator at the first use, not at import (cold start).
    model_config = ConfigDict(frozen=True, defer_build=True)

    message_id: str
    location_id: str
    from_number: str
    to: str
    body: str
    kind: str
    segments: int
    due_at: datetime
    reason: ScheduleReason
    expires_in: int | None = None
    when_over_limit: WhenOverLimit = "fail"
    # The body carries the location's introduction: the contact is introduced once it is sent.
    introduces: bool = False
    state: ScheduleState = "scheduled"
