"""The brand's T-Mobile daily cap over HTTP on the local stack
(docs/registration.md#t-mobile-brand-cap): two locations of one brand (one EIN) share the cap;
a location of another brand does not."""

import uuid
from datetime import UTC, datetime

from smsgate.policy.brand_cap import seconds_until_brand_reset
from tests.e2e.conftest import LocalStack, create_location, opt_in, sending_numbers
from tests.registration_bodies import brand_body, campaign_body

TO = ["+12025550171", "+12025550172"]


def brand_location(stack: LocalStack, ein: str, cap: int) -> tuple[str, str]:
    """A location registered under `ein`, approved with a T-Mobile cap of `cap` segments a day
    (one T-Mobile assigned apart from the tier), its contacts opted in: (id, sending number)."""
    number = sending_numbers()[0]
    location_id = create_location(stack, [number], created_at=datetime.now(UTC).isoformat())
    base = f"/v1/locations/{location_id}"
    for path, body in (
        ("/brand", brand_body(ein=ein)),
        ("/brand/decision", {"state": "approved", "tmobile_tier": "low", "tmobile_daily_segments": cap}),
        ("/campaign", campaign_body([number])),
        ("/campaign/decision", {"state": "approved"}),
    ):
        answer = stack.call("PUT", base + path, body)
        assert answer.status_code == 200, (path, answer.text)
    for phone in TO:
        opt_in(stack, location_id, phone)
    return location_id, number


def send(stack: LocalStack, location_id: str, number: str, to: str) -> tuple[int, str, str | None]:
    answer = stack.call(
        "POST",
        "/v1/messages",
        {
            "location_id": location_id,
            "from": number,
            "to": to,
            "body": "See you at 9.",
            "kind": "conversation",
        },
    )
    code = answer.json().get("error", {}).get("code", "") if answer.status_code != 202 else ""
    return answer.status_code, code, answer.headers.get("Retry-After")


def test_two_locations_of_one_brand_share_the_t_mobile_cap(local_stack: LocalStack) -> None:
    ein = f"{uuid.uuid4().int % 10**9:09d}"
    other_ein = f"{(int(ein) + 1) % 10**9:09d}"
    first = brand_location(local_stack, ein, cap=2)
    second = brand_location(local_stack, ein, cap=2)
    other = brand_location(local_stack, other_ein, cap=2)

    assert send(local_stack, *first, TO[0])[:2] == (202, "")
    assert send(local_stack, *second, TO[0])[:2] == (202, "")
    status, code, retry_after = send(local_stack, *second, TO[1])
    assert (status, code) == (429, "BRAND_CAP_REACHED")
    expected = seconds_until_brand_reset(datetime.now(UTC))
    assert retry_after is not None and expected - 10 <= int(retry_after) <= expected
    assert send(local_stack, *first, TO[1])[:2] == (429, "BRAND_CAP_REACHED")
    # Another brand counts on its own.
    assert send(local_stack, *other, TO[0])[:2] == (202, "")
