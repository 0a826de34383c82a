"""Every carrier's raw receipt and inbound formats, and their translation to our events.

Receipts (docs/receipts.md) reach the `status_callback` consumer as the `Message` of an SNS
notification on CarrierEvents, in one of three formats:

- AWS End User Messaging SMS event-destination events (`eventType`, `eventTimestamp`, …);
- Twilio status webhooks, verified by the API and wrapped as `{"source": "twilio.status",
  "params", "query", "receivedAt"}`;
- the local simulator's `{"source": "smsgate.simulator", "eventId", …}`.

Inbound replies (docs/inbound.md#how-a-reply-is-read) reach `inbound_keyword` on the Inbound topic
as AWS two-way SMS payloads (`originationNumber`, `messageBody`, …), wrapped Twilio inbound webhooks
(`"source": "twilio.inbound"`) or simulator injections.

Carrier payloads allow extra fields (carriers add fields without notice); our own envelopes
and the simulator's formats forbid them. Anything else raises `UnknownEventFormat`, whose
message never repeats the payload: receipts and replies hold phone numbers and bodies.
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from smsgate.models.addresses import SmsAddress
from smsgate.models.events import InboundReply, Receipt
from smsgate.models.moments import as_utc
from smsgate.models.phone import E164
from smsgate.models.vocabulary import ReceiptStatus
from smsgate.policy.carrier_opt_outs import aws_keyword, twilio_keyword
from smsgate.policy.receipt_mapping import (
    ReceiptOutcome,
    aws_receipt_outcome,
    error_code_for,
    twilio_is_final,
    twilio_receipt_outcome,
)
from smsgate.sources import SIMULATOR_SOURCE, TWILIO_INBOUND_SOURCE, TWILIO_STATUS_SOURCE

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_EPOCH_MS = 253_402_300_800_000  # 10000-01-01T00:00:00Z

ModelT = TypeVar("ModelT", bound=BaseModel)


class UnknownEventFormat(ValueError):
    """A message no known format accepts; the consumer reports it as a batch item failure (DLQ)."""


# --- AWS End User Messaging SMS ------------------------------------------------------------


class _CarrierPayload(BaseModel):
    # defer_build: pydantic builds the validator at the first use, not at import (cold start).
    model_config = ConfigDict(strict=True, extra="allow", frozen=True, defer_build=True)


class AwsSmsEvent(_CarrierPayload):
    """An SMS event of an AWS End User Messaging SMS event destination (configuration set)."""

    event_type: str = Field(alias="eventType", min_length=1)
    event_version: str | None = Field(default=None, alias="eventVersion")
    # Unix time in milliseconds, bounded so that it is a date Python can hold.
    event_timestamp: int = Field(alias="eventTimestamp", ge=0, lt=_MAX_EPOCH_MS)
    is_final: bool = Field(alias="isFinal")
    origination_phone_number: str | None = Field(default=None, alias="originationPhoneNumber")
    destination_phone_number: str | None = Field(default=None, alias="destinationPhoneNumber")
    iso_country_code: str | None = Field(default=None, alias="isoCountryCode")
    is_international_send: bool | None = Field(default=None, alias="isInternationalSend")
    mcc: str | None = None
    mnc: str | None = None
    message_id: str = Field(alias="messageId", min_length=1)
    message_request_timestamp: int | None = Field(default=None, alias="messageRequestTimestamp")
    message_encoding: str | None = Field(default=None, alias="messageEncoding")
    message_type: str | None = Field(default=None, alias="messageType")
    message_status: str = Field(alias="messageStatus", min_length=1)
    message_status_description: str | None = Field(default=None, alias="messageStatusDescription")
    # The send's `Context` echoed back: the adapter puts our message_id and location_id there.
    context: dict[str, str] | None = None
    total_message_parts: int | None = Field(default=None, alias="totalMessageParts")
    total_message_price: float | None = Field(default=None, alias="totalMessagePrice")
    total_carrier_fee: float | None = Field(default=None, alias="totalCarrierFee")

    @property
    def occurred_at(self) -> datetime:
        return _EPOCH + timedelta(milliseconds=self.event_timestamp)

    @property
    def receipt_id(self) -> str:
        # AWS re-delivers the same event with the same three; each status change of one
        # message has its own type or time.
        return f"aws:{self.message_id}:{self.event_type}:{self.event_timestamp}"

    def to_receipt(self) -> Receipt:
        outcome = aws_receipt_outcome(self.event_type, self.is_final, self.message_status)
        return Receipt(
            receipt_id=self.receipt_id,
            message_id=(self.context or {}).get("message_id"),
            carrier="aws",
            carrier_message_id=self.message_id,
            status=_recorded(outcome, self.event_type),
            error_code=outcome.error_code,
            carrier_status=self.event_type,
            occurred_at=self.occurred_at,
            final=self.is_final,
        )


class AwsInboundSms(_CarrierPayload):
    """A two-way SMS message AWS End User Messaging SMS publishes to SNS."""

    origination_number: SmsAddress = Field(alias="originationNumber")  # the contact
    destination_number: SmsAddress = Field(alias="destinationNumber")  # the location's number
    message_keyword: str | None = Field(default=None, alias="messageKeyword")
    message_body: str = Field(alias="messageBody")
    inbound_message_id: str = Field(alias="inboundMessageId", min_length=1)
    previous_published_message_id: str | None = Field(default=None, alias="previousPublishedMessageId")

    def to_reply(self, received_at: datetime) -> InboundReply:
        return InboundReply(
            inbound_id=self.inbound_message_id,
            carrier="aws",
            contact=self.origination_number,
            number=self.destination_number,
            body=self.message_body,
            received_at=as_utc(received_at),
            carrier_keyword=aws_keyword(self.message_body),
        )


# --- Twilio ------------------------------------------------------------------------------


class TwilioStatusParams(_CarrierPayload):
    """The form parameters of a Twilio message status callback (all strings, as posted)."""

    message_sid: str = Field(alias="MessageSid", min_length=1)
    message_status: str = Field(alias="MessageStatus", min_length=1)
    error_code: str | None = Field(default=None, alias="ErrorCode", pattern=r"^\d*$")
    sms_sid: str | None = Field(default=None, alias="SmsSid")
    sms_status: str | None = Field(default=None, alias="SmsStatus")
    account_sid: str | None = Field(default=None, alias="AccountSid")
    messaging_service_sid: str | None = Field(default=None, alias="MessagingServiceSid")
    from_number: str | None = Field(default=None, alias="From")
    to: str | None = Field(default=None, alias="To")
    api_version: str | None = Field(default=None, alias="ApiVersion")

    @property
    def error_number(self) -> int | None:
        return int(self.error_code) if self.error_code else None


class TwilioInboundParams(_CarrierPayload):
    """The form parameters of Twilio's incoming-message webhook."""

    message_sid: str = Field(alias="MessageSid", min_length=1)
    account_sid: str | None = Field(default=None, alias="AccountSid")
    from_number: SmsAddress = Field(alias="From")  # the contact
    to: SmsAddress = Field(alias="To")  # the location's number
    body: str = Field(default="", alias="Body")  # absent or empty for a picture alone
    num_media: str | None = Field(default=None, alias="NumMedia", pattern=r"^\d+$")
    # STOP, START or HELP when Twilio's opt-out management acted on the message.
    opt_out_type: str | None = Field(default=None, alias="OptOutType")


