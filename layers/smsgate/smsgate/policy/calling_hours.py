"""The calling-hours rules smsgate applies to marketing texts, as data (docs/quiet-hours.md#the-rules).

Each rule says, per weekday of the recipient's local time, the window in which a marketing
message may be sent, and how many messages on the same subject a contact may get in 24 hours.
Every rule was checked against its law's text, or where we could not read that, against
published summaries of it (docs/quiet-hours.md#the-rules says which); a state whose rule we
could not check is not here (docs/quiet-hours.md#left-out). Change a rule here and in the docs
together.
"""

from dataclasses import dataclass
from datetime import time

# Monday is 0, as `datetime.weekday()` counts.
MONDAY, SATURDAY, SUNDAY = 0, 5, 6
EVERY_DAY = tuple(range(7))


@dataclass(frozen=True)
class Window:
    """Messages may go from `start` (included) to `end` (excluded), local time."""

    start: time
    end: time


@dataclass(frozen=True)
class CallingRule:
    """The law of one jurisdiction: its window per weekday (None: no message that day)."""

    jurisdiction: str
    citation: str
    source: str
    windows: tuple[Window | None, ...]  # seven entries, Monday first
    # At most this many messages on the same subject to one contact in any 24 hours; None: no limit.
    same_subject_per_24_hours: int | None = None

    def window_on(self, weekday: int) -> Window | None:
        return self.windows[weekday]


def _daily(start: time, end: time) -> tuple[Window | None, ...]:
    return tuple(Window(start, end) for _ in EVERY_DAY)


EIGHT_AM, EIGHT_PM, NINE_PM = time(8), time(20), time(21)

FEDERAL = CallingRule(
    jurisdiction="US",
    citation="47 CFR 64.1200(c)(1)",
    source="https://www.ecfr.gov/current/title-47/section-64.1200",
    windows=_daily(EIGHT_AM, NINE_PM),
)

# Two-letter state code → its rule, where it is stricter than the federal window.
STATE_RULES: dict[str, CallingRule] = {
    "FL": CallingRule(
        jurisdiction="FL",
        citation="Fla. Stat. 501.616(6)(a)-(b), as amended by ch. 2021-185 (SB 1120)",
        source="https://flsenate.gov/Session/Bill/2021/1120/BillText/er/HTML",
        windows=_daily(EIGHT_AM, EIGHT_PM),
        same_subject_per_24_hours=3,
    ),
    "OK": CallingRule(
        jurisdiction="OK",
        citation="15 O.S. 775C.4 (Telephone Solicitation Act of 2022, HB 3168)",
        source="https://app.legiplex.com/ok/legislature/2022/2022-r/bills/hb3168/drafts-latest",
        windows=_daily(EIGHT_AM, EIGHT_PM),
        same_subject_per_24_hours=3,
    ),
    "MD": CallingRule(
        jurisdiction="MD",
        citation="Md. Code, Com. Law title 14, subtitle 45 (Stop the Spam Calls Act of 2023, SB 90)",
        source="https://www.dnc.com/index.php/news/maryland-governor-signs-stop-spam-calls-act-2023-law",
        windows=_daily(EIGHT_AM, EIGHT_PM),
        same_subject_per_24_hours=3,
    ),
    "WA": CallingRule(
        jurisdiction="WA",
        citation="RCW 19.158.040(2)",
        source="https://app.leg.wa.gov/RCW/default.aspx?cite=19.158.040",
        windows=_daily(EIGHT_AM, EIGHT_PM),
    ),
    "MS": CallingRule(
        jurisdiction="MS",
        citation="Miss. Code 77-3-723",
        source="https://getpocketlaw.com/law/state_mississippi/section-77-3-723-rules-for-authorized-calls_57b73fa7ff73",
        windows=tuple(None if day == SUNDAY else Window(EIGHT_AM, EIGHT_PM) for day in EVERY_DAY),
    ),
}


def rules_for(states: tuple[str, ...]) -> tuple[CallingRule, ...]:
    """The federal rule and the rule of each of `states` that has one."""
    return (FEDERAL, *(STATE_RULES[state] for state in sorted(set(states)) if state in STATE_RULES))
