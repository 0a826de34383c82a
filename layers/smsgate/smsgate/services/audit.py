"""The threshold audit (SPEC section 8). Completed by issue 6."""

from datetime import datetime
from typing import Any

from smsgate.observability import logger


def run_audit(now: datetime) -> dict[str, Any]:
    logger.info("threshold audit ran", extra={"at": now.isoformat(), "audited": 0})
    return {"audited": 0, "warned": 0, "suspended": 0, "at": now.isoformat()}
