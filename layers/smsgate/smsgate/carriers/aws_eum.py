"""AWS End User Messaging SMS adapter (service `pinpoint-sms-voice-v2`, `SendTextMessage`).

Each send names the configuration set whose event destination is the CarrierEvents SNS
topic, and puts our `message_id` and `location_id` in `Context`: the service copies Context
into every delivery event it publishes, which is how the status consumer finds our message
(docs/receipt-mapping.md).

Errors are mapped to Twilio's numeric codes so the rest of the system speaks one vocabulary
(receipts, `dnd_for_error`, the audit):

| AWS error (reason / resource) | class | code |
|---|---|---|
| ThrottlingException | transient | 20429 |
| InternalServerException | transient | 20500 |
| ServiceQuotaExceededException MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT | infrastructure, held | 63038 |
| other ServiceQuotaExceededException (daily caps) | infrastructure, `Retry-After` or 900 s | 63038 |
| connection errors and timeouts (botocore) | transient | none |
| other error with HTTP 429 or 5xx | transient | none |
| ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT | permanent | 21610 |
| ValidationException CANNOT_ADD_OPTED_OUT_NUMBER | permanent | 21610 |
| ConflictException DESTINATION_PHONE_NUMBER_NOT_VERIFIED (sandbox) | permanent | 21608 |
| ConflictException DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION | permanent | 21408 |
| ValidationException DESTINATION_COUNTRY_BLOCKED, INTERNATIONAL_SENDING_NOT_SUPPORTED | permanent | 21408 |
| ConflictException DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE | permanent | 21612 |
| ValidationException SENDER_ID_NOT_REGISTERED, SENDER_ID_REQUIRES_REGISTRATION, | permanent | 30034 |
| INVALID_REGISTRATION_ASSOCIATION (unregistered 10DLC sender) | | |
| ValidationException INVALID_IDENTITY_FOR_DESTINATION_COUNTRY, COUNTRY_CODE_MISMATCH, | permanent | 21606 |
| SENDER_ID_NOT_SUPPORTED; ConflictException MESSAGE_TYPE_MISMATCH, | | |
| NUMBER_CAPABILITIES_MISMATCH, RESOURCE_NOT_ACTIVE, NO_ORIGINATION_IDENTITIES_FOUND | | |
| ValidationException MAXIMUM_SIZE_EXCEEDED | permanent | 21617 |
| ValidationException PRICE_OVER_THRESHOLD | permanent | 30010 |
| other ValidationException, field DestinationPhoneNumber / OriginationIdentity | permanent | 21211 / 21212 |
| AccessDeniedException ACCOUNT_DISABLED, INSUFFICIENT_ACCOUNT_REPUTATION | infrastructure, held | 30002 |
| other AccessDeniedException (IAM) | infrastructure, held | 20003 |
| ResourceNotFoundException for phone-number, sender-id, pool | permanent | 21606 |
| other ResourceNotFoundException (e.g. the configuration set) | infrastructure, held | 20404 |
| botocore ParamValidationError, any other error | permanent | 30008 |

Quota, spend-limit, permission and configuration errors are our own set-up's, never the
location's (docs/carriers.md#our-own-faults): the message waits in the outbound queue for the
quota's `retry_after`, or until an operator acts where retrying cannot help (a spend limit, an
IAM policy, a missing configuration set), an alarm fires, and no rate counts it.

Exception messages carry the AWS error code and reason, never the AWS message (it can quote
the destination), the number or the body.
"""

from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError, ParamValidationError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from smsgate.carriers.base import (
    CarrierError,
    InfrastructureCarrierError,
    OutboundSms,
    PermanentCarrierError,
    SendResult,
    TransientCarrierError,
)
from smsgate.policy.receipt_mapping import UNSUBSCRIBED_RECIPIENT

if TYPE_CHECKING:
    from mypy_boto3_pinpoint_sms_voice_v2 import PinpointSMSVoiceV2Client

