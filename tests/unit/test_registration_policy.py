"""10DLC registration as pure policy (docs/registration.md): the state machine, the
one-submission rule, which destinations need registration, what the gate says is missing, the
low-volume cap and the request models' validation."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from smsgate.models.entities import Location
from smsgate.models.registration import (
    Brand,
    BrandDetails,
    BrandRequest,
    Campaign,
    CampaignDetails,
    CampaignRequest,
    DecisionRequest,
    RegistrationState,
    normalise_ein,
)
from smsgate.policy import registration as policy
from smsgate.policy.content import relaxed_categories
from smsgate.reasons import ReasonCode
from tests.registration_bodies import brand_body, campaign_body

NOW = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)
FROM = "+12025550100"

BRAND = brand_body()
# The campaign's details: what `CampaignDetails` holds (its numbers are stored beside them).
CAMPAIGN = {name: value for name, value in campaign_body(numbers=[]).items() if name != "numbers"}


def brand(state: RegistrationState = "approved", path: str = "standard") -> Brand:
    return Brand(state=state, updated_at=NOW, details=BrandDetails.model_validate({**BRAND, "path": path}))


def campaign(
    state: RegistrationState = "approved", numbers: tuple[str, ...] = (FROM,), **details: Any
) -> Campaign:
    return Campaign(
        state=state,
        updated_at=NOW,
        details=CampaignDetails.model_validate({**CAMPAIGN, **details}),
        numbers=numbers,
    )


def location(brand_: Brand | None = None, campaign_: Campaign | None = None) -> Location:
    return Location(
        location_id="loc-1",
        name="Bright Smiles",
        created_at=NOW,
        numbers=(FROM,),
        brand=brand_,
        campaign=campaign_,
    )


# --- destinations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "region"),
    [
        ("+12025550143", "US"),
        ("+17875550143", "PR"),
        ("+19395550143", "PR"),
        ("+13405550143", "VI"),
        ("+16715550143", "GU"),
        ("+16845550143", "AS"),  # no region claims it as valid: placed by its area code
        ("+16705550143", "MP"),
        ("+15555550100", "US"),  # an unassigned +1 area code: the NANP's main country
    ],
)
def test_us_and_its_territories_need_registration(to: str, region: str) -> None:
    assert policy.destination_region(to) == region
    assert policy.needs_registration(to)


@pytest.mark.parametrize(
    "to", ["+14165550143", "+18765550143", "+447700900123", "+33612345678", "+61412345678"]
)
def test_other_destinations_do_not(to: str) -> None:
    assert not policy.needs_registration(to)


# --- the gate row -----------------------------------------------------------------------------


def test_an_approved_brand_and_campaign_with_the_number_pass() -> None:
    assert policy.check_registration(location(brand(), campaign()), FROM, "+12025550143") is None


@pytest.mark.parametrize(
    ("brand_", "campaign_", "sender", "missing", "phrase"),
    [
        (None, None, FROM, ["brand", "campaign", "number"], "the brand is not registered"),
        (brand("draft"), None, FROM, ["brand", "campaign", "number"], "the brand is a draft"),
        (brand("pending"), campaign("pending"), FROM, ["brand", "campaign"], "the brand is pending"),
        (brand("failed"), campaign(), FROM, ["brand"], "the brand failed registration"),
        (brand(), campaign("failed"), FROM, ["campaign"], "the campaign failed registration"),
        (brand(), campaign(numbers=()), FROM, ["number"], "not assigned to the campaign"),
        (brand(), campaign(), "+12025550101", ["number"], "not assigned to the campaign"),
    ],
)
def test_the_refusal_says_what_is_missing(
    brand_: Brand | None, campaign_: Campaign | None, sender: str, missing: list[str], phrase: str
) -> None:
    refusal = policy.check_registration(location(brand_, campaign_), sender, "+17875550143")
    assert refusal is not None
    assert refusal.code == ReasonCode.NOT_REGISTERED
    assert refusal.details["missing"] == missing
    assert phrase in refusal.message


def test_a_non_us_destination_passes_without_any_registration() -> None:
    assert policy.check_registration(location(), FROM, "+447700900123") is None


# --- the state machine ------------------------------------------------------------------------

STATES: list[RegistrationState | None] = [None, "draft", "pending", "approved", "failed"]
Event = tuple[str, str]  # ("save" | "submit" | "approve" | "fail", reason)


def apply(record: Brand | None, event: Event) -> Brand | None:
    """One event through the policy, as the service applies it; a refused event changes nothing."""
    action, reason = event
    state = record.state if record else None
    if action in ("save", "submit"):
        if policy.check_editable("brand", state) is not None:
            return record
        return policy.submitted(record, brand("draft"), action == "submit", NOW)
    if policy.check_decidable("brand", state) is not None:
        return record
    assert record is not None
    return policy.decided(record, "approved" if action == "approve" else "failed", [reason], NOW)


events = st.lists(
    st.tuples(st.sampled_from(["save", "submit", "approve", "fail"]), st.text(min_size=1, max_size=5)),
    max_size=12,
)


@given(events)
def test_laws_of_the_state_machine(sequence: list[Event]) -> None:
    record: Brand | None = None
    for event in sequence:
        before = record
        record = apply(record, event)
        before_state = before.state if before else None
        after_state = record.state if record else None
        # Approved is final; pending only moves by the carriers' decision; a decision needs pending.
        if before_state == "approved":
            assert record == before
        if before_state == "pending" and event[0] in ("save", "submit"):
            assert record == before
        if event[0] in ("approve", "fail") and before_state != "pending":
            assert record == before
        if record is not before and record is not None:
            assert record.revision == (before.revision + 1 if before else 1)
            assert record.history[-1].state == after_state
        # Only a failed record carries reasons, and they are in its history.
        if record is not None and record.reasons:
            assert record.state in ("failed", "draft")
            assert any(change.reasons == record.reasons for change in record.history)


@pytest.mark.parametrize("state", STATES)
def test_only_new_draft_and_failed_registrations_are_editable(state: RegistrationState | None) -> None:
    refusal = policy.check_editable("campaign", state)
    if state in (None, "draft", "failed"):
        assert refusal is None
    else:
        assert refusal is not None and refusal.code == ReasonCode.REGISTRATION_LOCKED
        assert refusal.details == {"state": state}


@pytest.mark.parametrize("state", STATES)
def test_only_a_pending_registration_is_decided(state: RegistrationState | None) -> None:
    refusal = policy.check_decidable("brand", state)
    assert (refusal is None) == (state == "pending")


def test_resubmission_after_failure_clears_the_reasons_and_keeps_them_in_history() -> None:
    pending = policy.submitted(None, brand("draft"), True, NOW)
    failed = policy.decided(pending, "failed", ["EIN mismatch"], NOW + timedelta(days=5))
    assert (failed.state, failed.reasons, failed.decided_at) == (
        "failed",
        ("EIN mismatch",),
        NOW + timedelta(days=5),
    )
    again = policy.submitted(failed, brand("draft"), True, NOW + timedelta(days=6))
    assert (again.state, again.reasons, again.decided_at) == ("pending", (), None)
    assert again.submitted_at == NOW + timedelta(days=6)
    assert [(c.state, c.reasons) for c in again.history] == [
        ("pending", ()),
        ("failed", ("EIN mismatch",)),
        ("pending", ()),
    ]


def test_saving_a_failed_registration_as_draft_keeps_its_reasons_in_view() -> None:
    failed = policy.decided(policy.submitted(None, brand("draft"), True, NOW), "failed", ["bad site"], NOW)
    draft = policy.submitted(failed, brand("draft"), False, NOW)
    assert draft.state == "draft" and draft.reasons == ("bad site",)


def test_a_campaign_is_submitted_on_a_submitted_brand() -> None:
    assert policy.check_campaign_submission(None) is not None
    assert policy.check_campaign_submission(brand("draft")) is not None
    assert policy.check_campaign_submission(brand("failed")) is not None
    assert policy.check_campaign_submission(brand("pending")) is None
    assert policy.check_campaign_submission(brand("approved")) is None


def test_campaign_numbers_are_the_locations_own() -> None:
    refusal = policy.check_numbers_owned(location(), [FROM, "+12025550177"])
    assert refusal is not None and refusal.code == ReasonCode.NUMBER_NOT_OWNED
    assert refusal.details == {"numbers": ["+12025550177"]}
    assert policy.check_numbers_owned(location(), [FROM]) is None


def test_an_approved_campaign_without_numbers_is_flagged() -> None:
    assert policy.is_without_numbers(campaign(numbers=()))
    assert not policy.is_without_numbers(campaign("pending", numbers=()))
    assert not policy.is_without_numbers(campaign())
    assert not policy.is_without_numbers(None)
    assigned = policy.with_numbers(campaign(numbers=()), [FROM], NOW)
    assert not policy.is_without_numbers(assigned) and assigned.revision == 2


# --- the low-volume cap -----------------------------------------------------------------------


def test_a_low_volume_brand_is_capped_at_6000_segments() -> None:
    assert policy.volume_cap(location(brand(path="low_volume"))) == 6000
    assert policy.volume_cap(location(brand("pending", path="low_volume"))) == 6000
    assert policy.volume_cap(location(brand(path="standard"))) is None
    assert policy.volume_cap(location()) is None


@given(st.lists(st.integers(min_value=1, max_value=10), max_size=50), st.integers(min_value=0, max_value=300))
def test_the_messages_that_fit_are_the_longest_prefix_within_the_grant(
    segments: list[int], granted: int
) -> None:
    accepted = policy.fitting(segments, granted)
    assert sum(segments[:accepted]) <= granted
    if accepted < len(segments):
        assert sum(segments[: accepted + 1]) > granted


# --- content relaxation -----------------------------------------------------------------------


def test_an_approved_age_gated_campaign_relaxes_alcohol_and_nothing_else_does() -> None:
    age_gated = campaign(use_case="MARKETING", age_gated=True)
    assert policy.content_use_case(age_gated) == "MARKETING_AGE_GATED"
    assert relaxed_categories(policy.content_use_case(age_gated)) == frozenset({"alcohol"})
    assert relaxed_categories(policy.content_use_case(campaign(use_case="MARKETING"))) == frozenset()
    assert policy.content_use_case(campaign("pending", use_case="MARKETING", age_gated=True)) is None
    assert policy.content_use_case(None) is None


# --- the request models -----------------------------------------------------------------------


@pytest.mark.parametrize(("given_", "stored"), [("12-3456789", "123456789"), ("123456789", "123456789")])
def test_an_ein_is_stored_as_nine_digits(given_: str, stored: str) -> None:
    assert normalise_ein(given_) == stored
    assert BrandRequest.model_validate({**BRAND, "ein": given_}).ein == stored


@pytest.mark.parametrize("ein", ["1234567", "12-34567890", "123-456789", "12 3456789", "AB-CDEFGHI", ""])
def test_anything_else_is_not_an_ein(ein: str) -> None:
    with pytest.raises(ValueError, match="9 digits"):
        normalise_ein(ein)


def test_the_request_models_are_strict() -> None:
    with pytest.raises(ValidationError):
        CampaignRequest.model_validate({**CAMPAIGN, "has_links": "false"})
    with pytest.raises(ValidationError):
        CampaignRequest.model_validate({**CAMPAIGN, "sample_messages": ["only one sample message here"]})
    with pytest.raises(ValidationError):
        BrandRequest.model_validate({**BRAND, "extra": 1})
    with pytest.raises(ValidationError, match="reasons"):
        DecisionRequest.model_validate({"state": "failed", "reasons": []})
    assert DecisionRequest.model_validate({"state": "approved"}).reasons == []
    request = CampaignRequest.model_validate({**CAMPAIGN, "numbers": [FROM, FROM, "+12025550101"]})
    assert request.numbers == [FROM, "+12025550101"]
    with pytest.raises(ValidationError, match=r"did you mean \+12025550101\?"):
        CampaignRequest.model_validate({**CAMPAIGN, "numbers": [FROM, "+1 202 555 0101"]})


# --- a number a carrier reported unregistered (docs/carrier-codes.md#unregistered-numbers) -----


def test_a_number_reported_unregistered_is_refused_until_the_numbers_are_recorded_again() -> None:
    marked = policy.with_unregistered_number(campaign(), FROM, NOW)
    assert marked is not None and marked.unregistered_numbers == (FROM,)
    assert marked.revision == campaign().revision + 1

    refusal = policy.check_registration(location(brand(), marked), FROM, "+12025550143")

    assert refusal is not None and refusal.code == ReasonCode.NOT_REGISTERED
    assert refusal.details["missing"] == ["number"]
    assert policy.check_registration(location(brand(), marked), FROM, "+447911120143") is None
    recorded = policy.with_numbers(marked, [FROM], NOW)
    assert recorded.unregistered_numbers == ()
    assert policy.check_registration(location(brand(), recorded), FROM, "+12025550143") is None


def test_only_the_campaigns_own_numbers_are_marked_and_only_once() -> None:
    assert policy.with_unregistered_number(campaign(), "+12025550111", NOW) is None
    marked = policy.with_unregistered_number(campaign(), FROM, NOW)
    assert marked is not None
    assert policy.with_unregistered_number(marked, FROM, NOW) is None


@pytest.mark.parametrize(
    ("code", "unregisters"), [(30034, True), (30032, True), (30007, False), (None, False)]
)
def test_which_codes_say_the_sender_is_unregistered(code: int | None, unregisters: bool) -> None:
    from smsgate.policy.receipts import unregisters_sender

    assert unregisters_sender(code) is unregisters