class _OwnEnvelope(BaseModel):
    # Written by our own API and simulator: an unexpected field is a bug worth a DLQ.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)


class TwilioStatusEnvelope(_OwnEnvelope):
    """A verified Twilio status webhook, as the API publishes it to CarrierEvents."""

    source: Literal["twilio.status"]
    params: TwilioStatusParams
    query: dict[str, str] = Field(default_factory=dict)
    received_at: datetime = Field(alias="receivedAt")

    @property
    def receipt_id(self) -> str:
        # Twilio posts one callback per status; a retried post repeats sid, status and code.
        parts = ["twilio", self.params.message_sid, self.params.message_status]
        if self.params.error_code:
            parts.append(self.params.error_code)
        return ":".join(parts)

    def to_receipt(self) -> Receipt:
        outcome = twilio_receipt_outcome(self.params.message_status, self.params.error_number)
        return Receipt(
            receipt_id=self.receipt_id,
            # The Twilio adapter puts our id in the StatusCallback URL's query string.
            message_id=self.query.get("message_id"),
            carrier="twilio",
            carrier_message_id=self.params.message_sid,
            status=_recorded(outcome, self.params.message_status),
            error_code=outcome.error_code,
            carrier_status=self.params.message_status,
            # Twilio's status callback carries no time of its own.
            occurred_at=as_utc(self.received_at),
            final=twilio_is_final(self.params.message_status),
        )


class TwilioInboundEnvelope(_OwnEnvelope):
    """A verified Twilio incoming-message webhook, as the API publishes it to Inbound."""

    source: Literal["twilio.inbound"]
    params: TwilioInboundParams
    query: dict[str, str] = Field(default_factory=dict)
    received_at: datetime = Field(alias="receivedAt")

    def to_reply(self) -> InboundReply:
        return InboundReply(
            inbound_id=self.params.message_sid,
            carrier="twilio",
            contact=self.params.from_number,
            number=self.params.to,
            body=self.params.body,
            received_at=as_utc(self.received_at),
            carrier_keyword=twilio_keyword(self.params.opt_out_type),
        )


