"""The carrier interface every adapter implements."""

from typing import Protocol

from pydantic import BaseModel, ConfigDict

# The message the adapters are handed is one of the outbound message's forms (models/outbound.py).
from smsgate.models.outbound import OutboundSms

__all__ = [
    "Carrier",
    "CarrierError",
    "InfrastructureCarrierError",
    "OutboundSms",
    "PermanentCarrierError",
    "SendResult",
    "TransientCarrierError",
]


class SendResult(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    carrier_message_id: str


class CarrierError(Exception):
    """A send the carrier did not accept."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientCarrierError(CarrierError):
    """Throttling, timeouts, 5xx: the same send may succeed later (retried with backoff)."""

    def __init__(self, message: str, *, code: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class PermanentCarrierError(CarrierError):
    """A rejection that no retry will change; it becomes a `failed` receipt with `code`."""


class InfrastructureCarrierError(CarrierError):
    """A refusal of *our* sending set-up (credentials, permissions, configuration, quotas, the
    spend limit), not of the message: it is never the location's (docs/carriers.md#our-own-faults).

    The message waits in its queue: `retry_after` seconds when the carrier advises a time,
    or, when None, until an operator acts (retrying cannot help).
    """

    def __init__(self, message: str, *, code: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Carrier(Protocol):
    name: str

    def send(self, sms: OutboundSms) -> SendResult:
        """Hand one SMS to the carrier; raise TransientCarrierError or PermanentCarrierError."""
        ...
