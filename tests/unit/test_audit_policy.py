"""The threshold audit's decisions (docs/policy.md#audit-thresholds): exact, inclusive boundaries and
their laws."""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.models.entities import Location
from smsgate.policy.audit import (
    AuditAction,
    Thresholds,
    WindowCounts,
    action_to_take,
    audit_verdict,
    audit_window,
    notice_until,
    status_to_restore,
    suspension_end,
)
from smsgate.policy.suspension import location_status

NOW = datetime(2024, 6, 1, 10, 30, 15, tzinfo=UTC)
DEFAULTS = Thresholds()
LOCATION = Location(location_id="loc-1", name="Bright Smiles", created_at=NOW - timedelta(days=30))


def errors(sent: int, failed: int, undelivered: int = 0) -> WindowCounts:
    return WindowCounts(sent=sent, failed=failed, undelivered=undelivered)


def opt_outs(sent: int, count: int) -> WindowCounts:
    return WindowCounts(sent=sent, opt_outs=count)


@pytest.mark.parametrize(
    ("counts", "action", "breached"),
    [
        # error rate: 7.99 % / 8 % and 12.49 % / 12.5 %
        (errors(10_000, 799), AuditAction.NONE, ()),
        (errors(10_000, 800), AuditAction.VIOLATION, ("error_rate",)),
        (errors(10_000, 1249), AuditAction.VIOLATION, ("error_rate",)),
        (errors(10_000, 1250), AuditAction.SUSPENSION, ("error_rate",)),
        # failed and undelivered both count
        (errors(10_000, 400, 400), AuditAction.VIOLATION, ("error_rate",)),
        (errors(10_000, 625, 625), AuditAction.SUSPENSION, ("error_rate",)),
        # opt-out rate: 0.99 % / 1 % and 2.49 % / 2.5 %
        (opt_outs(10_000, 99), AuditAction.NONE, ()),
        (opt_outs(10_000, 100), AuditAction.VIOLATION, ("opt_out_rate",)),
        (opt_outs(10_000, 249), AuditAction.VIOLATION, ("opt_out_rate",)),
        (opt_outs(10_000, 250), AuditAction.SUSPENSION, ("opt_out_rate",)),
        # exactly at the minimum sample of 100: 8 % of 100 is a violation, 12.5 % of 200 a suspension
        (errors(100, 8), AuditAction.VIOLATION, ("error_rate",)),
        (errors(100, 7), AuditAction.NONE, ()),
        (errors(200, 25), AuditAction.SUSPENSION, ("error_rate",)),
        (opt_outs(100, 1), AuditAction.VIOLATION, ("opt_out_rate",)),
        (opt_outs(200, 5), AuditAction.SUSPENSION, ("opt_out_rate",)),
    ],
)
def test_threshold_boundaries_are_inclusive_and_exact(
    counts: WindowCounts, action: AuditAction, breached: tuple[str, ...]
) -> None:
    verdict = audit_verdict(counts, DEFAULTS)
    assert verdict.action == action
    assert verdict.breached == breached


def test_both_rates_can_breach_at_once() -> None:
    counts = WindowCounts(sent=1000, undelivered=130, opt_outs=30)
    verdict = audit_verdict(counts, DEFAULTS)
    assert verdict.action == AuditAction.SUSPENSION
    assert verdict.breached == ("error_rate", "opt_out_rate")
    assert verdict.error_rate == Fraction(13, 100)
    assert verdict.opt_out_rate == Fraction(3, 100)


def test_nothing_happens_below_the_minimum_sample() -> None:
    verdict = audit_verdict(errors(99, 99), DEFAULTS)
    assert verdict.action == AuditAction.NONE
    assert verdict.below_min_sample
    assert verdict.error_rate == 1
    small = Thresholds(min_sample=10)
    assert audit_verdict(errors(10, 2), small).action == AuditAction.SUSPENSION
    assert audit_verdict(errors(9, 9), small).action == AuditAction.NONE


def test_rates_are_zero_when_nothing_was_sent() -> None:
    verdict = audit_verdict(WindowCounts(opt_outs=3), DEFAULTS)
    assert (verdict.action, verdict.error_rate, verdict.opt_out_rate) == (AuditAction.NONE, 0, 0)


def test_counts_add_up_with_their_error_codes() -> None:
    total = WindowCounts(sent=2, undelivered=1, errors_by_code={30004: 1}) + WindowCounts(
        sent=3, failed=1, undelivered=1, errors_by_code={30004: 1, 30003: 1}
    )
    assert total == WindowCounts(sent=5, failed=1, undelivered=2, errors_by_code={30004: 2, 30003: 1})
    assert total.errors == 3


counts_strategy = st.builds(
    WindowCounts,
    sent=st.integers(0, 5000),
    failed=st.integers(0, 800),
    undelivered=st.integers(0, 800),
    opt_outs=st.integers(0, 200),
)


