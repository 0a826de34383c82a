"""The words smsgate's data uses for states, statuses and kinds: one home for each.

Plain `Literal` types and constants, with no pydantic: the pure policy imports them at the cold
start of handlers that build no model (the carrier webhooks), and the models type their
fields with them.
"""

from typing import Final, Literal

LocationStatus = Literal["active", "warned", "suspended"]
DndState = Literal["none", "temporary", "permanent"]
ConsentState = Literal["none", "opted_in", "opted_out"]
MessageKind = Literal["conversation", "bulk", "workflow", "campaign", "reply"]
# `scheduled` comes before `queued` (send_at, quiet hours, a deferral over the daily limit) and
# `canceled` ends a scheduled message its sender took back (docs/scheduling.md#statuses).
MessageStatus = Literal["scheduled", "queued", "sent", "delivered", "undelivered", "failed", "canceled"]
# Why a message was scheduled (docs/scheduling.md#statuses).
ScheduleReason = Literal["send_at", "quiet_hours", "daily_limit"]
# The statuses a carrier's receipt reports (a message is `queued` only before its first).
ReceiptStatus = Literal["sent", "delivered", "undelivered", "failed"]
# A status past which a message never moves (docs/receipts.md).
FINAL_STATUSES: Final[frozenset[str]] = frozenset({"delivered", "undelivered", "failed"})
# What a contact's reply asks for, whether we read it or the carrier did.
ReplyKind = Literal["opt_out", "opt_in", "help"]
# How a free-text reply that asks to stop is treated (docs/inbound.md).
RevocationMode = Literal["keywords", "reasonable_means"]
CarrierName = Literal["simulator", "twilio", "aws"]
Encoding = Literal["GSM-7", "UCS-2"]
