"""Conversions between DynamoDB items and plain Python values."""

from datetime import datetime
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    """Decimals back to int/float, sets to sorted lists, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, set):
        return sorted(plain(item) for item in value)
    return value


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())
