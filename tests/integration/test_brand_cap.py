"""The brand's T-Mobile daily cap through the send_gate handler under moto
(docs/registration.md#t-mobile-brand-cap): locations of one brand (one EIN) share one counter,
single and bulk, refused 429 BRAND_CAP_REACHED with Retry-After; other brands and non-US
destinations are not counted; racing senders never pass the cap."""

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from local_stack.lambdas import load_handler
from smsgate.dal import counters, messages, schedule
from smsgate.models.entities import Message, StatusChange
from smsgate.models.schedule import ScheduledMessage
from smsgate.policy.brand_cap import brand_day, seconds_until_brand_reset
from smsgate.services.scheduling import schedule_messages
from smsgate.settings import get_settings
from tests.integration.conftest import ROOT, ApiCall, Invoke, call_api, drain
from tests.integration.test_counter_concurrency import moto_server  # noqa: F401 - a fixture
from tests.registration_bodies import brand_body, campaign_body

EIN = "12-3456789"
OTHER_EIN = "98-7654321"
US = ["+12025550143", "+12025550144", "+12025550145", "+12025550146"]
UK = "+447700900143"
BODY = "Your visit is tomorrow at 9."  # one segment, as a conversation (never decorated)


def new_brand_location(
    api: ApiCall, location_id: str, ein: str, decision: dict[str, Any], contacts: list[str]
) -> str:
    """A location registered for 10DLC under `ein`, approved with `decision`, its contacts opted
    in; returns its sending number."""
    number = f"+1202555{abs(hash(location_id)) % 10000:04d}"
    base = f"/v1/locations/{location_id}"
    status, answer, _ = api("PUT", base, {"name": location_id, "numbers": [number]})
    assert status == 201, answer
    for path, body in (
        ("/brand", brand_body(ein=ein)),
        ("/brand/decision", {"state": "approved", **decision}),
        ("/campaign", campaign_body([number])),
        ("/campaign/decision", {"state": "approved"}),
    ):
        status, answer, _ = api("PUT", base + path, body)
        assert status == 200, (path, answer)
    for phone in contacts:
        consent = f"{base}/contacts/{phone.replace('+', '%2B')}/consent"
        assert api("PUT", consent, {"source": "web_form", "evidence": "form"})[0] == 200
    return number


