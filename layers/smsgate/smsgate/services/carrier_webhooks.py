"""What the carriers' webhooks need from AWS: the secrets that sign them and the topics they are
queued on (docs/inbound.md#twilio-webhooks). The checks themselves are `smsgate.api.webhooks`.

The signing secret is read from the environment locally, else from its SSM SecureString, cached
5 minutes; a failed read is remembered for 30 s, per parameter, so an outage of SSM is not hammered
(docs/deploying.md#the-public-webhooks).
"""

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from smsgate.dal import clients
from smsgate.errors import SmsgateError
from smsgate.observability import logger
from smsgate.reasons import ReasonCode
from smsgate.settings import Settings

TOKEN_MAX_AGE_SECONDS: Final = 300
TOKEN_FAILURE_SECONDS: Final = 30


def queue(
    topic_arn: str, source: str, params: dict[str, str], query: dict[str, str], received_at: datetime
) -> None:
    """Publish a verified webhook to its topic, wrapped as the consumers read it
    (`models.carrier_events.parse_receipt` / `parse_inbound`)."""
    envelope: dict[str, Any] = {
        "source": source,
        "params": params,
        "query": query,
        "receivedAt": received_at.isoformat(),
    }
    clients.sns().publish(TopicArn=topic_arn, Message=json.dumps(envelope))


@dataclass
class _TokenFailures:
    """When the last failed read of each secret's parameter stops counting (time.monotonic), by
    parameter name: a shared key that cannot be read must not hold back the auth token, which
    signs every other webhook, STOP replies included (docs/deploying.md#the-public-webhooks)."""

    until: dict[str, float] = field(default_factory=dict)

    def retry_after(self, name: str, now: float) -> float:
        return self.until.get(name, 0.0) - now

    def remember(self, name: str, now: float) -> None:
        self.until[name] = now + TOKEN_FAILURE_SECONDS


_token_failures = _TokenFailures()


def shared_key(settings: Settings) -> str:
    """The secret of the Twilio shared key that signs webhooks with HMAC-SHA256 (for a request
    that names one in `X-Twilio-Webhooks-Signature-Settings`); empty when none is configured,
    and such requests are refused (docs/receipts.md#the-twilio-webhook)."""
    secret = _secret(settings.twilio_shared_key, settings.twilio_shared_key_parameter)
    if secret is None:
        logger.warning("a webhook signed with a Twilio shared key, and none is configured")
    return secret or ""


def auth_token(settings: Settings) -> str:
    """The Twilio auth token that signs webhooks; empty when none is configured (every
    request is then refused)."""
    secret = _secret(settings.twilio_auth_token, settings.twilio_auth_token_parameter)
    if secret is None:
        logger.error("no Twilio auth token configured: every webhook is refused")
    return secret or ""


def _secret(value: str, parameter: str) -> str | None:
    """A secret set in the environment, else read from its SSM parameter; None when neither is
    configured."""
    if value:
        return value
    return _secure_parameter(parameter) if parameter else None


def _secure_parameter(name: str) -> str:
    """An SSM SecureString holding a signing secret, cached; a failed read is remembered for
    that parameter alone."""
    retry_after = _token_failures.retry_after(name, time.monotonic())
    if retry_after > 0:
        raise SmsgateError(
            ReasonCode.SERVICE_UNAVAILABLE,
            "Webhook verification is unavailable.",
            retry_after=max(1, round(retry_after)),
        )
    # Imported here: only a deployment that keeps the token in SSM reads it, on the first
    # webhook, and the cold start does not pay for powertools parameters.
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        token = parameters.get_parameter(name, decrypt=True, max_age=TOKEN_MAX_AGE_SECONDS)
    except GetParameterError as exc:
        _token_failures.remember(name, time.monotonic())
        logger.error(
            "the Twilio signing secret parameter cannot be read", extra={"error": type(exc).__name__}
        )
        raise SmsgateError(
            ReasonCode.SERVICE_UNAVAILABLE,
            "Webhook verification is unavailable.",
            retry_after=TOKEN_FAILURE_SECONDS,
        ) from exc
    return token if isinstance(token, str) else ""