# --- the simulator (docs/local-stack.md#the-simulated-carrier) ---------------------------


class SimulatorReceipt(_OwnEnvelope):
    """The receipt `smsgate.carriers.simulator` publishes for each simulated send."""

    source: Literal["smsgate.simulator"]
    event_id: str = Field(alias="eventId", min_length=1)
    message_id: str | None = Field(alias="messageId")
    carrier_message_id: str | None = Field(alias="carrierMessageId")
    status: ReceiptStatus
    error_code: int | None = Field(alias="errorCode")
    timestamp: datetime

    def to_receipt(self) -> Receipt:
        return Receipt(
            receipt_id=f"simulator:{self.event_id}",
            message_id=self.message_id,
            carrier="simulator",
            carrier_message_id=self.carrier_message_id,
            status=self.status,
            error_code=error_code_for(self.status, self.error_code),
            carrier_status=self.status,
            occurred_at=as_utc(self.timestamp),
        )


class SimulatorInbound(_OwnEnvelope):
    """A reply injected into the local stack or a test as if a contact had written it."""

    source: Literal["smsgate.simulator"]
    inbound_id: str = Field(alias="inboundId", min_length=1)
    from_number: E164 = Field(alias="from")  # the contact
    to: E164  # the location's number
    body: str
    timestamp: datetime

    @field_validator("timestamp")
    @classmethod
    def _as_utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    def to_reply(self) -> InboundReply:
        return InboundReply(
            inbound_id=self.inbound_id,
            carrier="simulator",
            contact=self.from_number,
            number=self.to,
            body=self.body,
            received_at=self.timestamp,
        )


# --- entry points ------------------------------------------------------------------------


def _recorded(outcome: ReceiptOutcome, carrier_status: str) -> ReceiptStatus:
    if outcome.status is None:
        raise UnknownEventFormat(f"carrier status {carrier_status!r} is not a receipt of a sent message")
    return outcome.status


def _label(source: object) -> str:
    # Enough to recognise a misrouted producer in the logs, never a whole payload.
    return repr(source[:64]) if isinstance(source, str) else type(source).__name__


def _load(message: str | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The message as JSON text (strict models read ISO dates only from JSON) and as a dict."""
    try:
        if isinstance(message, str):
            text = message
            data = json.loads(text)
        else:
            data = dict(message)
            text = json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise UnknownEventFormat(f"message is not JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise UnknownEventFormat("message is not a JSON object")
    return text, data


def _validate(model: type[ModelT], text: str) -> ModelT:
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        # Locations and error types only: the inputs hold phone numbers and bodies.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '<root>'}: {error['type']}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise UnknownEventFormat(f"not a valid {model.__name__}: {problems}") from None


def parse_receipt(message: str | Mapping[str, Any]) -> Receipt:
    """The internal receipt for the SNS `Message` of any CarrierEvents format (docs/receipts.md).

    Raises UnknownEventFormat when no format accepts it, or when the carrier status is not a
    receipt of a message we sent (a Twilio `received`, an AWS voice or MMS event).
    """
    text, data = _load(message)
    source = data.get("source")
    if source == SIMULATOR_SOURCE:
        return _validate(SimulatorReceipt, text).to_receipt()
    if source == TWILIO_STATUS_SOURCE:
        return _validate(TwilioStatusEnvelope, text).to_receipt()
    if source is None and "eventType" in data:
        return _validate(AwsSmsEvent, text).to_receipt()
    raise UnknownEventFormat(f"unknown receipt format (source {_label(source)})")


def parse_inbound(message: str | Mapping[str, Any], *, received_at: datetime | None = None) -> InboundReply:
    """The internal reply for the SNS `Message` of any Inbound format (docs/inbound.md#how-a-reply-is-read).

    AWS two-way SMS payloads carry no time: `received_at` dates them, which the consumer gives
    (the SNS notification's `Timestamp`, or its own `now`); without it such a payload is refused.
    The other formats bring their own time.
    """
    text, data = _load(message)
    source = data.get("source")
    if source == SIMULATOR_SOURCE:
        return _validate(SimulatorInbound, text).to_reply()
    if source == TWILIO_INBOUND_SOURCE:
        return _validate(TwilioInboundEnvelope, text).to_reply()
    if source is None and "inboundMessageId" in data:
        aws = _validate(AwsInboundSms, text)
        if received_at is None:
            raise UnknownEventFormat("an AWS two-way SMS needs the time it was received")
        return aws.to_reply(received_at)
    raise UnknownEventFormat(f"unknown inbound format (source {_label(source)})")
