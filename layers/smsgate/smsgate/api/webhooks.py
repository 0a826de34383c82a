"""Twilio's signed webhooks: verified, then queued for the consumers (docs/inbound.md#twilio-webhooks).

They run in a function of their own (`functions/carrier_webhooks`): these are the only public
routes of the API, so their role may publish to the CarrierEvents and Inbound topics and read the
Twilio auth token, and nothing else — no table at all.

`POST /v1/webhooks/twilio/status` (message status callbacks) goes to the CarrierEvents topic
and `POST /v1/webhooks/twilio/inbound` (incoming messages) to the Inbound topic, wrapped as
`{"source": "twilio.status" | "twilio.inbound", "params", "query", "receivedAt"}`, the envelope
`models.carrier_events.parse_receipt` / `parse_inbound` read. Nothing is decided here: the
consumers apply receipts and replies, with their retries and dead-letter queues.

Order of the checks, cheapest and safest first (docs/deploying.md#the-public-webhooks):
1. the routes answer 404 where the deployment's carrier sends no Twilio webhooks;
2. a request without a well-formed `X-Twilio-Signature` is refused 403 before any AWS call, so an
   anonymous flood costs no SSM read;
3. the auth token is read (from `TWILIO_AUTH_TOKEN` locally, else the SSM SecureString, cached 5
   minutes; a failed read is remembered for 30 s, so an outage of SSM is not hammered), and the
   signature is checked over the URL Twilio called;
4. the envelope is published.
What touches AWS (the secret's read, the publication) is `smsgate.services.carrier_webhooks`;
the instant the webhook was received at is read by the handler (`smsgate.api.request_time`).
"""

import base64
import binascii
from typing import Final
from urllib.parse import parse_qs, parse_qsl

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from smsgate import twilio_signature
from smsgate.api.errors import error_response, undecodable_body_response
from smsgate.api.request_time import request_now
from smsgate.errors import SmsgateError
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.reasons import ReasonCode
from smsgate.services.carrier_webhooks import auth_token, queue, shared_key
from smsgate.settings import Settings, get_settings
from smsgate.sources import TWILIO_INBOUND_SOURCE, TWILIO_STATUS_SOURCE

STATUS_PATH: Final = "/v1/webhooks/twilio/status"
INBOUND_PATH: Final = "/v1/webhooks/twilio/inbound"
SIGNATURE_HEADER: Final = "X-Twilio-Signature"
# Twilio reads the answer to an incoming message as TwiML: an empty document sends no reply
# (our replies to keywords go through the outbound queue, docs/inbound.md).
EMPTY_TWIML: Final = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# A signature is the base64 of an HMAC: 20 bytes for HMAC-SHA1, 32 for HMAC-SHA256.
_SIGNATURE_DIGEST_SIZES: Final = frozenset({20, 32})
# The simulator stands in for every carrier (the local stack, test deployments): it takes
# Twilio-shaped webhooks too. A deployment on AWS End User Messaging has no Twilio webhooks.
_CARRIERS_WITH_TWILIO_WEBHOOKS: Final = frozenset({"twilio", "simulator"})


def create_webhooks_app() -> APIGatewayHttpResolver:
    """A resolver with the two Twilio webhook routes and nothing else (one per Lambda instance)."""
    app = APIGatewayHttpResolver(strip_prefixes=get_settings().route_prefixes)

    @app.exception_handler(SmsgateError)
    def handle_refusal(error: SmsgateError) -> Response[str]:
        return error_response(error)

    @app.exception_handler(UnicodeDecodeError)
    def handle_undecodable(exc: UnicodeDecodeError) -> Response[str]:
        return undecodable_body_response(exc)

    @app.not_found
    def handle_not_found(_: Exception) -> Response[str]:
        return error_response(SmsgateError(ReasonCode.NOT_FOUND, "No such route."))

    @app.post(STATUS_PATH)
    def twilio_status() -> Response[str]:
        return _accept(app, STATUS_PATH, TWILIO_STATUS_SOURCE, get_settings().carrier_events_topic_arn)

    @app.post(INBOUND_PATH)
    def twilio_inbound() -> Response[str]:
        return _accept(app, INBOUND_PATH, TWILIO_INBOUND_SOURCE, get_settings().inbound_topic_arn)

    return app


def is_well_formed_signature(signature: str) -> bool:
    """Whether `signature` can be a Twilio signature at all: base64 of an HMAC digest."""
    try:
        digest = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(digest) in _SIGNATURE_DIGEST_SIZES


def signed_url(event: APIGatewayProxyEventV2, settings: Settings) -> str:
    """The URL Twilio called, as it signed it: the configured public base URL and the route's
    path, or, with none configured, the request's own API Gateway domain and path."""
    query = event.raw_query_string or ""
    if settings.public_base_url:
        base = settings.public_base_url.rstrip("/") + event.route_key.split(" ", 1)[-1]
    else:
        base = f"https://{event.request_context.domain_name}{event.raw_path}"
    return base + (f"?{query}" if query else "")


def _refuse(path: str, reason: str) -> SmsgateError:
    metrics.add_metric(name="WebhookInvalidSignature", unit=MetricUnit.Count, value=1)
    logger.warning("Twilio webhook refused", extra={"path": path, "reason": reason})
    return SmsgateError(ReasonCode.INVALID_SIGNATURE, f"The {SIGNATURE_HEADER} header is missing or wrong.")


def _accept(app: APIGatewayHttpResolver, path: str, source: str, topic_arn: str) -> Response[str]:
    event, settings = app.current_event, get_settings()
    if settings.carrier not in _CARRIERS_WITH_TWILIO_WEBHOOKS:
        raise SmsgateError(ReasonCode.NOT_FOUND, "No such route.")
    signature = event.get_header_value(SIGNATURE_HEADER, default_value="", case_sensitive=False) or ""
    if not is_well_formed_signature(signature):
        raise _refuse(path, "malformed" if signature else "missing")
    form = parse_qs(event.decoded_body or "", keep_blank_values=True)
    # A webhook signed with a shared key names it and its algorithm (HMAC_SHA256) in this header.
    signing = event.get_header_value(twilio_signature.SETTINGS_HEADER, default_value="", case_sensitive=False)
    algorithm = twilio_signature.signature_algorithm(signing)
    secret = shared_key(settings) if signing else auth_token(settings)
    if not twilio_signature.is_valid_signature(
        secret, signed_url(event, settings), form, signature, algorithm
    ):
        raise _refuse(path, "mismatch")
    queue(
        topic_arn,
        source,
        # Twilio posts each parameter once; the signature above covered every value anyway.
        {name: values[0] for name, values in form.items()},
        dict(parse_qsl(event.raw_query_string or "", keep_blank_values=True)),
        request_now(app),
    )
    metrics.add_metric(name=f"Webhook_{source.replace('.', '_')}", unit=MetricUnit.Count, value=1)
    return Response(status_code=200, content_type="text/xml", body=EMPTY_TWIML)
