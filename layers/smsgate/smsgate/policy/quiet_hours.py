"""Quiet hours: may a marketing message go to this recipient now, and if not, from when?

Pure decisions (docs/quiet-hours.md): the caller passes the recipient's place (candidate time
zones and states, see `recipient_place`), the message's kind, the location's policy and `now`.
A message is allowed at an instant when, in every candidate time zone of its recipient, the
local time is inside the federal window, the location's own window and the window of every
state rule that applies (`smsgate.policy.calling_hours`): where a number maps to several
zones, it waits until it is allowed in all of them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from smsgate.models.vocabulary import QuietHoursAction
from smsgate.policy.calling_hours import EVERY_DAY, STATE_RULES, CallingRule, Window, rules_for
from smsgate.policy.numbering import place_of_number

PlaceSource = Literal["contact", "postal_code", "number", "unknown"]

# Kinds that are marketing by nature; a conversation (a reply within a thread the contact
# started) is never held; a workflow is held when the location says so
# (docs/quiet-hours.md#which-messages-wait).
HELD_KINDS = frozenset({"bulk", "campaign"})
NEVER_HELD_KINDS = frozenset({"conversation", "reply"})
# How far ahead the first allowed minute is looked for: a week covers every weekly rule.
SEARCH_DAYS = 8
SAME_SUBJECT_WINDOW = timedelta(hours=24)
# A contact's record keeps the instants of its last counted sends, as many as the largest limit
# any state sets: enough to decide every limit (docs/quiet-hours.md#same-subject-limits).
SAME_SUBJECT_KEPT = max(rule.same_subject_per_24_hours or 0 for rule in STATE_RULES.values())
MIDNIGHT = time(0)


@dataclass(frozen=True)
class QuietHoursPolicy:
    """A location's quiet hours: from `quiet_from` to `quiet_until` (across midnight), local time
    of the recipient. Equal times mean the location adds no quiet hours of its own (the law's
    still apply)."""

    quiet_from: time = time(21)
    quiet_until: time = time(8)
    hold_workflow: bool = False
    action: QuietHoursAction = "defer"

    def __post_init__(self) -> None:
        if MIDNIGHT < self.quiet_from < self.quiet_until:
            raise ValueError("quiet hours run from an evening time to a morning time across midnight")

    def as_rule(self) -> CallingRule:
        if self.quiet_from == self.quiet_until:
            window = Window(MIDNIGHT, MIDNIGHT)
        else:
            window = Window(self.quiet_until, self.quiet_from)
        return CallingRule(
            jurisdiction="location",
            citation="the location's quiet hours",
            source="docs/quiet-hours.md#the-locations-policy",
            windows=tuple(window for _ in EVERY_DAY),
        )


DEFAULT_POLICY = QuietHoursPolicy()


@dataclass(frozen=True)
class RecipientPlace:
    """Where the recipient may be: every candidate IANA time zone and state (or province)."""

    time_zones: tuple[str, ...]
    states: tuple[str, ...]
    source: PlaceSource


@dataclass(frozen=True)
class QuietHoursDecision:
    allowed: bool
    # `now` when allowed; else the first allowed minute (UTC), None when no minute of the next
    # week is allowed in every candidate zone.
    allowed_from: datetime | None
    # The jurisdictions ("US", a state, "location") whose window holds the message now.
    held_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class SameSubjectDecision:
    allowed: bool
    allowed_from: datetime | None
    limit: int | None


def recipient_place(
    number_zones: tuple[str, ...],
    number_states: tuple[str, ...],
    *,
    contact_time_zone: str | None = None,
    contact_state: str | None = None,
    postal_code_time_zone: str | None = None,
    postal_code_state: str | None = None,
) -> RecipientPlace:
    """The recipient's place by precedence: the contact's recorded time zone, then the one of
    its postal code, then the number's (docs/quiet-hours.md#where-the-recipient-is). A state
    recorded with the contact or its postal code replaces the number's states."""
    if contact_time_zone:
        states = _first_known(contact_state, postal_code_state, number_states)
        return RecipientPlace((contact_time_zone,), states, "contact")
    if postal_code_time_zone:
        states = _first_known(contact_state, postal_code_state, number_states)
        return RecipientPlace((postal_code_time_zone,), states, "postal_code")
    if number_zones:
        return RecipientPlace(tuple(number_zones), _first_known(contact_state, None, number_states), "number")
    return RecipientPlace((), _first_known(contact_state, postal_code_state, number_states), "unknown")


class RecordedPlace(Protocol):
    """Where a contact's record places it (`models.entities.ContactPlace`)."""

    @property
    def time_zone(self) -> str | None: ...
    @property
    def state(self) -> str | None: ...


def place_of_recipient(to: str, recorded: RecordedPlace | None = None) -> RecipientPlace:
    """Where the recipient of `to` may be: the time zone and state its contact's record holds,
    when its location recorded them, else its number's (`recipient_place`'s precedence)."""
    number = place_of_number(to)
    if recorded is None:
        return recipient_place(number.time_zones, number.states)
    return recipient_place(
        number.time_zones, number.states, contact_time_zone=recorded.time_zone, contact_state=recorded.state
    )


def _first_known(contact: str | None, postal: str | None, number: tuple[str, ...]) -> tuple[str, ...]:
    if contact:
        return (contact,)
    if postal:
        return (postal,)
    return tuple(number)


def is_held_kind(kind: str, policy: QuietHoursPolicy = DEFAULT_POLICY) -> bool:
    if kind in NEVER_HELD_KINDS:
        return False
    return kind in HELD_KINDS or (kind == "workflow" and policy.hold_workflow)


