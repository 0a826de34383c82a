"""Domain exceptions. Each carries a reason code; `smsgate.api.errors` maps them to HTTP answers."""

from typing import Any

from smsgate.policy.refusal import Refusal
from smsgate.reasons import HTTP_STATUS, ReasonCode


class SmsgateError(Exception):
    """A refusal or failure with a stable reason code (docs/api.md#reason-codes)."""

    def __init__(
        self,
        code: ReasonCode,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.retry_after = retry_after

    @classmethod
    def from_refusal(cls, refusal: Refusal) -> "SmsgateError":
        """The error that answers a check's refusal (`smsgate.policy`)."""
        return cls(refusal.code, refusal.message, details=refusal.details)

    @property
    def status(self) -> int:
        return int(HTTP_STATUS[self.code])

    def body(self) -> dict[str, Any]:
        return {"error": {"code": str(self.code), "message": self.message, **self.details}}


class StorageUnavailable(SmsgateError):
    """DynamoDB (or another AWS dependency) throttled or failed: retry later, decide nothing."""

    def __init__(self, message: str = "Storage is temporarily unavailable, retry later.") -> None:
        super().__init__(ReasonCode.SERVICE_UNAVAILABLE, message, retry_after=1)
