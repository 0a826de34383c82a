"""The brand's T-Mobile daily cap through the send_gate handler under moto
(docs/registration.md#t-mobile-brand-cap): locations of one brand (one EIN) share one counter,
single and bulk, refused 429 BRAND_CAP_REACHED with Retry-After; other brands and non-US
destinations are not counted; racing senders never pass the cap; with `when_over_limit: defer`
what the cap stops waits for the brand's reset, at the gate and at a release
(docs/scheduling.md#deferral-over-the-limit)."""

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
from tests.integration.test_send_later import Gate
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


def send(
    api: ApiCall, location_id: str, sender: str, to: str, **extra: Any
) -> tuple[int, dict[str, Any], dict[str, str]]:
    return api(
        "POST",
        "/v1/messages",
        {"location_id": location_id, "from": sender, "to": to, "body": BODY, "kind": "conversation", **extra},
    )


def code(answer: dict[str, Any]) -> str:
    return str(answer.get("error", {}).get("code", ""))


def brand_used(ein: str, at: datetime | None = None) -> int:
    """The brand's segments counted on the T-Mobile day of `at` (default: now)."""
    day = brand_day(at or datetime.now(UTC))
    return counters.used(counters.brand_key(ein.replace("-", ""), day))


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


# Deferral over the brand's cap, on a clock the tests set: 17:00 UTC on 1 December 2026 is 9:00
# in Los Angeles, whose midnight (08:00 UTC on the 2nd) starts the brand's next T-Mobile day;
# 08:00 UTC is 3:00 in Washington, where a campaign waits until 8:00 (13:00 UTC).
NOON = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
BRAND_RESET = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
DC_MORNING = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)


def sent_today(api: ApiCall, location_id: str) -> int:
    status, usage, _ = api("GET", f"/v1/locations/{location_id}/usage")
    assert status == 200, usage
    return int(usage["sent_today"])


def test_a_single_send_over_the_brands_cap_waits_for_its_reset_when_its_sender_says_defer(
    stack: Any,
) -> None:
    gate = Gate()
    number = new_brand_location(gate, "loc-a", EIN, {"tmobile_daily_segments": 1}, US[:3])
    assert send(gate, "loc-a", number, US[0])[0] == 202  # the cap's one segment

    status, refused, _ = send(gate, "loc-a", number, US[1])
    assert (status, code(refused)) == (429, "BRAND_CAP_REACHED"), refused
    status, later, _ = send(gate, "loc-a", number, US[1], when_over_limit="defer")
    assert (status, later["status"], later["reason"]) == (202, "scheduled", "brand_cap"), later
    assert later["scheduled_for"] == BRAND_RESET.isoformat()
    # A campaign is held by quiet hours too: the first minute after the reset they allow.
    status, campaign, _ = send(gate, "loc-a", number, US[2], kind="campaign", when_over_limit="defer")
    assert (status, campaign["scheduled_for"]) == (202, DC_MORNING.isoformat()), campaign

    history = gate("GET", f"/v1/messages/{later['message_id']}")[1]["history"]
    assert [(change["status"], change["reason"]) for change in history] == [("scheduled", "brand_cap")]
    # Nothing of the deferred messages is counted today: neither the brand's segments nor the
    # location's daily limit.
    assert brand_used(EIN, NOON) == 1
    assert sent_today(gate, "loc-a") == 1


def test_a_bulk_over_the_brands_cap_defers_what_does_not_fit_and_its_preview_shows_the_split(
    stack: Any,
) -> None:
    gate = Gate()
    number = new_brand_location(gate, "loc-a", EIN, {"tmobile_daily_segments": 2}, US)
    assert send(gate, "loc-a", number, US[0])[0] == 202
    request = {
        "location_id": "loc-a",
        "from": number,
        "body": BODY,
        "kind": "conversation",
        "recipients": US[1:],
        "when_over_limit": "defer",
    }

    status, preview, _ = gate("POST", "/v1/messages/bulk", {**request, "preview": True})
    assert (status, preview["accepted"], preview["deferred"], preview["failed"]) == (200, 1, 2, []), preview
    status, answer, _ = gate("POST", "/v1/messages/bulk", request)

    assert (status, answer["accepted"], answer["deferred"], answer["failed"]) == (202, 1, 2, []), answer
    resets = BRAND_RESET.isoformat()
    assert (
        answer["notice"]
        == f"2 Message(s) will be sent after the brand's T-Mobile daily cap resets at {resets}."
    )
    waiting = [item for item in answer["messages"] if item["status"] == "scheduled"]
    assert [(item["to"], item["scheduled_for"]) for item in waiting] == [(US[2], resets), (US[3], resets)]
    history = gate("GET", f"/v1/messages/{waiting[0]['message_id']}")[1]["history"]
    assert history[0]["reason"] == "brand_cap"
    assert (brand_used(EIN, NOON), sent_today(gate, "loc-a")) == (2, 2)


def test_a_release_over_the_brands_cap_reschedules_a_deferring_message_once_and_counts_it_then(
    stack: Any, handler: Callable[[str], Invoke]
) -> None:
    """A message whose request said `defer` is scheduled again for the brand's reset when the cap
    is spent at its release, released once then, and counted on the day it goes."""
    release = handler("release_scheduled")

    def run(at: datetime) -> dict[str, Any]:
        return release({"detail-type": "Scheduled Event", "source": "aws.events", "time": at.isoformat()})

    gate = Gate()
    number = new_brand_location(gate, "loc-a", EIN, {"tmobile_daily_segments": 1}, US[:2])
    due = NOON + timedelta(minutes=2)
    status, later, _ = send(gate, "loc-a", number, US[0], send_at=due.isoformat(), when_over_limit="defer")
    assert (status, later["reason"]) == (202, "send_at"), later
    assert send(gate, "loc-a", number, US[1])[0] == 202  # spends the cap before the release

    first = run(due + timedelta(seconds=1))
    again = run(due + timedelta(minutes=1, seconds=1))

    assert (first["released"], first["deferred"], first["failed"]) == (0, 1, 0), first
    assert (again["released"], again["deferred"]) == (0, 0), again
    waiting = messages.get_message(later["message_id"])
    assert waiting is not None and (waiting.status, waiting.scheduled_for) == ("scheduled", BRAND_RESET)
    assert [change.reason for change in waiting.history] == ["send_at", "brand_cap"]
    entry = schedule.get_scheduled(later["message_id"], BRAND_RESET)
    assert entry is not None and entry.reason == "brand_cap"
    assert (brand_used(EIN, NOON), sent_today(gate, "loc-a")) == (1, 1)  # given back at the release
    drain(get_settings().outbound_queue_url)

    schedule.advance_release_cursor(BRAND_RESET - timedelta(minutes=1))
    at_reset = run(BRAND_RESET + timedelta(seconds=2))
    after = run(BRAND_RESET + timedelta(minutes=1, seconds=2))

    assert (at_reset["released"], after["released"]) == (1, 0), (at_reset, after)
    sent = messages.get_message(later["message_id"])
    assert sent is not None and sent.status == "queued"
    assert len(drain(get_settings().outbound_queue_url)) == 1
    # Counted once, on the day it went: the brand's new T-Mobile day and that UTC day's limit.
    assert (brand_used(EIN, NOON), brand_used(EIN, BRAND_RESET)) == (1, 1)
    assert sent_today(gate, "loc-a") == 1
    gate.at = BRAND_RESET + timedelta(hours=1)
    assert sent_today(gate, "loc-a") == 1
