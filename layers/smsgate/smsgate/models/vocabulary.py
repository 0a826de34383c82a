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
# `scheduled` comes before `queued` (send_at, quiet hours, a deferral over a daily cap) and
# `canceled` ends a scheduled message its sender took back (docs/scheduling.md#statuses).
MessageStatus = Literal["scheduled", "queued", "sent", "delivered", "undelivered", "failed", "canceled"]
# Why a message was scheduled (docs/scheduling.md#statuses): `daily_limit` and `brand_cap` wait
# for the reset of the location's daily limit or of its brand's T-Mobile cap.
ScheduleReason = Literal["send_at", "quiet_hours", "daily_limit", "same_subject", "brand_cap"]
OverLimitReason = Literal["daily_limit", "brand_cap"]
# What happens to a message the recipient's quiet hours hold (docs/quiet-hours.md).
QuietHoursAction = Literal["defer", "refuse"]
# What a send does with what the daily limit or the brand's T-Mobile cap stops: fail it, or
# schedule it for that cap's reset (docs/scheduling.md#deferral-over-the-limit).
WhenOverLimit = Literal["fail", "defer"]
# The statuses a carrier's receipt reports (a message is `queued` only before its first).
ReceiptStatus = Literal["sent", "delivered", "undelivered", "failed"]
# A status past which a carrier's receipt never moves a message (docs/receipts.md). `canceled`
# is not here: no receipt ever comes for a message that never left (docs/scheduling.md#cancel).
FINAL_STATUSES: Final[frozenset[str]] = frozenset({"delivered", "undelivered", "failed"})
# What a contact's reply asks for, whether we read it or the carrier did.
ReplyKind = Literal["opt_out", "opt_in", "help"]
# How a free-text reply that asks to stop is treated (docs/inbound.md).
RevocationMode = Literal["keywords", "reasonable_means"]
CarrierName = Literal["simulator", "twilio", "aws"]
Encoding = Literal["GSM-7", "UCS-2"]
