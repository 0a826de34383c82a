"""The one list of reason codes (docs/api.md#reason-codes) and the HTTP status each maps to."""

from enum import StrEnum
from http import HTTPStatus


class ReasonCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    LOCATION_NOT_FOUND = "LOCATION_NOT_FOUND"
    NUMBER_NOT_OWNED = "NUMBER_NOT_OWNED"
    LOCATION_SUSPENDED = "LOCATION_SUSPENDED"
    NOT_REGISTERED = "NOT_REGISTERED"
    DND_ACTIVE = "DND_ACTIVE"
    NO_CONSENT = "NO_CONSENT"
    PROHIBITED_CONTENT = "PROHIBITED_CONTENT"
    FILTER_EVASION = "FILTER_EVASION"
    SNOWSHOEING = "SNOWSHOEING"
    DAILY_LIMIT_REACHED = "DAILY_LIMIT_REACHED"
    VOLUME_CAP_REACHED = "VOLUME_CAP_REACHED"
    # The recipient's quiet hours hold a marketing message and its sender asked to be refused
    # rather than scheduled (docs/quiet-hours.md#the-locations-policy): 422 with `allowed_from`.
    QUIET_HOURS = "QUIET_HOURS"
    # The contact already got as many marketing messages in 24 hours as its state allows on one
    # subject, and its sender asked to be refused rather than scheduled
    # (docs/quiet-hours.md#same-subject-limits): 422 with `allowed_from`.
    SAME_SUBJECT_LIMIT = "SAME_SUBJECT_LIMIT"
    # The brand's T-Mobile daily cap (docs/registration.md#t-mobile-brand-cap).
    BRAND_CAP_REACHED = "BRAND_CAP_REACHED"
    # Codes outside the gate's checks table (the other routes, docs/api.md#routes).
    MESSAGE_NOT_FOUND = "MESSAGE_NOT_FOUND"
    CONTACT_NOT_FOUND = "CONTACT_NOT_FOUND"
    DND_PERMANENT = "DND_PERMANENT"
    REGISTRATION_LOCKED = "REGISTRATION_LOCKED"
    # A cancel of a message that is not (or no longer) scheduled: its release came first
    # (docs/scheduling.md#cancel).
    NOT_SCHEDULED = "NOT_SCHEDULED"
    # The number belongs to another location (docs/tenancy.md#numbers).
    NUMBER_TAKEN = "NUMBER_TAKEN"
    IDEMPOTENCY_IN_PROGRESS = "IDEMPOTENCY_IN_PROGRESS"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    FORBIDDEN = "FORBIDDEN"
    # The IAM caller has no grant for the location (docs/guarantees.md#who-may-act-on-which-location).
    FORBIDDEN_LOCATION = "FORBIDDEN_LOCATION"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class WarningCode(StrEnum):
    """Codes of warnings in an accepted answer (`"warnings": [{"code", "message", ...}]`)."""

    PUBLIC_URL_SHORTENER = "PUBLIC_URL_SHORTENER"


HTTP_STATUS: dict[ReasonCode, HTTPStatus] = {
    ReasonCode.VALIDATION_ERROR: HTTPStatus.BAD_REQUEST,
    ReasonCode.LOCATION_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ReasonCode.NUMBER_NOT_OWNED: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReasonCode.LOCATION_SUSPENDED: HTTPStatus.FORBIDDEN,
    ReasonCode.NOT_REGISTERED: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReasonCode.DND_ACTIVE: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReasonCode.NO_CONSENT: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReasonCode.PROHIBITED_CONTENT: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReasonCode.FILTER_EVASION: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReasonCode.SNOWSHOEING: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReasonCode.DAILY_LIMIT_REACHED: HTTPStatus.TOO_MANY_REQUESTS,
    ReasonCode.VOLUME_CAP_REACHED: HTTPStatus.TOO_MANY_REQUESTS,
    ReasonCode.QUIET_HOURS: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReasonCode.SAME_SUBJECT_LIMIT: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReasonCode.BRAND_CAP_REACHED: HTTPStatus.TOO_MANY_REQUESTS,
    ReasonCode.MESSAGE_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ReasonCode.CONTACT_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ReasonCode.DND_PERMANENT: HTTPStatus.CONFLICT,
    ReasonCode.REGISTRATION_LOCKED: HTTPStatus.CONFLICT,
    ReasonCode.NOT_SCHEDULED: HTTPStatus.CONFLICT,
    ReasonCode.NUMBER_TAKEN: HTTPStatus.CONFLICT,
    ReasonCode.IDEMPOTENCY_IN_PROGRESS: HTTPStatus.CONFLICT,
    ReasonCode.IDEMPOTENCY_KEY_REUSED: HTTPStatus.UNPROCESSABLE_ENTITY,
    ReasonCode.INVALID_SIGNATURE: HTTPStatus.FORBIDDEN,
    ReasonCode.FORBIDDEN: HTTPStatus.FORBIDDEN,
    ReasonCode.FORBIDDEN_LOCATION: HTTPStatus.FORBIDDEN,
    ReasonCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    ReasonCode.METHOD_NOT_ALLOWED: HTTPStatus.METHOD_NOT_ALLOWED,
    ReasonCode.PAYLOAD_TOO_LARGE: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    ReasonCode.UNSUPPORTED_MEDIA_TYPE: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    ReasonCode.SERVICE_UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    ReasonCode.INTERNAL_ERROR: HTTPStatus.INTERNAL_SERVER_ERROR,
}

# The wording carriers' users know from the CRM's own product (docs/policy.md#dnd, #daily-limit).
DND_MESSAGE = "Cannot send messages as DND is active for SMS."
LIMIT_MESSAGE = "You have exceeded your SMS sending limit."
