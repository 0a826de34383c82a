"""Moments as the whole layer reads them: every stored and compared time is in UTC."""

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """A naive datetime is taken to be UTC, the only zone our producers write; an aware one is
    converted."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