def decide(
    kind: str, place: RecipientPlace, now: datetime, policy: QuietHoursPolicy = DEFAULT_POLICY
) -> QuietHoursDecision:
    """Allowed now, or the first minute it is allowed in every candidate zone of `place`.

    A kind that is never held, or a recipient of unknown place (no zone from the contact, its
    postal code or its number), is allowed: docs/quiet-hours.md#unknown-place."""
    now = now.astimezone(UTC)
    if not is_held_kind(kind, policy) or not place.time_zones:
        return QuietHoursDecision(True, now)
    rules = (*rules_for(place.states), policy.as_rule())
    held_by = _held_by(rules, place.time_zones, now)
    if not held_by:
        return QuietHoursDecision(True, now)
    return QuietHoursDecision(False, first_allowed_minute(rules, place.time_zones, now), held_by)


def first_allowed_minute(
    rules: Sequence[CallingRule], time_zones: Sequence[str], now: datetime
) -> datetime | None:
    """The first instant from `now` at which every rule allows a message in every zone.

    The allowed instants are a union of intervals, each opening at a window's start in one of
    the zones (or at `now`): only those openings need checking, not every minute."""
    now = now.astimezone(UTC)
    if not _held_by(rules, time_zones, now):
        return now
    openings: set[datetime] = set()
    for name in time_zones:
        zone = _zone(name)
        today = now.astimezone(zone).date()
        for offset in range(SEARCH_DAYS):
            day = today + timedelta(days=offset)
            window = combined_window(rules, day.weekday())
            if window is not None:
                opening = datetime.combine(day, window.start, tzinfo=zone).astimezone(UTC)
                if opening > now:
                    openings.add(opening)
    for opening in sorted(openings):
        if not _held_by(rules, time_zones, opening):
            return opening
    return None


def combined_window(rules: Sequence[CallingRule], weekday: int) -> Window | None:
    """The window every rule allows on `weekday` (None: no message that day)."""
    start, end = MIDNIGHT, _END_OF_DAY
    for rule in rules:
        window = rule.window_on(weekday)
        if window is None:
            return None
        start = max(start, window.start)
        end = min(end, _minutes(window.end, closing=True))
    if _minutes(start) >= end:
        return None
    return Window(start, _time_of(end))


def same_subject_limit(states: Sequence[str]) -> int | None:
    """The strictest same-subject limit of `states` (messages per contact in 24 hours)."""
    limits = [rule.same_subject_per_24_hours for rule in rules_for(tuple(states))]
    known = [limit for limit in limits if limit is not None]
    return min(known) if known else None


def same_subject_rules(states: Sequence[str]) -> tuple[str, ...]:
    """The jurisdictions among `states` that limit messages on the same subject."""
    return tuple(
        rule.jurisdiction for rule in rules_for(tuple(states)) if rule.same_subject_per_24_hours is not None
    )


def counts_toward_same_subject(
    kind: str, states: Sequence[str], policy: QuietHoursPolicy = DEFAULT_POLICY
) -> bool:
    """Whether a message of `kind` to a recipient in `states` counts toward (and is held by) a
    same-subject limit: a kind quiet hours hold, to a state that has one. Every such message of
    a location is one subject (docs/quiet-hours.md#what-a-subject-is)."""
    return is_held_kind(kind, policy) and same_subject_limit(states) is not None


def with_counted_send(sent_at: Sequence[datetime], at: datetime) -> tuple[datetime, ...]:
    """A contact's same-subject record after one more counted send at `at`: its last
    SAME_SUBJECT_KEPT instants, oldest first."""
    return tuple(sorted((*(moment.astimezone(UTC) for moment in sent_at), at.astimezone(UTC))))[
        -SAME_SUBJECT_KEPT:
    ]


def check_same_subject(
    kind: str,
    states: Sequence[str],
    sent_at: Sequence[datetime],
    now: datetime,
    policy: QuietHoursPolicy = DEFAULT_POLICY,
) -> SameSubjectDecision:
    """May one more message on a subject go to a contact who got the ones at `sent_at` on it?
    Counted over the 24 hours before `now`; when the limit is reached, the answer says when the
    oldest message that counts leaves the window (docs/quiet-hours.md#same-subject-limits)."""
    limit = same_subject_limit(states)
    now = now.astimezone(UTC)
    if limit is None or not is_held_kind(kind, policy):
        return SameSubjectDecision(True, now, limit)
    recent = sorted(at.astimezone(UTC) for at in sent_at if now - SAME_SUBJECT_WINDOW < at <= now)
    if len(recent) < limit:
        return SameSubjectDecision(True, now, limit)
    return SameSubjectDecision(False, recent[len(recent) - limit] + SAME_SUBJECT_WINDOW, limit)


# --- helpers ----------------------------------------------------------------------------------

_END_OF_DAY = 24 * 60


def _minutes(moment: time, *, closing: bool = False) -> int:
    """Minutes since midnight; a closing time of midnight is the end of the day."""
    minutes = moment.hour * 60 + moment.minute
    return _END_OF_DAY if closing and minutes == 0 else minutes


def _time_of(minutes: int) -> time:
    return MIDNIGHT if minutes >= _END_OF_DAY else time(minutes // 60, minutes % 60)


def _held_by(rules: Sequence[CallingRule], time_zones: Sequence[str], moment: datetime) -> tuple[str, ...]:
    held: list[str] = []
    for name in time_zones:
        local = moment.astimezone(_zone(name))
        minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6
        for rule in rules:
            window = rule.window_on(local.weekday())
            inside = window is not None and (
                _minutes(window.start) <= minute < _minutes(window.end, closing=True)
            )
            if not inside and rule.jurisdiction not in held:
                held.append(rule.jurisdiction)
    return tuple(held)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
