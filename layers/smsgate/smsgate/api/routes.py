"""Routes of the HTTP API. Each is thin: validate, call one service function, shape the answer."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from botocore.exceptions import BotoCoreError, ClientError

from smsgate.api.access import (
    is_operator,
    location_access,
    may_access,
    operators_only,
    principal_of,
    require_access,
)
from smsgate.api.errors import (
    aws_error_response,
    error_response,
    json_response,
    undecodable_body_response,
    validation_response,
)
from smsgate.errors import SmsgateError
from smsgate.models.phone import normalise_e164
from smsgate.models.registration import (
    BrandRequest,
    CampaignNumbersRequest,
    CampaignRequest,
    DecisionRequest,
)
from smsgate.models.requests import (
    BulkSendRequest,
    ConsentBatchRequest,
    ConsentRequest,
    PutLocationRequest,
    SendMessageRequest,
)
from smsgate.reasons import ReasonCode
from smsgate.services import admin, registration, sending
from smsgate.services import audit as audit_service
from smsgate.services import consent as consent_service
from smsgate.services.idempotency import Answer, answer_once
from smsgate.settings import get_settings

LocationId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$", description="The location's id")
]
Phone = Annotated[str, Path(description="The contact's number, E.164 (URL-encode the '+': %2B)")]


def now() -> datetime:
    return datetime.now(UTC)


def phone_param(raw: str) -> str:
    try:
        return normalise_e164(unquote(raw))
    except ValueError as exc:
        raise SmsgateError(ReasonCode.VALIDATION_ERROR, f"phone {exc}") from exc


def create_app() -> APIGatewayHttpResolver:  # noqa: C901 - one nested function per route
    """A resolver with every route. One per Lambda instance (the local stack runs several
    side by side, and a resolver holds the event it is answering)."""
    app = APIGatewayHttpResolver(enable_validation=True, strip_prefixes=get_settings().route_prefixes)
    # Who may act on which location: one check before every route (smsgate.api.access).
    app.use(middlewares=[location_access])

    def caller() -> str:
        """Who made the request, for the consent ledger's actor (the IAM caller when deployed)."""
        return principal_of(app.current_event) or "api"

    @app.exception_handler(SmsgateError)
    def handle_refusal(error: SmsgateError) -> Response[str]:
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    def handle_invalid(exc: RequestValidationError) -> Response[str]:
        return validation_response(exc)

    @app.exception_handler(UnicodeDecodeError)
    def handle_undecodable(exc: UnicodeDecodeError) -> Response[str]:
        return undecodable_body_response(exc)

    @app.exception_handler([ClientError, BotoCoreError])
    def handle_aws(exc: ClientError | BotoCoreError) -> Response[str]:
        return aws_error_response(exc)

    @app.not_found
    def handle_not_found(_: Exception) -> Response[str]:
        return error_response(SmsgateError(ReasonCode.NOT_FOUND, "No such route."))

    @app.post("/v1/messages", summary="Gate and queue one message (SPEC section 3)")
    def post_message(request: Annotated[SendMessageRequest, Body()]) -> Response[str]:
        require_access(app.current_event, request.location_id)

        def gate_one() -> Answer:
            message = sending.send_message(request, now())
            return (
                202,
                {
                    "message_id": message.message_id,
                    "status": message.status,
                    "body": message.body,
                    "segments": message.segments,
                    "encoding": message.encoding,
                    **sending.warnings_field(request.body),
                },
                {},
            )

        return json_response(*answer_once(request.location_id, request.idempotency_key, now(), gate_one))

    @app.post("/v1/messages/bulk", summary="Gate and queue many messages (SPEC section 5)")
    def post_bulk(request: Annotated[BulkSendRequest, Body()]) -> Response[str]:
        require_access(app.current_event, request.location_id)

        def gate_many() -> Answer:
            outcome = sending.send_bulk(request, now())
            return (200 if request.preview else 202), sending.bulk_answer(outcome, request.preview), {}

        key = None if request.preview else request.idempotency_key
        return json_response(*answer_once(request.location_id, key, now(), gate_many))

    @app.get("/v1/messages/<message_id>", summary="A message and its status history")
    def get_message(message_id: str) -> dict[str, Any]:
        message = admin.get_message(message_id)
        # Another tenant's message is answered as an unknown id: its existence is not told.
        if not may_access(app.current_event, str(message["location_id"])):
            raise SmsgateError(ReasonCode.MESSAGE_NOT_FOUND, f"Message '{message_id}' does not exist.")
        return message

    @app.put("/v1/locations/<location_id>", summary="Create or update a location")
    def put_location(
        location_id: LocationId, request: Annotated[PutLocationRequest, Body()]
    ) -> Response[str]:
        _, created = admin.save_location(location_id, request, now(), operator=is_operator(app.current_event))
        return json_response(201 if created else 200, admin.location_view(location_id, now()))

    @app.get("/v1/locations/<location_id>", summary="A location, its status, registration and usage")
    def get_location(location_id: LocationId) -> dict[str, Any]:
        return admin.location_view(location_id, now())

    @app.put("/v1/locations/<location_id>/brand", summary="Submit the 10DLC brand (SPEC section 9)")
    def put_brand(location_id: LocationId, request: Annotated[BrandRequest, Body()]) -> dict[str, Any]:
        return registration.submit_brand(location_id, request, now())

    @app.put("/v1/locations/<location_id>/campaign", summary="Submit the 10DLC campaign (SPEC section 9)")
    def put_campaign(location_id: LocationId, request: Annotated[CampaignRequest, Body()]) -> dict[str, Any]:
        return registration.submit_campaign(location_id, request, now())

    @app.put("/v1/locations/<location_id>/campaign/numbers", summary="Assign numbers to the campaign")
    def put_campaign_numbers(
        location_id: LocationId, request: Annotated[CampaignNumbersRequest, Body()]
    ) -> dict[str, Any]:
        return registration.assign_numbers(location_id, request, now())

    @app.put(
        "/v1/locations/<location_id>/brand/decision",
        summary="Operator: the carriers' decision on the brand",
        middlewares=[operators_only],
    )
    def put_brand_decision(
        location_id: LocationId, request: Annotated[DecisionRequest, Body()]
    ) -> dict[str, Any]:
        return registration.decide(location_id, "brand", request, now())

    @app.put(
        "/v1/locations/<location_id>/campaign/decision",
        summary="Operator: the carriers' decision on the campaign",
        middlewares=[operators_only],
    )
    def put_campaign_decision(
        location_id: LocationId, request: Annotated[DecisionRequest, Body()]
    ) -> dict[str, Any]:
        return registration.decide(location_id, "campaign", request, now())

    @app.get("/v1/locations/<location_id>/usage", summary="Today's usage against the daily limit")
    def get_usage(location_id: LocationId) -> dict[str, Any]:
        return admin.location_usage(location_id, now())

    @app.get("/v1/locations/<location_id>/health", summary="Audit-window counts, rates, thresholds, status")
    def get_health(location_id: LocationId) -> dict[str, Any]:
        return audit_service.location_health(location_id, now())

    @app.delete(
        "/v1/locations/<location_id>/suspension",
        summary="Operator: lift the location's suspension",
        middlewares=[operators_only],
    )
    def delete_suspension(location_id: LocationId) -> dict[str, Any]:
        return admin.lift_suspension(location_id, caller(), now())

    @app.put("/v1/locations/<location_id>/contacts/<phone>/consent", summary="Record a contact's opt-in")
    def put_consent(
        location_id: LocationId, phone: Phone, request: Annotated[ConsentRequest, Body()]
    ) -> dict[str, Any]:
        return admin.record_consent(location_id, phone_param(phone), request, caller(), now())

    @app.get("/v1/locations/<location_id>/contacts/<phone>", summary="Consent, DND and the consent ledger")
    def get_contact(location_id: LocationId, phone: Phone) -> dict[str, Any]:
        return admin.get_contact(location_id, phone_param(phone))

    @app.delete("/v1/locations/<location_id>/contacts/<phone>/dnd", summary="Clear a temporary DND")
    def delete_dnd(location_id: LocationId, phone: Phone) -> dict[str, Any]:
        return admin.clear_dnd(location_id, phone_param(phone))

    @app.post(
        "/v1/locations/<location_id>/contacts/consent:batch",
        summary="Record up to 500 opt-ins, with an answer per row (re-running the same rows changes nothing)",
    )
    def post_consent_batch(
        location_id: LocationId, request: Annotated[ConsentBatchRequest, Body()]
    ) -> dict[str, Any]:
        return consent_service.import_consents(location_id, request.rows, caller(), now())

    @app.get(
        "/v1/locations/<location_id>/consent", summary="The consent ledger for an audit, a page at a time"
    )
    def get_consent_ledger(
        location_id: LocationId,
        export_format: Annotated[Literal["csv", "jsonl"], Query(alias="format")] = "jsonl",
        phone: Annotated[str | None, Query(description="Only this contact's ledger (E.164)")] = None,
        cursor: Annotated[str | None, Query(description="X-Next-Cursor of the previous page")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    ) -> Response[str]:
        body, next_cursor = consent_service.export_page(
            location_id, phone_param(phone) if phone else None, export_format, limit, cursor
        )
        return Response(
            status_code=200,
            content_type="text/csv; charset=utf-8" if export_format == "csv" else "application/x-ndjson",
            body=body,
            headers={"X-Next-Cursor": next_cursor} if next_cursor else {},
        )

    @app.get(
        "/v1/locations",
        summary="Operator: the locations in order of id, a page at a time",
        middlewares=[operators_only],
    )
    def get_locations(
        cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        return admin.list_locations(limit, cursor, now())

    @app.get("/v1/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
    def openapi() -> Response[str]:
        return Response(
            status_code=200,
            content_type="application/json",
            body=app.get_openapi_json_schema(title="smsgate", version="0.1.0", openapi_version="3.1.0"),
        )

    return app
