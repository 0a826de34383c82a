"""Rows 7-9 of the send gate under moto (docs/policy.md#prohibited-content): prohibited content, filter
evasion, snowshoeing, and the warning for public URL shorteners (docs/content-policy.md).

Destinations are UK numbers: outside the US, row 4 (10DLC registration) does not apply, so these
tests keep testing rows 7-9 once it is added."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsgate.dal import snowshoe
from smsgate.errors import SmsgateError
from smsgate.models.entities import Dnd
from smsgate.models.requests import BulkSendRequest, SendMessageRequest
from smsgate.policy import gate
from smsgate.policy.fingerprint import snowshoe_keys
from smsgate.services import bulk_sending, sending
from tests.integration import stored
from tests.integration.conftest import ApiCall, drain
from tests.integration.test_send_gate import opt_in
from tests.registration_bodies import brand_body, campaign_body

LOCATION = "loc-content"
NUMBERS = ["+12025550101", "+12025550102", "+12025550103", "+12025550104", "+12025550105"]
TO = "+447700900001"
RECIPIENTS = ["+447700900011", "+447700900012", "+447700900013", "+447700900014", "+447700900015"]
WINDOW = timedelta(hours=24)


def new_location(api: ApiCall) -> None:
    status, answer, _ = api(
        "PUT",
        f"/v1/locations/{LOCATION}",
        {"name": "Bright Smiles", "numbers": NUMBERS, "created_at": "2021-01-01T00:00:00+00:00"},
    )
    assert status in (200, 201), answer


def send(
    api: ApiCall, body: str, to: str = TO, sender: str = NUMBERS[0], kind: str = "conversation"
) -> tuple[int, dict[str, Any]]:
    status, answer, _ = api(
        "POST",
        "/v1/messages",
        {"location_id": LOCATION, "from": sender, "to": to, "body": body, "kind": kind},
    )
    return status, answer


def bulk(api: ApiCall, body: str, recipients: list[str], **extra: Any) -> tuple[int, dict[str, Any]]:
    status, answer, _ = api(
        "POST",
        "/v1/messages/bulk",
        {"location_id": LOCATION, "body": body, "kind": "bulk", "recipients": recipients, **extra},
    )
    return status, answer


@pytest.fixture
def location(stack: Any, send_gate: ApiCall) -> ApiCall:
    new_location(send_gate)
    for phone in [TO, *RECIPIENTS]:
        opt_in(send_gate, phone, LOCATION)
    return send_gate


# --- Row 7: prohibited topics -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "category"),
    [
        ("Online casino bonus, bet now", "gambling"),
        ("CBD gummies and THC carts delivered today", "cannabis"),
        ("Wine tasting Friday: five reds and five whites", "alcohol"),
        ("50% off all vape pens this weekend", "tobacco"),
        ("AR-15 sale this weekend only", "firearms"),
    ],
)
def test_prohibited_content_is_refused_with_its_category(
    stack: Any, location: ApiCall, body: str, category: str
) -> None:
    status, answer = send(location, body)
    assert status == 422
    assert answer["error"]["code"] == "PROHIBITED_CONTENT"
    assert answer["error"]["category"] == category
    assert body not in answer["error"]["message"]
    assert drain(stack.outputs["OutboundQueueUrl"]) == []


def test_ordinary_messages_that_brush_a_word_are_sent(location: ApiCall) -> None:
    for body in ("Happy hour menu is out! Half-price apps from 4 to 6.", "Need a shot of espresso?", "I p a"):
        assert send(location, body)[0] == 202, body


# --- Row 8: filter evasion --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "category"),
    [
        ("Online c4s1n0 bonus tonight", "gambling"),  # leetspeak
        ("Online c\u0430sino bonus tonight", "gambling"),  # Cyrillic a (homoglyph)
        ("Cheap v.i.a.g.r.a shipped today", "adult"),  # inserted dots
        ("g a m b l i n g night at the club", "gambling"),  # spaced letters
        ("Disposable va\u200dpe pens", "tobacco"),  # zero-width joiner
        ("Tobbaco and pipes on sale", "tobacco"),  # misspelling
        ("Big savings this week. Txt NOMORE to quit", "opt_out_phrasing"),  # non-standard opt-out
    ],
)
def test_filter_evasion_is_refused(location: ApiCall, body: str, category: str) -> None:
    status, answer = send(location, body)
    assert status == 422
    assert answer["error"]["code"] == "FILTER_EVASION"
    assert answer["error"]["category"] == category


# --- Relaxation by campaign use case ----------------------------------------------------------
def test_an_age_gated_campaign_relaxes_alcohol_only() -> None:
    body = "Wine tasting Friday: five reds and five whites"
    assert gate.check_content_policy(body, None) is not None
    assert gate.check_content_policy(body, "MARKETING") is not None
    assert gate.check_content_policy(body, "AGE_GATED") is None
    refusal = gate.check_content_policy("Wine tasting and poker night Friday", "AGE_GATED")
    assert refusal is not None and refusal.details["category"] == "gambling"
    disguised = gate.check_content_policy("Cheap v0dk@ shots tonight", "AGE_GATED")
    assert disguised is not None and disguised.code == "FILTER_EVASION"


def test_a_location_without_a_registered_campaign_relaxes_nothing(location: ApiCall) -> None:
    status, answer = send(location, "Wine tasting Friday: five reds and five whites")
    assert (status, answer["error"]["category"]) == (422, "alcohol")


def test_an_approved_age_gated_campaign_relaxes_alcohol_through_the_gate(location: ApiCall) -> None:
    base = f"/v1/locations/{LOCATION}"
    age_gated = campaign_body(NUMBERS, use_case="MARKETING", age_gated=True)
    assert location("PUT", f"{base}/brand", brand_body())[0] == 200
    assert location("PUT", f"{base}/brand/decision", {"state": "approved"})[0] == 200
    assert location("PUT", f"{base}/campaign", age_gated)[0] == 200
    # Submitted, not yet approved: nothing is relaxed.
    assert send(location, "Wine tasting Friday: five reds and five whites")[0] == 422
    assert location("PUT", f"{base}/campaign/decision", {"state": "approved"})[0] == 200
    assert send(location, "Wine tasting Friday: five reds and five whites")[0] == 202
    assert send(location, "Wine tasting and poker night Friday")[1]["error"]["category"] == "gambling"


# --- Order of the rows ------------------------------------------------------------------------
def test_dnd_and_consent_come_before_content(location: ApiCall) -> None:
    dnd_contact, stranger = "+447700900021", "+447700900022"
    opt_in(location, dnd_contact, LOCATION)
    stored.set_dnd(LOCATION, dnd_contact, Dnd(state="permanent", reason="opt_out"))
    assert send(location, "Online casino bonus, bet now", to=dnd_contact)[1]["error"]["code"] == "DND_ACTIVE"
    assert send(location, "Online casino bonus, bet now", to=stranger)[1]["error"]["code"] == "NO_CONSENT"


def test_content_comes_before_snowshoeing_and_refused_content_records_no_number(location: ApiCall) -> None:
    body = "Our spring sale ends soon: everything in store is 30% off, come and see us this week"
    for sender in NUMBERS[:3]:
        assert send(location, body, sender=sender)[0] == 202
    answer = send(location, f"{body}, online casino bonus too", sender=NUMBERS[3])[1]
    assert answer["error"]["code"] == "PROHIBITED_CONTENT"
    assert send(location, body, sender=NUMBERS[3])[1]["error"]["code"] == "SNOWSHOEING"


# --- Bulk -------------------------------------------------------------------------------------
def test_bulk_content_is_refused_for_every_recipient(stack: Any, location: ApiCall) -> None:
    stored.set_dnd(LOCATION, RECIPIENTS[0], Dnd(state="temporary", reason="30003", error_code=30003))
    status, answer = bulk(
        location,
        "Free spins on our new slots tonight",
        [*RECIPIENTS[:3], "+447700900099"],
        **{"from": NUMBERS[0]},
    )
    assert status == 202
    assert answer["accepted"] == 0 and answer["messages"] == []
    assert answer["skipped"] == [{"to": RECIPIENTS[0], "code": "DND_ACTIVE"}]
    assert sorted((item["to"], item["code"]) for item in answer["failed"]) == [
        (RECIPIENTS[1], "PROHIBITED_CONTENT"),
        (RECIPIENTS[2], "PROHIBITED_CONTENT"),
        ("+447700900099", "NO_CONSENT"),
    ]
    assert drain(stack.outputs["OutboundQueueUrl"]) == []


def test_a_bulk_over_more_numbers_than_allowed_is_snowshoeing_beyond_the_third(
    stack: Any, location: ApiCall
) -> None:
    body = "Spring cleaning special: book a whitening session this month and get a free checkup"
    status, answer = bulk(location, body, RECIPIENTS, numbers=NUMBERS)
    assert status == 202
    # Recipients are spread over the numbers in order; the first three numbers send.
    assert answer["accepted"] == 3
    assert sorted(item["to"] for item in answer["messages"]) == RECIPIENTS[:3]
    assert answer["failed"] == [
        {"to": RECIPIENTS[3], "code": "SNOWSHOEING"},
        {"to": RECIPIENTS[4], "code": "SNOWSHOEING"},
    ]
    queued = [json.loads(m["Body"])["from_number"] for m in drain(stack.outputs["OutboundQueueUrl"])]
    assert sorted(queued) == NUMBERS[:3]
    # The refused numbers were not recorded: they stay refused, the allowed ones stay allowed.
    assert send(location, body, sender=NUMBERS[4])[1]["error"]["code"] == "SNOWSHOEING"
    assert send(location, body, sender=NUMBERS[1])[0] == 202


def test_a_bulk_preview_answers_snowshoeing_and_records_nothing(location: ApiCall) -> None:
    body = "Spring cleaning special: book a whitening session this month and get a free checkup"
    _, preview = bulk(location, body, RECIPIENTS, numbers=NUMBERS, preview=True)
    assert preview["accepted"] == 3 and {item["code"] for item in preview["failed"]} == {"SNOWSHOEING"}
    for sender in NUMBERS[2:5]:
        assert send(location, body, sender=sender)[0] == 202


# --- Row 9: snowshoeing -----------------------------------------------------------------------
def test_a_fourth_number_with_a_near_identical_body_is_refused(location: ApiCall) -> None:
    template = "Hi {name}, your {day} appointment at Bright Smiles is confirmed for {time}. See you soon!"
    bodies = [
        template.format(name="Ann", day="Monday", time="9:00"),
        template.format(name="Bob", day="Tuesday", time="10:30"),
        template.format(name="Cy", day="Friday", time="2pm"),
        template.format(name="Dee", day="Monday", time="4:15"),
    ]
    for sender, body in zip(NUMBERS[:3], bodies, strict=False):
        assert send(location, body, sender=sender)[0] == 202
    status, answer = send(location, bodies[3], sender=NUMBERS[3])
    assert status == 422
    assert answer["error"]["code"] == "SNOWSHOEING"
    assert answer["error"]["max_numbers"] == 3 and answer["error"]["window_hours"] == 24
    # A number that already sent it may go on; a different body is fine from the fourth number.
    assert send(location, bodies[3], sender=NUMBERS[0])[0] == 202
    assert (
        send(
            location, "Thanks for your review! We loved having you at the practice today.", sender=NUMBERS[3]
        )[0]
        == 202
    )


def test_short_one_to_one_replies_from_every_number_are_not_snowshoeing(location: ApiCall) -> None:
    for sender in NUMBERS[:4]:
        assert send(location, "Ok, see you soon!", sender=sender)[0] == 202
        assert send(location, "Thanks!", sender=sender)[0] == 202
    # The same short body in a workflow is still fingerprinted: the fourth number is refused.
    for sender in NUMBERS[:3]:
        assert send(location, "Your table is ready.", sender=sender, kind="workflow")[0] == 202
    status, answer = send(location, "Your table is ready.", sender=NUMBERS[3], kind="workflow")
    assert (status, answer["error"]["code"]) == (422, "SNOWSHOEING")


def test_the_window_slides_over_two_buckets(stack: Any) -> None:
    keys = snowshoe_keys("Our spring sale ends soon: everything in store is 30% off this week")
    start = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    late = start + timedelta(hours=23)
    for number in NUMBERS[:3]:
        assert snowshoe.record_sender("loc", keys, number, late, WINDOW, 3)
    # Two hours later the bucket has changed, but the three numbers are still within 24 h.
    assert not snowshoe.record_sender("loc", keys, NUMBERS[3], late + timedelta(hours=2), WINDOW, 3)
    assert snowshoe.record_sender("loc", keys, NUMBERS[0], late + timedelta(hours=2), WINDOW, 3)
    # Two windows later the numbers are forgotten.
    assert snowshoe.record_sender("loc", keys, NUMBERS[3], start + 2 * WINDOW, WINDOW, 3)


def test_the_window_slides_into_the_next_items_period(stack: Any) -> None:
    """The last bucket of an item's period records its next bucket in the next period's item
    (docs/content-policy.md#snowshoeing-storage-smsgatedalsnowshoe-counters-table)."""
    keys = snowshoe_keys("Our spring sale ends soon: everything in store is 30% off this week")
    last = datetime(2026, 3, 4, 23, 0, tzinfo=UTC)
    assert snowshoe.period_start(last, WINDOW) != snowshoe.period_start(last + timedelta(hours=2), WINDOW)
    for number in NUMBERS[:3]:
        assert snowshoe.record_sender("loc", keys, number, last, WINDOW, 3)
    later = last + timedelta(hours=2)
    assert snowshoe.senders("loc", keys, later, WINDOW) == [set(NUMBERS[:3])] * len(set(keys))
    assert not snowshoe.record_sender("loc", keys, NUMBERS[3], later, WINDOW, 3)
    assert snowshoe.record_sender("loc", keys, NUMBERS[0], later, WINDOW, 3)
    assert snowshoe.record_sender("loc", keys, NUMBERS[3], last + 2 * WINDOW, WINDOW, 3)


def test_the_service_takes_its_time_from_now(location: ApiCall) -> None:
    body = "Our spring sale ends soon: everything in store is 30% off, come and see us this week"
    now = datetime.now(UTC)

    def request(sender: str) -> SendMessageRequest:
        return SendMessageRequest.model_validate(
            {"location_id": LOCATION, "from": sender, "to": TO, "body": body, "kind": "conversation"}
        )

    for sender in NUMBERS[:3]:
        sending.send_message(request(sender), now)
    with pytest.raises(SmsgateError) as refused:
        sending.send_message(request(NUMBERS[3]), now + timedelta(hours=20))
    assert refused.value.code == "SNOWSHOEING"
    assert sending.send_message(request(NUMBERS[3]), now + 2 * WINDOW).status == "queued"
    outcome = bulk_sending.send_bulk(
        BulkSendRequest.model_validate(
            {
                "location_id": LOCATION,
                "numbers": NUMBERS[3:],
                "body": body,
                "kind": "bulk",
                "recipients": RECIPIENTS[:2],
            }
        ),
        now + 2 * WINDOW,
    )
    assert len(outcome.accepted) == 2


# --- Public URL shorteners: a warning, not a refusal ------------------------------------------
def test_a_public_shortener_is_accepted_with_a_warning(location: ApiCall) -> None:
    status, answer = send(location, "Your receipt: https://bit.ly/3xYz and our menu at tinyurl.com/menu")
    assert status == 202
    assert [(w["code"], w["domain"]) for w in answer["warnings"]] == [
        ("PUBLIC_URL_SHORTENER", "bit.ly"),
        ("PUBLIC_URL_SHORTENER", "tinyurl.com"),
    ]
    status, answer = bulk(location, "New menu: https://bit.ly/3xYz", RECIPIENTS[:2], **{"from": NUMBERS[0]})
    assert status == 202 and answer["accepted"] == 2
    assert [w["code"] for w in answer["warnings"]] == ["PUBLIC_URL_SHORTENER"]
    status, answer = send(location, "Your receipt: https://brightsmiles.example/r/3xYz")
    assert status == 202 and "warnings" not in answer