# SendTextMessage's TimeToLive range (seconds).
MIN_TIME_TO_LIVE: Final = 5
MAX_TIME_TO_LIVE: Final = 259_200
QUOTA_RETRY_AFTER_SECONDS = 900.0
QUOTA_CODE: Final = 63038
ORIGINATION_NOT_FOUND: Final = 21606
# A spend limit lifts only when someone raises it or the month ends: retrying cannot help.
_HELD_QUOTAS = frozenset({"MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"})
# Errors about our account, role or configuration rather than the message.
_INFRASTRUCTURE_ERRORS = frozenset({"AccessDeniedException", "ResourceNotFoundException"})
UNKNOWN_ERROR_CODE = 30008

_TRANSIENT_CODES: dict[str, int] = {
    "ThrottlingException": 20429,
    "InternalServerException": 20500,
}
_CODE_BY_REASON: dict[tuple[str, str], int] = {
    ("ConflictException", "DESTINATION_PHONE_NUMBER_OPTED_OUT"): UNSUBSCRIBED_RECIPIENT,
    ("ValidationException", "CANNOT_ADD_OPTED_OUT_NUMBER"): UNSUBSCRIBED_RECIPIENT,
    ("ConflictException", "DESTINATION_PHONE_NUMBER_NOT_VERIFIED"): 21608,
    ("ConflictException", "DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION"): 21408,
    ("ValidationException", "DESTINATION_COUNTRY_BLOCKED"): 21408,
    ("ValidationException", "INTERNATIONAL_SENDING_NOT_SUPPORTED"): 21408,
    ("ConflictException", "DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE"): 21612,
    ("ValidationException", "SENDER_ID_NOT_REGISTERED"): 30034,
    ("ValidationException", "SENDER_ID_REQUIRES_REGISTRATION"): 30034,
    ("ValidationException", "INVALID_REGISTRATION_ASSOCIATION"): 30034,
    ("ValidationException", "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"): 21606,
    ("ValidationException", "COUNTRY_CODE_MISMATCH"): 21606,
    ("ValidationException", "SENDER_ID_NOT_SUPPORTED"): 21606,
    ("ConflictException", "MESSAGE_TYPE_MISMATCH"): 21606,
    ("ConflictException", "NUMBER_CAPABILITIES_MISMATCH"): 21606,
    ("ConflictException", "RESOURCE_NOT_ACTIVE"): 21606,
    ("ConflictException", "NO_ORIGINATION_IDENTITIES_FOUND"): 21606,
    ("ValidationException", "MAXIMUM_SIZE_EXCEEDED"): 21617,
    ("ValidationException", "PRICE_OVER_THRESHOLD"): 30010,
    ("AccessDeniedException", "ACCOUNT_DISABLED"): 30002,
    ("AccessDeniedException", "INSUFFICIENT_ACCOUNT_REPUTATION"): 30002,
}
_CODE_BY_INVALID_FIELD: dict[str, int] = {"DestinationPhoneNumber": 21211, "OriginationIdentity": 21212}
_ORIGINATION_TYPES = frozenset({"phone-number", "sender-id", "pool"})
# What an error of these types means when neither its reason nor its fields say more.
_CODE_BY_ERROR: dict[str, int] = {
    "ValidationException": UNKNOWN_ERROR_CODE,
    "ConflictException": UNKNOWN_ERROR_CODE,
    "AccessDeniedException": 20003,
    "ResourceNotFoundException": 20404,
}


