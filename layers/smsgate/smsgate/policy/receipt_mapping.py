"""Each carrier's delivery vocabulary mapped onto our receipt statuses and error codes
(docs/policy.md#delivery-receipts).

Pure tables: no I/O, no clock. `docs/receipt-mapping.md` is the same table for humans, with the
reason for every row and the DND each code implies through `dnd_for_error`.
"""

from typing import Final, NamedTuple

from smsgate.models.vocabulary import FINAL_STATUSES, ReceiptStatus

# The Twilio-style codes of docs/receipt-mapping.md#error-codes-and-the-dnd-they-imply, plus the
# carrier-filtering code the carriers themselves use. AWS events carry no number, so they are
# translated onto these.
UNREACHABLE: Final = 30003  # temporary DND
BLOCKED_BY_CONTACT: Final = 30004  # permanent DND
UNKNOWN_DESTINATION: Final = 30005  # temporary DND
LANDLINE: Final = 30006  # temporary DND
CARRIER_FILTERED: Final = 30007  # nothing: the content, not the contact, was refused
UNKNOWN_ERROR: Final = 30008  # nothing
REGION_NOT_ENABLED: Final = 21408  # nothing: our own sending configuration refused it
# Twilio's "Attempt to send to unsubscribed recipient": the contact replied STOP to this number
# at the carrier, which now refuses every send to them. It is an opt-out we did not see
# (docs/policy.md#dnd), so the `failed` receipt it becomes puts a permanent DND (`dnd_for_error`).
UNSUBSCRIBED_RECIPIENT: Final = 21610  # permanent DND

# Only a message that did not arrive carries an error: a success reported with a code
# would otherwise put a DND on a contact who received the message.
_STATUSES_WITH_ERROR: Final[frozenset[str]] = frozenset({"undelivered", "failed"})


class ReceiptOutcome(NamedTuple):
    """What a carrier's event means for the message: `status` None is not a receipt we record."""

    status: ReceiptStatus | None
    error_code: int | None = None


NOT_A_RECEIPT: Final = ReceiptOutcome(None, None)

# AWS End User Messaging SMS `eventType` (the documented TEXT_* list). docs/policy.md#delivery-receipts:
# `sent` is "no carrier answer yet"; `failed` is "never handed to the carrier"; `undelivered` is a
# carrier's refusal.
AWS_EVENT_OUTCOMES: Final[dict[str, ReceiptOutcome]] = {
    # Accepted by AWS or on its way to the carrier: no carrier answer yet.
    "TEXT_SENT": ReceiptOutcome("sent"),
    "TEXT_QUEUED": ReceiptOutcome("sent"),
    "TEXT_PENDING": ReceiptOutcome("sent"),
    # AWS uses SUCCESSFUL and DELIVERED interchangeably depending on the destination country.
    "TEXT_SUCCESSFUL": ReceiptOutcome("delivered"),
    "TEXT_DELIVERED": ReceiptOutcome("delivered"),
    # AWS reports UNKNOWN when no final answer came within 72 hours;
    # docs/receipts.md#final-and-non-final-receipts says such a message is not counted as an error,
    # so it stays `sent` and carries no code.
    "TEXT_UNKNOWN": ReceiptOutcome("sent"),
    # The handset is off or out of coverage / the recipient's network is failing for now:
    # 30003, "unreachable handset, out of service"
    # (docs/receipt-mapping.md#error-codes-and-the-dnd-they-imply).
    "TEXT_UNREACHABLE": ReceiptOutcome("undelivered", UNREACHABLE),
    "TEXT_CARRIER_UNREACHABLE": ReceiptOutcome("undelivered", UNREACHABLE),
    # The destination number is invalid: "number does not exist" (30005).
    "TEXT_INVALID": ReceiptOutcome("undelivered", UNKNOWN_DESTINATION),
    # AWS separates a block on the recipient (device or carrier refuses messages *to that
    # recipient*) from a block on the content (TEXT_CARRIER_BLOCKED, TEXT_SPAM). The first is
    # the contact's own "does not want SMS", so it is 30004 and a permanent DND.
    "TEXT_BLOCKED": ReceiptOutcome("undelivered", BLOCKED_BY_CONTACT),
    "TEXT_CARRIER_BLOCKED": ReceiptOutcome("undelivered", CARRIER_FILTERED),
    "TEXT_SPAM": ReceiptOutcome("undelivered", CARRIER_FILTERED),
    # Time ran out without telling why (a handset off for days, or a backlog before the
    # carrier): a DND on an unknown cause would silence reachable contacts.
    "TEXT_TTL_EXPIRED": ReceiptOutcome("undelivered", UNKNOWN_ERROR),
    # Refused by AWS itself before any carrier saw it (bad body, our own Protect
    # configuration): the message, not the contact, is at fault. The codes are the ones the
    # AWS adapter gives the same refusals at send time (`carriers/aws_eum.py`).
    "TEXT_INVALID_MESSAGE": ReceiptOutcome("failed", UNKNOWN_ERROR),
    "TEXT_PROTECT_BLOCKED": ReceiptOutcome("failed", REGION_NOT_ENABLED),
}

