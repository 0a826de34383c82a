"""send_with_retry: backoff with full jitter on transient errors, none on permanent ones."""

from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.carriers.base import (
    CarrierError,
    OutboundSms,
    PermanentCarrierError,
    SendResult,
    TransientCarrierError,
)
from smsgate.carriers.retry import backoff_delay, send_with_retry

SMS = OutboundSms(
    message_id="m-1", location_id="loc-1", from_number="+15017122661", to="+15558675310", body="Hi"
)


class ScriptedCarrier:
    """A carrier test double: raises or answers from a script, one entry per send."""

    name = "scripted"

    def __init__(self, *outcomes: CarrierError | str) -> None:
        self._outcomes = deque(outcomes)
        self.sends: list[OutboundSms] = []

    def send(self, sms: OutboundSms) -> SendResult:
        self.sends.append(sms)
        outcome = self._outcomes.popleft()
        if isinstance(outcome, CarrierError):
            raise outcome
        return SendResult(carrier_message_id=outcome)


def test_first_success_is_returned_without_waiting(recording_sleep):
    carrier = ScriptedCarrier("SM1")

    assert send_with_retry(carrier, SMS, sleep=recording_sleep).carrier_message_id == "SM1"
    assert recording_sleep.delays == []


def test_transient_errors_back_off_exponentially_with_full_jitter(recording_sleep):
    carrier = ScriptedCarrier(
        TransientCarrierError("a"), TransientCarrierError("b"), TransientCarrierError("c"), "SM1"
    )

    result = send_with_retry(
        carrier, SMS, base_delay=0.2, max_delay=5.0, sleep=recording_sleep, rand=lambda: 0.5
    )

    assert result.carrier_message_id == "SM1"
    assert recording_sleep.delays == pytest.approx([0.1, 0.2, 0.4])
    assert carrier.sends == [SMS] * 4


def test_retry_after_is_a_floor_under_the_jitter(recording_sleep):
    carrier = ScriptedCarrier(TransientCarrierError("throttled", retry_after=1.5), "SM1")

    send_with_retry(carrier, SMS, sleep=recording_sleep, rand=lambda: 0.5)

    assert recording_sleep.delays == [1.5]


def test_a_jitter_longer_than_retry_after_is_kept(recording_sleep):
    carrier = ScriptedCarrier(TransientCarrierError("throttled", retry_after=0.05), "SM1")

    send_with_retry(carrier, SMS, base_delay=1.0, sleep=recording_sleep, rand=lambda: 0.5)

    assert recording_sleep.delays == [0.5]


def test_retry_after_beyond_max_delay_is_left_to_the_queue(recording_sleep):
    throttled = TransientCarrierError("throttled", retry_after=60.0)
    carrier = ScriptedCarrier(throttled, "SM1")

    with pytest.raises(TransientCarrierError) as caught:
        send_with_retry(carrier, SMS, max_delay=5.0, sleep=recording_sleep)

    assert caught.value is throttled
    assert recording_sleep.delays == []
    assert len(carrier.sends) == 1


def test_permanent_rejection_is_raised_at_once(recording_sleep):
    rejected = PermanentCarrierError("unsubscribed", code=21610)
    carrier = ScriptedCarrier(TransientCarrierError("blip"), rejected, "SM1")

    with pytest.raises(PermanentCarrierError) as caught:
        send_with_retry(carrier, SMS, sleep=recording_sleep, rand=lambda: 0.0)

    assert caught.value is rejected
    assert len(carrier.sends) == 2


def test_last_transient_error_is_raised_when_attempts_run_out(recording_sleep):
    errors = [TransientCarrierError(f"attempt {n}", code=20500) for n in range(3)]
    carrier = ScriptedCarrier(*errors)

    with pytest.raises(TransientCarrierError) as caught:
        send_with_retry(carrier, SMS, attempts=3, sleep=recording_sleep, rand=lambda: 1.0)

    assert caught.value is errors[-1]
    assert len(carrier.sends) == 3
    assert len(recording_sleep.delays) == 2  # no pointless wait after the last attempt


def test_one_attempt_means_no_retry(recording_sleep):
    carrier = ScriptedCarrier(TransientCarrierError("blip"), "SM1")

    with pytest.raises(TransientCarrierError):
        send_with_retry(carrier, SMS, attempts=1, sleep=recording_sleep)

    assert recording_sleep.delays == []


def test_attempts_must_be_positive():
    with pytest.raises(ValueError, match="attempts"):
        send_with_retry(ScriptedCarrier("SM1"), SMS, attempts=0)


@given(
    attempt=st.integers(min_value=0, max_value=60),
    base_delay=st.floats(min_value=0.001, max_value=10.0),
    max_delay=st.floats(min_value=0.001, max_value=60.0),
    rand=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
)
def test_backoff_delay_stays_within_the_exponential_cap(attempt, base_delay, max_delay, rand):
    delay = backoff_delay(attempt, base_delay=base_delay, max_delay=max_delay, rand=rand)

    assert 0.0 <= delay <= min(max_delay, base_delay * 2**attempt)