class AwsEumCarrier:
    name = "aws"

    def __init__(self, client: "PinpointSMSVoiceV2Client", configuration_set_name: str) -> None:
        if not configuration_set_name:
            raise ValueError("configuration_set_name must name the set that publishes to CarrierEvents")
        self._client = client
        self._configuration_set_name = configuration_set_name

    def send(self, sms: OutboundSms) -> SendResult:
        optional: dict[str, Any] = {}
        if sms.validity_seconds is not None:
            optional["TimeToLive"] = max(MIN_TIME_TO_LIVE, min(MAX_TIME_TO_LIVE, sms.validity_seconds))
        if sms.keyword is not None:
            # A US short code's registered program (docs/carriers.md#short-codes).
            optional["Keyword"] = sms.keyword
        try:
            response = self._client.send_text_message(
                DestinationPhoneNumber=sms.to,
                OriginationIdentity=sms.from_number,
                MessageBody=sms.body,
                MessageType=sms.message_type,
                ConfigurationSetName=self._configuration_set_name,
                Context={"message_id": sms.message_id, "location_id": sms.location_id},
                **optional,
            )
        except ClientError as exc:
            raise carrier_error_for(exc.response) from None
        except (BotocoreConnectionError, HTTPClientError) as exc:
            raise TransientCarrierError(f"AWS End User Messaging unreachable: {type(exc).__name__}") from exc
        except ParamValidationError:
            # botocore's message quotes the offending value, which may be the number or body.
            raise PermanentCarrierError(
                "AWS End User Messaging request failed client-side validation", code=UNKNOWN_ERROR_CODE
            ) from None
        return SendResult(carrier_message_id=response["MessageId"])


def carrier_error_for(error_response: Any) -> CarrierError:
    """The carrier error for a `ClientError.response` of SendTextMessage (table above)."""
    error = error_response.get("Error", {})
    error_code = str(error.get("Code", ""))
    reason = str(error_response.get("Reason", ""))
    label = f"{error_code} {reason}".strip()
    metadata = error_response.get("ResponseMetadata", {})
    http_status = int(metadata.get("HTTPStatusCode", 0) or 0)

    if error_code in _TRANSIENT_CODES:
        retry_after = _retry_after(metadata.get("HTTPHeaders", {}))
        return TransientCarrierError(
            f"AWS End User Messaging: {label}", code=_TRANSIENT_CODES[error_code], retry_after=retry_after
        )
    if error_code == "ServiceQuotaExceededException":
        return InfrastructureCarrierError(
            f"AWS End User Messaging quota: {label}",
            code=QUOTA_CODE,
            retry_after=None
            if reason in _HELD_QUOTAS
            else (_retry_after(metadata.get("HTTPHeaders", {})) or QUOTA_RETRY_AFTER_SECONDS),
        )
    code = _permanent_code(error_code, reason, error_response)
    if error_code in _INFRASTRUCTURE_ERRORS and code != ORIGINATION_NOT_FOUND:
        return InfrastructureCarrierError(f"AWS End User Messaging refused our set-up: {label}", code=code)
    if code is None and (http_status == 429 or http_status >= 500):
        return TransientCarrierError(f"AWS End User Messaging: {label} (HTTP {http_status})")
    code = code if code is not None else UNKNOWN_ERROR_CODE
    return PermanentCarrierError(f"AWS End User Messaging rejected the message: {label}", code=code)


def _permanent_code(error_code: str, reason: str, error_response: Any) -> int | None:
    if (error_code, reason) in _CODE_BY_REASON:
        return _CODE_BY_REASON[error_code, reason]
    if error_code == "ValidationException":
        for field in error_response.get("Fields") or []:
            if field.get("Name") in _CODE_BY_INVALID_FIELD:
                return _CODE_BY_INVALID_FIELD[field["Name"]]
    if error_code == "ResourceNotFoundException" and error_response.get("ResourceType") in _ORIGINATION_TYPES:
        return ORIGINATION_NOT_FOUND
    return _CODE_BY_ERROR.get(error_code)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after") if isinstance(headers, dict) else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def eum_client(
    *, region_name: str | None = None, endpoint_url: str | None = None, timeout: float = 10.0
) -> "PinpointSMSVoiceV2Client":
    """A client for the adapter with botocore's own retries off: `send_with_retry` is the one
    retry layer, so a throttled send is not retried 4 × 3 times with two different backoffs."""
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=timeout,
        read_timeout=timeout,
    )
    return boto3.client(
        "pinpoint-sms-voice-v2", region_name=region_name, endpoint_url=endpoint_url, config=config
    )
