"""Consent, decoration and the gate's pure checks (docs/policy.md#the-gate-order)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from smsgate.models.entities import Consent, Contact, Dnd, Location
from smsgate.policy import gate
from smsgate.policy.bulk import bulk_granted
from smsgate.policy.consent import has_consent, is_acquired_list
from smsgate.policy.decoration import decorate, mentions_opt_out, needs_introduction
from smsgate.policy.refusal import Refusal
from smsgate.policy.registration import check_registration, fitting
from smsgate.reasons import DND_MESSAGE, HTTP_STATUS, ReasonCode

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
LOCATION = Location(location_id="loc", name="Bright Smiles", created_at=NOW, numbers=("+12025550100",))


def contact(**changes: object) -> Contact:
    return Contact(location_id="loc", phone="+12025550143").model_copy(update=changes)


@pytest.mark.parametrize(
    "source",
    [
        "purchased",
        "Bought list",
        "purchased_list",
        "sold",
        "list exchange",
        "exchanged",
        "rented list",
        "third-party list",
        "lead vendor",
    ],
)
def test_acquired_lists_never_count(source: str) -> None:
    assert is_acquired_list(source)
    opted_in = contact(consent=Consent(state="opted_in", source=source, captured_at=NOW))
    refusal = gate.check_consent(opted_in, "bulk", NOW, DAY)
    assert refusal is not None and refusal.code == ReasonCode.NO_CONSENT
    assert "bought, sold or exchanged" in refusal.message


@pytest.mark.parametrize("source", ["web_form", "keyword", "paper form at front desk", "checkout checkbox"])
def test_direct_opt_ins_count(source: str) -> None:
    assert not is_acquired_list(source)
    assert has_consent(contact(consent=Consent(state="opted_in", source=source)), "bulk", NOW, DAY)


def test_a_conversation_reply_within_24h_of_the_contacts_message_is_responsive() -> None:
    wrote = contact(last_inbound_at=NOW - timedelta(hours=23, minutes=59))
    assert gate.check_consent(wrote, "conversation", NOW, DAY) is None
    assert gate.check_consent(wrote, "bulk", NOW, DAY) is not None  # only one-to-one replies
    late = contact(last_inbound_at=NOW - timedelta(hours=24, seconds=1))
    assert gate.check_consent(late, "conversation", NOW, DAY) is not None


def test_an_opted_out_contact_is_never_responsive() -> None:
    revoked = contact(consent=Consent(state="opted_out", source="keyword"), last_inbound_at=NOW)
    assert gate.check_consent(revoked, "conversation", NOW, DAY) is not None


def test_dnd_refusal_carries_the_products_message() -> None:
    for state in ("temporary", "permanent"):
        refusal = gate.check_dnd(contact(dnd=Dnd(state=state)))  # type: ignore[arg-type]
        assert (
            refusal is not None and refusal.code == ReasonCode.DND_ACTIVE and refusal.message == DND_MESSAGE
        )
    assert gate.check_dnd(contact()) is None


def test_sender_and_suspension() -> None:
    assert gate.check_sender(LOCATION, "+12025550100") is None
    refusal = gate.check_sender(LOCATION, "+12025550199")
    assert refusal is not None and refusal.code == ReasonCode.NUMBER_NOT_OWNED
    suspended = LOCATION.model_copy(update={"status": "suspended", "suspended_until": NOW + DAY})
    refusal = gate.check_suspension(suspended, NOW)
    assert refusal is not None and refusal.code == ReasonCode.LOCATION_SUSPENDED
    assert gate.check_suspension(suspended, NOW + DAY) is None  # the suspension has ended


def test_first_bulk_message_gets_sender_id_and_opt_out() -> None:
    assert needs_introduction(contact(), "bulk")
    assert needs_introduction(contact(), "workflow")
    assert needs_introduction(contact(), "campaign")
    assert not needs_introduction(contact(), "conversation")
    assert not needs_introduction(contact(introduced_at=NOW), "bulk")
    assert decorate("Your visit is at 9.", LOCATION) == (
        "Your visit is at 9.\nThanks, Bright Smiles\nReply STOP to unsubscribe"
    )


def test_decoration_never_doubles_what_the_body_has() -> None:
    body = "Bright Smiles: your visit is at 9. Reply STOP to opt out."
    assert decorate(body, LOCATION) == body
    assert decorate("bright smiles reminder", LOCATION) == "bright smiles reminder\nReply STOP to unsubscribe"
    assert (
        decorate("Visit at 9. Text END to quit", LOCATION)
        == "Visit at 9. Text END to quit\nThanks, Bright Smiles"
    )


def test_custom_texts() -> None:
    custom = LOCATION.model_copy(update={"sender_text": "— {name}", "opt_out_text": "Text STOP to end"})
    assert decorate("Hi", custom) == "Hi\n— Bright Smiles\nText STOP to end"


def test_opt_out_keywords_are_words_not_fragments() -> None:
    assert mentions_opt_out("reply stop to end")
    assert not mentions_opt_out("Stopover in Denver; weekend sale")
    assert not mentions_opt_out("We will remember you")


# --- Every row of docs/policy.md#the-gate-order: the pure check refuses with its code and status
UNREGISTERED_US = "+12025550143"
ROWS: list[tuple[int, Callable[[], Refusal | None], ReasonCode, int]] = [
    (1, lambda: gate.check_segments(11), ReasonCode.VALIDATION_ERROR, 400),
    (2, lambda: gate.check_sender(LOCATION, "+12025550199"), ReasonCode.NUMBER_NOT_OWNED, 422),
    (
        3,
        lambda: gate.check_suspension(
            LOCATION.model_copy(update={"status": "suspended", "suspended_until": NOW + DAY}), NOW
        ),
        ReasonCode.LOCATION_SUSPENDED,
        403,
    ),
    (
        4,
        lambda: check_registration(LOCATION, "+12025550100", UNREGISTERED_US),
        ReasonCode.NOT_REGISTERED,
        422,
    ),
    (
        5,
        lambda: gate.check_dnd(contact(dnd=Dnd(state="temporary", error_code=30003))),
        ReasonCode.DND_ACTIVE,
        422,
    ),
    (6, lambda: gate.check_consent(contact(), "bulk", NOW, DAY), ReasonCode.NO_CONSENT, 422),
    (
        7,
        lambda: gate.check_content_policy("Online casino bonus, bet now", None),
        ReasonCode.PROHIBITED_CONTENT,
        422,
    ),
    (
        8,
        lambda: gate.check_content_policy("Win big at our c4s1n0 tonight", None),
        ReasonCode.FILTER_EVASION,
        422,
    ),
    (9, lambda: gate.check_snowshoeing(False, 3, DAY), ReasonCode.SNOWSHOEING, 422),
]


@pytest.mark.parametrize(("row", "check", "code", "status"), ROWS, ids=[f"row {row[0]}" for row in ROWS])
def test_every_row_of_the_checks_table_refuses_with_its_code(
    row: int, check: Callable[[], Refusal | None], code: ReasonCode, status: int
) -> None:
    refusal = check()
    assert refusal is not None, f"row {row} let the message through"
    assert refusal.code == code and HTTP_STATUS[code] == status
    assert refusal.message


def test_row_7_names_the_category() -> None:
    refusal = gate.check_content_policy("Online casino bonus, bet now", None)
    assert refusal is not None and refusal.details["category"] == "gambling"


def test_row_10_grants_nothing_past_the_daily_limit_or_the_low_volume_cap() -> None:
    assert bulk_granted(1, 250, 250) == 0 and bulk_granted(5, 250, 248) == 2
    assert HTTP_STATUS[ReasonCode.DAILY_LIMIT_REACHED] == HTTP_STATUS[ReasonCode.VOLUME_CAP_REACHED] == 429
    # 6,000 segments a day for a low-volume brand: a 3-segment message does not fit in 2 left.
    assert fitting([3, 3], 5) == 1 and fitting([3], 2) == 0