@given(counts_strategy, st.integers(0, 500), st.integers(0, 500), st.integers(0, 100))
def test_more_errors_or_opt_outs_never_lessen_the_action(
    counts: WindowCounts, more_failed: int, more_undelivered: int, more_opt_outs: int
) -> None:
    worse = WindowCounts(
        sent=counts.sent,
        failed=counts.failed + more_failed,
        undelivered=counts.undelivered + more_undelivered,
        opt_outs=counts.opt_outs + more_opt_outs,
    )
    assert audit_verdict(worse, DEFAULTS).action >= audit_verdict(counts, DEFAULTS).action


@given(counts_strategy)
def test_the_verdict_is_the_integer_cross_multiplication_of_the_threshold_table(counts: WindowCounts) -> None:
    """(failed + undelivered) / sent ≥ 8 / 100 ⇔ 100 × errors ≥ 8 × sent, with no rounding."""
    verdict = audit_verdict(counts, DEFAULTS)
    sampled = counts.sent >= DEFAULTS.min_sample
    suspend = sampled and (
        1000 * counts.errors >= 125 * counts.sent or 1000 * counts.opt_outs >= 25 * counts.sent
    )
    warn = sampled and (100 * counts.errors >= 8 * counts.sent or 100 * counts.opt_outs >= 1 * counts.sent)
    expected = AuditAction.SUSPENSION if suspend else AuditAction.VIOLATION if warn else AuditAction.NONE
    assert verdict.action == expected


def test_the_window_holds_the_current_hour_and_the_hours_before_it() -> None:
    window = audit_window(NOW, 24)
    assert window.end == NOW
    assert window.start == datetime(2024, 5, 31, 11, tzinfo=UTC)
    assert len(window.hours) == 24
    assert window.hours[-1] == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert audit_window(NOW, 1).hours == (datetime(2024, 6, 1, 10, tzinfo=UTC),)
    with pytest.raises(ValueError):
        audit_window(NOW, 0)


@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    st.integers(1, 72),
    st.integers(0, 10_000),
)
def test_a_notice_blocks_until_a_window_shares_no_hour_with_its_own(
    noticed: datetime, hours: int, later_seconds: int
) -> None:
    """Once per window: the next notice can only come from a run whose window is disjoint."""
    first = set(audit_window(noticed, hours).hours)
    next_allowed = notice_until(noticed, hours) + timedelta(seconds=later_seconds)
    assert first.isdisjoint(audit_window(next_allowed, hours).hours)
    just_before = notice_until(noticed, hours) - timedelta(seconds=1)
    assert not first.isdisjoint(audit_window(just_before, hours).hours)


def test_a_suspension_lasts_the_configured_hours() -> None:
    assert suspension_end(NOW, 72) == NOW + timedelta(hours=72)


def test_status_of_a_location_whose_suspension_ended_is_active() -> None:
    suspended = LOCATION.model_copy(
        update={"status": "suspended", "suspended_until": NOW + timedelta(hours=1)}
    )
    assert location_status(suspended, NOW) == "suspended"
    assert location_status(suspended, NOW + timedelta(hours=1)) == "active"
    assert location_status(LOCATION.model_copy(update={"status": "warned"}), NOW) == "warned"


def test_a_suspended_location_gets_no_further_action() -> None:
    verdict = audit_verdict(errors(1000, 500), DEFAULTS)
    suspended = LOCATION.model_copy(
        update={"status": "suspended", "suspended_until": NOW + timedelta(hours=1)}
    )
    assert action_to_take(verdict, suspended, NOW) == AuditAction.NONE
    assert action_to_take(verdict, suspended, NOW + timedelta(hours=2)) == AuditAction.SUSPENSION
    assert action_to_take(verdict, LOCATION, NOW) == AuditAction.SUSPENSION


def test_status_goes_back_to_active_when_the_warning_or_suspension_is_over() -> None:
    clean = audit_verdict(errors(1000, 10), DEFAULTS)
    bad = audit_verdict(errors(1000, 100), DEFAULTS)
    warned = LOCATION.model_copy(update={"status": "warned"})
    assert status_to_restore(clean, warned, NOW)
    assert not status_to_restore(bad, warned, NOW)
    ended = LOCATION.model_copy(update={"status": "suspended", "suspended_until": NOW})
    running = LOCATION.model_copy(update={"status": "suspended", "suspended_until": NOW + timedelta(hours=1)})
    assert status_to_restore(clean, ended, NOW)
    assert not status_to_restore(clean, running, NOW)
    assert not status_to_restore(clean, LOCATION, NOW)


def test_thresholds_in_the_api_are_the_documented_defaults() -> None:
    assert DEFAULTS.to_api() == {
        "violation": {"error_rate": 0.08, "opt_out_rate": 0.01},
        "suspension": {"error_rate": 0.125, "opt_out_rate": 0.025},
        "min_sample": 100,
    }
