"""Delivery receipts: status order and the DND a carrier error implies (SPEC section 7)."""

from typing import Literal

MessageStatus = Literal["queued", "sent", "delivered", "undelivered", "failed"]
DndState = Literal["none", "temporary", "permanent"]

FINAL_STATUSES: frozenset[str] = frozenset({"delivered", "undelivered", "failed"})
# A status only moves forward; the first final status is the last word.
_STATUS_RANK: dict[str, int] = {"queued": 0, "sent": 1, "delivered": 2, "undelivered": 2, "failed": 2}

# Error code → DND on the contact. SPEC's codes exactly; the others are documented in
# the README ("Delivery receipts").
_DND_BY_ERROR: dict[int, Literal["temporary", "permanent"]] = {
    30003: "temporary",  # unreachable, handset off or out of service
    30004: "permanent",  # the contact blocks SMS / DND enabled
    30005: "temporary",  # unknown or inactive number
    30006: "temporary",  # landline or unreachable carrier
    21610: "permanent",  # the contact replied STOP to the carrier itself
}


# Carrier codes that say the *sending number* is not registered for the traffic it carries:
# Twilio 30034 (US A2P 10DLC, message from an unregistered number) and 30032 (toll-free number
# not verified). The number is refused at the gate until the operator records the campaign's
# numbers again (docs/carrier-codes.md#unregistered-numbers).
_UNREGISTERED_SENDER: frozenset[int] = frozenset({30032, 30034})


def unregisters_sender(code: int | None) -> bool:
    """True when a receipt's error code says the sending number is not registered."""
    return code is not None and code in _UNREGISTERED_SENDER


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