# Twilio `MessageStatus`. Twilio's own `ErrorCode` is taken as given (it already speaks the
# codes of docs/receipt-mapping.md#error-codes-and-the-dnd-they-imply).
TWILIO_STATUS_OUTCOMES: Final[dict[str, ReceiptStatus | None]] = {
    # Still with Twilio or on its way to the carrier: no carrier answer yet.
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    # A read receipt or a partial delivery both prove the handset answered.
    "read": "delivered",
    "partially_delivered": "delivered",
    "undelivered": "undelivered",
    # Twilio could not hand it to the carrier, or the message was cancelled before sending.
    "failed": "failed",
    "canceled": "failed",
    # Statuses of messages *received* by our numbers: never a receipt of one we sent.
    "receiving": None,
    "received": None,
}


def error_code_for(status: ReceiptStatus | None, code: int | None) -> int | None:
    """The error code a receipt keeps: only a message that did not arrive has one."""
    return code if status in _STATUSES_WITH_ERROR else None


def not_final(outcome: ReceiptOutcome) -> ReceiptOutcome:
    """What a receipt the carrier marks not final means: the message is still on its way.

    AWS reports a carrier's acceptance as `TEXT_SUCCESSFUL` with `isFinal: false` and the
    handset's answer, for up to 72 hours, later; a temporary failure it still retries is not
    final either. Such a receipt never ends the message, so the final one that follows still
    decides it, its DND and its count (docs/receipts.md#final-and-non-final-receipts).
    """
    if outcome.status is None:
        return outcome
    return ReceiptOutcome("sent")


# AWS's `messageStatus` of a text it did not send because the destination is on the number's
# opt-out list (the contact replied STOP to AWS): the carrier's opt-out, whatever the event type.
AWS_OPTED_OUT_STATUS: Final = "OPTED_OUT"


def aws_receipt_outcome(
    event_type: str, is_final: bool = True, message_status: str | None = None
) -> ReceiptOutcome:
    """Our status and error code for an AWS End User Messaging SMS `eventType`, `isFinal` and
    `messageStatus`."""
    outcome = AWS_EVENT_OUTCOMES.get(event_type, NOT_A_RECEIPT)
    if outcome.status is not None and message_status == AWS_OPTED_OUT_STATUS:
        return ReceiptOutcome("failed", UNSUBSCRIBED_RECIPIENT)
    return outcome if is_final else not_final(outcome)


def twilio_is_final(message_status: str) -> bool:
    """Twilio marks no receipt final: a status past which Twilio sends no other is one."""
    return TWILIO_STATUS_OUTCOMES.get(message_status) in FINAL_STATUSES


def twilio_receipt_outcome(message_status: str, error_code: int | None) -> ReceiptOutcome:
    """Our status for a Twilio `MessageStatus`, with Twilio's `ErrorCode` when it failed."""
    status = TWILIO_STATUS_OUTCOMES.get(message_status)
    return ReceiptOutcome(status, error_code_for(status, error_code))
