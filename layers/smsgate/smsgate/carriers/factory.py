"""The carrier adapter of this deployment (template parameter `Carrier`; docs/carriers.md).

Building an adapter reads no secret and opens no connection, so importing the dispatcher stays
cheap; what the settings alone can tell (an empty secret name or configuration set) still fails
at cold start (STYLE rule 4). Only the module of the configured adapter is imported: a
deployment runs one carrier, and the others' modules would only lengthen its cold start.
"""

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from smsgate.carriers.base import Carrier, OutboundSms, SendResult
from smsgate.settings import Settings

if TYPE_CHECKING:
    from smsgate.carriers.aws_eum import AwsEumCarrier
    from smsgate.carriers.twilio import TwilioCarrier


def carrier_for(settings: Settings, clock: Callable[[], datetime], sns_client: Callable[[], Any]) -> Carrier:
    """The configured adapter; the simulator publishes its receipts with `sns_client()`, which
    the caller passes in so that no adapter reaches into the data-access package."""
    if settings.carrier == "twilio":
        return TwilioFromSecret(settings)
    if settings.carrier == "aws":
        return AwsEumOnFirstSend(settings)
    from smsgate.carriers.simulator import SimulatorCarrier, sns_publisher

    return SimulatorCarrier(sns_publisher(sns_client, settings.carrier_events_topic_arn), clock)


class TwilioFromSecret:
    """The Twilio adapter, its credentials read from Secrets Manager when a message is sent.

    `twilio_from_secret` keeps the secret in powertools' five-minute cache, so asking it on
    every send costs no call per message, yet a rotated auth token is used within minutes
    without a redeploy. The credentials never sit in the template or the environment.
    """

    name = "twilio"

    def __init__(self, settings: Settings) -> None:
        if not settings.twilio_credentials_secret:
            raise ValueError(
                "TWILIO_CREDENTIALS_SECRET must name the Secrets Manager secret of the Twilio adapter"
            )
        self._secret_name = settings.twilio_credentials_secret
        self._public_base_url = settings.public_base_url
        self._api_base_url = settings.twilio_api_base_url
        self._timeout = settings.carrier_timeout_seconds

    def __repr__(self) -> str:
        return f"TwilioFromSecret(secret={self._secret_name!r})"

    def adapter(self) -> "TwilioCarrier":
        from smsgate.carriers.twilio import twilio_from_secret

        return twilio_from_secret(
            self._secret_name, self._public_base_url, base_url=self._api_base_url, timeout=self._timeout
        )

    def send(self, sms: OutboundSms) -> SendResult:
        return self.adapter().send(sms)


class AwsEumOnFirstSend:
    """The AWS End User Messaging SMS adapter, its boto3 client created by the first send rather
    than at cold start (docs/performance.md#cold-imports: no work at import beyond the settings). A missing
    configuration set still fails at cold start."""

    name = "aws"

    def __init__(self, settings: Settings) -> None:
        if not settings.eum_configuration_set:
            raise ValueError(
                "EUM_CONFIGURATION_SET must name the configuration set that publishes to CarrierEvents"
            )
        self._configuration_set = settings.eum_configuration_set
        self._timeout = settings.carrier_timeout_seconds

    def __repr__(self) -> str:
        return f"AwsEumOnFirstSend(configuration_set={self._configuration_set!r})"

    @cached_property
    def adapter(self) -> "AwsEumCarrier":
        from smsgate.carriers.aws_eum import AwsEumCarrier, eum_client

        return AwsEumCarrier(eum_client(timeout=self._timeout), self._configuration_set)

    def send(self, sms: OutboundSms) -> SendResult:
        return self.adapter.send(sms)