def send(api: ApiCall, location_id: str, sender: str, to: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return api(
        "POST",
        "/v1/messages",
        {"location_id": location_id, "from": sender, "to": to, "body": BODY, "kind": "conversation"},
    )


def code(answer: dict[str, Any]) -> str:
    return str(answer.get("error", {}).get("code", ""))


def brand_used(ein: str) -> int:
    return counters.used(counters.brand_key(ein.replace("-", ""), brand_day(datetime.now(UTC))))


def retry_after_between(headers: dict[str, str], before: datetime, after: datetime) -> bool:
    """Retry-After counts whole seconds (rounded up) to the brand's reset from the instant the
    handler received the request, somewhere between `before` and `after`."""
    retry = int(headers["Retry-After"])
    return seconds_until_brand_reset(after) <= retry <= seconds_until_brand_reset(before)


def test_the_tier_recorded_with_the_approval_shows_on_the_brand(stack: Any, send_gate: ApiCall) -> None:
    new_brand_location(send_gate, "loc-tier", EIN, {"tmobile_tier": "mid"}, [])
    brand = send_gate("GET", "/v1/locations/loc-tier")[1]["brand"]
    assert (brand["tmobile_tier"], brand["tmobile_daily_segments"]) == ("mid", None)
    status, answer, _ = send_gate(
        "PUT", "/v1/locations/loc-tier/campaign/decision", {"state": "approved", "tmobile_tier": "top"}
    )
    assert (status, code(answer)) == (400, "VALIDATION_ERROR"), answer


def test_two_locations_of_one_brand_share_the_cap_and_another_brand_does_not(
    stack: Any, send_gate: ApiCall
) -> None:
    cap = {"tmobile_tier": "low", "tmobile_daily_segments": 3}
    first = new_brand_location(send_gate, "loc-a", EIN, cap, US)
    second = new_brand_location(send_gate, "loc-b", EIN, cap, US)
    other = new_brand_location(send_gate, "loc-c", OTHER_EIN, cap, US)

    assert send(send_gate, "loc-a", first, US[0])[0] == 202
    assert send(send_gate, "loc-a", first, US[1])[0] == 202
    assert send(send_gate, "loc-b", second, US[0])[0] == 202
    before = datetime.now(UTC)
    status, answer, headers = send(send_gate, "loc-b", second, US[1])
    assert (status, code(answer)) == (429, "BRAND_CAP_REACHED"), answer
    assert answer["error"]["limit"] == 3 and answer["error"]["unit"] == "segments"
    assert retry_after_between(headers, before, datetime.now(UTC))
    assert send(send_gate, "loc-a", first, US[2])[0] == 429
    assert brand_used(EIN) == 3

    # Another brand has its own counter; a destination outside 10DLC counts against none.
    assert send(send_gate, "loc-c", other, US[0])[0] == 202
    consent = "/v1/locations/loc-a/contacts/%2B447700900143/consent"
    assert send_gate("PUT", consent, {"source": "web_form", "evidence": "form"})[0] == 200
    assert send(send_gate, "loc-a", first, UK)[0] == 202
    assert (brand_used(EIN), brand_used(OTHER_EIN)) == (3, 1)
    # A refused send took nothing from the daily limit either.
    assert send_gate("GET", "/v1/locations/loc-b/usage")[1]["sent_today"] == 1


def test_a_bulk_shares_the_brands_counter_and_fails_what_does_not_fit(stack: Any, send_gate: ApiCall) -> None:
    cap = {"tmobile_daily_segments": 3}
    first = new_brand_location(send_gate, "loc-a", EIN, cap, US)
    second = new_brand_location(send_gate, "loc-b", EIN, cap, [*US, UK])
    assert send(send_gate, "loc-a", first, US[0])[0] == 202

    request = {
        "location_id": "loc-b",
        "from": second,
        "body": BODY,
        "kind": "conversation",
        "recipients": [US[0], UK, US[1], US[2], US[3]],
    }
    status, preview, _ = send_gate("POST", "/v1/messages/bulk", {**request, "preview": True})
    assert (status, preview["accepted"]) == (200, 3), preview
    assert brand_used(EIN) == 1
    status, answer, _ = send_gate("POST", "/v1/messages/bulk", request)
    assert (status, answer["accepted"]) == (202, 3), answer
    assert [m["to"] for m in answer["messages"]] == [US[0], UK, US[1]]
    assert answer["failed"] == [{"to": phone, "code": "BRAND_CAP_REACHED"} for phone in US[2:]]
    assert brand_used(EIN) == 3
    # What the brand's cap refused gave its units of the daily limit back.
    assert send_gate("GET", "/v1/locations/loc-b/usage")[1]["sent_today"] == 3

    before = datetime.now(UTC)
    status, answer, headers = send_gate("POST", "/v1/messages/bulk", {**request, "recipients": US[2:]})
    assert (status, answer["accepted"]) == (429, 0), answer
    assert retry_after_between(headers, before, datetime.now(UTC))
    assert brand_used(EIN) == 3


def test_a_scheduled_message_released_over_the_brands_cap_fails(
    stack: Any, send_gate: ApiCall, handler: Callable[[str], Invoke]
) -> None:
    """The release gates a scheduled message again (docs/scheduling.md): the brand's cap counts it
    on the day it goes, as the daily limit does."""
    number = new_brand_location(send_gate, "loc-a", EIN, {"tmobile_daily_segments": 3}, US[:3])
    due = schedule.minute_of(datetime.now(UTC)) + timedelta(minutes=2)
    rows, entries = [], []
    for index, to in enumerate(US[:3]):
        message_id = f"msg-brand-{index}"
        created = due - timedelta(hours=1)
        rows.append(
            Message(
                message_id=message_id,
                location_id="loc-a",
                from_number=number,
                to=to,
                body=BODY,
                kind="conversation",
                segments=1,
                encoding="GSM-7",
                status="scheduled",
                created_at=created,
                scheduled_for=due,
                history=(StatusChange(status="scheduled", at=created, reason="send_at"),),
            )
        )
        entries.append(
            ScheduledMessage(
                message_id=message_id,
                location_id="loc-a",
                from_number=number,
                to=to,
                body=BODY,
                kind="conversation",
                segments=1,
                due_at=due,
                reason="send_at",
            )
        )
    schedule_messages(rows, entries)
    assert send(send_gate, "loc-a", number, US[0])[0] == 202  # one of the three segments
    schedule.advance_release_cursor(due - timedelta(minutes=1))

    report = handler("release_scheduled")(
        {"detail-type": "Scheduled Event", "source": "aws.events", "time": due.isoformat(), "detail": {}}
    )

    assert (report["released"], report["failed"]) == (2, 1), report
    last = messages.get_message("msg-brand-2")
    assert last is not None and (last.status, last.history[-1].reason) == ("failed", "BRAND_CAP_REACHED")
    assert brand_used(EIN) == 3
    assert send_gate("GET", "/v1/locations/loc-a/usage")[1]["sent_today"] == 3


def test_racing_senders_of_two_locations_never_pass_the_brands_cap(moto_server: str) -> None:  # noqa: F811
    """30 send_gate instances, each in its own thread with its own client, half on each of two
    locations of one brand, against moto's server: exactly the cap's 10 pass."""
    suffix = uuid.uuid4().hex[:6]
    ein = f"{int(suffix, 16) % 10**9:09d}"
    setup = load_handler(ROOT / "functions" / "send_gate", f"setup-brand-{suffix}")

    def api(method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any], dict[str, str]]:
        return call_api(setup, method, path, body)

    contacts = [f"+1202555{index:04d}" for index in range(300, 315)]
    locations = {
        f"loc-{name}-{suffix}": new_brand_location(
            api, f"loc-{name}-{suffix}", ein, {"tmobile_daily_segments": 10}, contacts
        )
        for name in ("a", "b")
    }
    senders = [(location_id, number, to) for location_id, number in locations.items() for to in contacts]
    start = threading.Barrier(len(senders))

    def sender(index: int) -> tuple[int, str]:
        handler = load_handler(ROOT / "functions" / "send_gate", f"racer-brand-{suffix}-{index}")
        location_id, number, to = senders[index]
        start.wait(timeout=60)
        status, answer, _ = call_api(
            handler,
            "POST",
            "/v1/messages",
            {"location_id": location_id, "from": number, "to": to, "body": BODY, "kind": "conversation"},
        )
        return status, code(answer)

    with ThreadPoolExecutor(max_workers=len(senders), thread_name_prefix="brand") as pool:
        answers = list(pool.map(sender, range(len(senders))))

    assert sorted(answers) == [(202, "")] * 10 + [(429, "BRAND_CAP_REACHED")] * 20
    assert brand_used(ein) == 10
    assert len(drain(get_settings().outbound_queue_url)) == 10
