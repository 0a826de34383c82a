"""Idempotent sends: the same `idempotency_key` returns the first answer and queues nothing twice."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from smsgate.dal import messages
from smsgate.errors import SmsgateError
from smsgate.reasons import ReasonCode

Answer = tuple[int, dict[str, Any], dict[str, str]]


def answer_once(location_id: str, key: str | None, now: datetime, produce: Callable[[], Answer]) -> Answer:
    """Run `produce` once per (location, key); later calls get the stored answer.

    Refusals are answers too and are kept; a failure of our own (an exception) releases the key
    so the caller's retry is decided afresh.
    """
    if key is None:
        return produce()
    stored = messages.claim_idempotency_key(location_id, key, now)
    if stored is not None:
        if stored.get("state") == "done":
            return (
                int(stored["status"]),
                dict(stored["body"]),
                {str(k): str(v) for k, v in stored["headers"].items()},
            )
        raise SmsgateError(
            ReasonCode.IDEMPOTENCY_IN_PROGRESS,
            "A request with this idempotency_key is still being processed.",
        )
    try:
        status, body, headers = produce()
    except SmsgateError as refusal:
        if refusal.code == ReasonCode.SERVICE_UNAVAILABLE:
            messages.release_idempotency_key(location_id, key)
            raise
        headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after is not None else {}
        status, body = refusal.status, refusal.body()
    except Exception:
        messages.release_idempotency_key(location_id, key)
        raise
    messages.complete_idempotency_key(location_id, key, status, body, headers)
    return status, body, headers
