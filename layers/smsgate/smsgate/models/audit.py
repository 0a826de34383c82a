"""What the threshold audit counts: a location's delivery outcomes and opt-outs over a window,
summed from its hourly counters."""

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WindowCounts:
    """A location's audit counters summed over the window."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0
    undelivered: int = 0
    opt_outs: int = 0
    errors_by_code: Mapping[int, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.failed + self.undelivered

    def __add__(self, other: "WindowCounts") -> "WindowCounts":
        codes = dict(self.errors_by_code)
        for code, count in other.errors_by_code.items():
            codes[code] = codes.get(code, 0) + count
        return WindowCounts(
            sent=self.sent + other.sent,
            delivered=self.delivered + other.delivered,
            failed=self.failed + other.failed,
            undelivered=self.undelivered + other.undelivered,
            opt_outs=self.opt_outs + other.opt_outs,
            errors_by_code=codes,
        )
