"""Idempotent sends: the same `idempotency_key` returns the first answer and queues nothing twice."""

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from smsgate.dal import messages
from smsgate.errors import SmsgateError
from smsgate.reasons import ReasonCode

Answer = tuple[int, dict[str, Any], dict[str, str]]


def request_hash(operation: str, request: BaseModel) -> str:
    """A digest of what a request asks, its idempotency key aside: the same key with another
    digest is another request (docs/api.md#idempotency)."""
    asked = request.model_dump_json(by_alias=True, exclude={"idempotency_key"})
    return hashlib.sha256(f"{operation}\n{asked}".encode()).hexdigest()


def answer_once(
    location_id: str, key: str | None, digest: str, now: datetime, produce: Callable[[], Answer]
) -> Answer:
    """Run `produce` once per (location, key); later calls with the same request (`digest`) get
    the stored answer, a call with another request a 422 IDEMPOTENCY_KEY_REUSED.

    Refusals are answers too and are kept; a failure of our own (an exception) releases the key
    so the caller's retry is decided afresh.
    """
    if key is None:
        return produce()
    stored = messages.claim_idempotency_key(location_id, key, digest, now)
    if stored is not None:
        # A record kept before digests were stored has none: it is taken as the same request.
        if stored.get("request_hash", digest) != digest:
            raise SmsgateError(
                ReasonCode.IDEMPOTENCY_KEY_REUSED,
                "This idempotency_key was used with a different request; use a new key for a new request.",
            )
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
