"""What a pacing slot item holds, as the DAL reads it and the policy plans from it (docs/pacing.md)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyState:
    """A number's or a campaign's slot.

    `tat_us`: its theoretical arrival time in microseconds, an interval after its latest
    booking (None: never used). `owner`: the slower key whose slots this one follows (the
    campaign of a number it holds back, or a number held back more than its campaign), and
    `free_from_us`: the earliest time the owner may book here, after every booking that is not
    the owner's (docs/pacing.md#one-send-time-on-every-key)."""

    tat_us: int | None
    owner: str | None = None
    free_from_us: int | None = None
