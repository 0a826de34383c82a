"""Twilio's signed webhooks (SPEC sections 7, 10 and 12): verified, then queued for the consumers.

`POST /v1/webhooks/twilio/status` (message status callbacks) goes to the CarrierEvents topic
and `POST /v1/webhooks/twilio/inbound` (incoming messages) to the Inbound topic, wrapped as
`{"source": "twilio.status" | "twilio.inbound", "params", "query", "receivedAt"}`, the envelope
`models.carrier_events.parse_receipt` / `parse_inbound` read. Nothing is decided here: the
consumers apply receipts and replies, with their retries and dead-letter queues.

Twilio signs the full URL it called (the public base URL, the path and the query string) and
the POST parameters with the account's auth token (`twilio_signature`). A request without a
valid `X-Twilio-Signature` is answered 403 `INVALID_SIGNATURE` and queued nowhere. The auth
token comes from the `TWILIO_AUTH_TOKEN` setting when set (the local stack), otherwise from the
SSM SecureString `TWILIO_AUTH_TOKEN_PARAMETER` through powertools parameters, cached 5 minutes.
"""

import json
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qs, parse_qsl

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from smsgate import twilio_signature
from smsgate.dal import clients
from smsgate.errors import SmsgateError
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.reasons import ReasonCode
from smsgate.settings import Settings, get_settings
from smsgate.sources import TWILIO_INBOUND_SOURCE, TWILIO_STATUS_SOURCE

STATUS_PATH: Final = "/v1/webhooks/twilio/status"
INBOUND_PATH: Final = "/v1/webhooks/twilio/inbound"
SIGNATURE_HEADER: Final = "X-Twilio-Signature"
# Twilio reads the answer to an incoming message as TwiML: an empty document sends no reply
# (our replies to keywords go through the outbound queue, SPEC section 6).
EMPTY_TWIML: Final = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
TOKEN_MAX_AGE_SECONDS: Final = 300


def register_webhooks(app: APIGatewayHttpResolver) -> None:
    """Add the two Twilio webhook routes to `app` (`api.routes.create_app`)."""

    @app.post(STATUS_PATH, summary="Twilio message status callback, signed (SPEC section 7)")
    def twilio_status() -> Response[str]:
        return _accept(
            app.current_event, STATUS_PATH, TWILIO_STATUS_SOURCE, get_settings().carrier_events_topic_arn
        )

    @app.post(INBOUND_PATH, summary="Twilio incoming message, signed (SPEC section 6)")
    def twilio_inbound() -> Response[str]:
        return _accept(
            app.current_event, INBOUND_PATH, TWILIO_INBOUND_SOURCE, get_settings().inbound_topic_arn
        )


def _accept(event: APIGatewayProxyEventV2, path: str, source: str, topic_arn: str) -> Response[str]:
    settings = get_settings()
    form = parse_qs(event.decoded_body or "", keep_blank_values=True)
    query = event.raw_query_string or ""
    url = settings.public_base_url.rstrip("/") + path + (f"?{query}" if query else "")
    signature = event.get_header_value(SIGNATURE_HEADER, default_value="", case_sensitive=False) or ""
    signing = event.get_header_value(twilio_signature.SETTINGS_HEADER, default_value="", case_sensitive=False)
    algorithm = twilio_signature.signature_algorithm(signing)
    secret = shared_key(settings) if signing else auth_token(settings)
    if not twilio_signature.is_valid_signature(secret, url, form, signature, algorithm):
        metrics.add_metric(name="WebhookInvalidSignature", unit=MetricUnit.Count, value=1)
        logger.warning(
            "Twilio webhook refused: bad signature", extra={"path": path, "signed": bool(signature)}
        )
        raise SmsgateError(
            ReasonCode.INVALID_SIGNATURE, f"The {SIGNATURE_HEADER} header is missing or wrong."
        )
    envelope: dict[str, Any] = {
        "source": source,
        # Twilio posts each parameter once; the signature above covered every value anyway.
        "params": {name: values[0] for name, values in form.items()},
        "query": dict(parse_qsl(query, keep_blank_values=True)),
        "receivedAt": datetime.now(UTC).isoformat(),
    }
    clients.sns().publish(TopicArn=topic_arn, Message=json.dumps(envelope))
    metrics.add_metric(name=f"Webhook_{source.replace('.', '_')}", unit=MetricUnit.Count, value=1)
    return Response(status_code=200, content_type="text/xml", body=EMPTY_TWIML)


def shared_key(settings: Settings) -> str:
    """The secret of the Twilio shared key that signs webhooks with HMAC-SHA256 (a request
    that names one in `X-Twilio-Webhooks-Signature-Settings`); empty when none is configured,
    and such requests are refused."""
    if settings.twilio_shared_key:
        return settings.twilio_shared_key
    if not settings.twilio_shared_key_parameter:
        logger.warning("a webhook signed with a Twilio shared key, and none is configured")
        return ""
    return _secure_parameter(settings.twilio_shared_key_parameter)


def auth_token(settings: Settings) -> str:
    """The Twilio auth token that signs webhooks; empty when none is configured (every
    request is then refused)."""
    if settings.twilio_auth_token:
        return settings.twilio_auth_token
    if not settings.twilio_auth_token_parameter:
        logger.error("no Twilio auth token configured: every webhook is refused")
        return ""
    return _secure_parameter(settings.twilio_auth_token_parameter)


def _secure_parameter(name: str) -> str:
    # Imported here: only a deployment that keeps the token in SSM reads it, on the first
    # webhook, and the send path's cold start does not pay for powertools parameters.
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        token = parameters.get_parameter(name, decrypt=True, max_age=TOKEN_MAX_AGE_SECONDS)
    except GetParameterError as exc:
        logger.error(
            "the Twilio signing secret parameter cannot be read", extra={"error": type(exc).__name__}
        )
        raise SmsgateError(
            ReasonCode.SERVICE_UNAVAILABLE, "Webhook verification is unavailable.", retry_after=5
        ) from exc
    return token if isinstance(token, str) else ""
