"""Delivery receipts: status order and the DND a carrier error implies (docs/policy.md#delivery-receipts)."""

from datetime import datetime
from typing import Literal

from smsgate.models.vocabulary import DndState
from smsgate.policy.receipt_mapping import (
    BLOCKED_BY_CONTACT,
    LANDLINE,
    UNKNOWN_DESTINATION,
    UNREACHABLE,
    UNSUBSCRIBED_RECIPIENT,
)

# FINAL_STATUSES is named here too: the receipts service and the DAL read it from this module.

# A status only moves forward; the first final status is the last word.
_STATUS_RANK: dict[str, int] = {"queued": 0, "sent": 1, "delivered": 2, "undelivered": 2, "failed": 2}

# Error code → DND on the contact: the table of
# docs/receipt-mapping.md#error-codes-and-the-dnd-they-imply, each code with its reason.
_DND_BY_ERROR: dict[int, Literal["temporary", "permanent"]] = {
    UNREACHABLE: "temporary",  # handset off or out of service
    BLOCKED_BY_CONTACT: "permanent",  # the contact blocks SMS / DND enabled
    UNKNOWN_DESTINATION: "temporary",  # unknown or inactive number
    LANDLINE: "temporary",  # landline or unreachable carrier
    UNSUBSCRIBED_RECIPIENT: "permanent",  # the contact replied STOP to the carrier itself
}


# Carrier codes that say the *sending number* is not registered for the traffic it carries:
# Twilio 30034 (US A2P 10DLC, message from an unregistered number) and 30032 (toll-free number
# not verified). The number is refused at the gate until the operator records the campaign's
# numbers again (docs/carrier-codes.md#unregistered-numbers).
_UNREGISTERED_SENDER: frozenset[int] = frozenset({30032, 30034})


def unregisters_sender(code: int | None) -> bool:
    """True when a receipt's error code says the sending number is not registered."""
    return code is not None and code in _UNREGISTERED_SENDER


# Codes that report the contact's own opt-out at the carrier (it refused the send because the
# contact had replied STOP to it): a permanent DND, and no error of the location's, so neither
# the send nor its failure counts in the audit (docs/receipts.md#dnd-from-error-codes).
_CONTACT_OPTED_OUT: frozenset[int] = frozenset({UNSUBSCRIBED_RECIPIENT})


def is_audited(code: int | None) -> bool:
    """False for a failure that is the contact's opt-out at the carrier, which no rate counts."""
    return code not in _CONTACT_OPTED_OUT


def status_moves_forward(current: str, new: str) -> bool:
    """True when `new` may replace `current` (never backwards, never past a final status)."""
    return _STATUS_RANK[new] > _STATUS_RANK[current]


def dnd_for_error(code: int | str | None) -> Literal["temporary", "permanent"] | None:
    """The DND a receipt's error code puts on the contact, if any."""
    if code is None or code == "":
        return None
    try:
        return _DND_BY_ERROR.get(int(code))
    except (TypeError, ValueError):
        return None


def next_change_time(at: datetime, last_at: datetime | None) -> datetime:
    """The time a status change takes in the history: the carrier's, but never before the
    change it follows. Carriers' clocks and ours differ (AWS dates an event when it happened,
    we date `sent` when the carrier answered), and a history that runs backwards reads as a
    bug (docs/receipts.md#history); the carrier's own time stays in the message's receipts."""
    return at if last_at is None or at >= last_at else last_at


def dnd_to_apply(code: int | str | None, current: DndState) -> Literal["temporary", "permanent"] | None:
    """The DND a receipt that ends its message with `code` writes; None when it writes none
    (no DND for the code, or a temporary one over a permanent one)."""
    state = dnd_for_error(code)
    if state == "temporary" and current == "permanent":
        return None
    return state
