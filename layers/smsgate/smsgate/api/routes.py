"""Routes of the HTTP API. Each is thin: validate, call one service function, shape the answer.

Every route declares what it answers (`responses=`, built by `smsgate.api.contract`): the served
`/v1/openapi.json` lists each status with its schema, the error shape of every 4xx and 5xx, and
the SigV4 security scheme (docs/api.md).
"""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from smsgate.api import contract
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
    internal_error_response,
    json_response,
    undecodable_body_response,
    validation_response,
)
from smsgate.api.request_shape import (
    lambda_answer,
    parse_json,
    shape_refusal,
    with_media_type_lowercase,
)
from smsgate.errors import SmsgateError
from smsgate.models.phone import E164_PATTERN, strict_e164
from smsgate.models.registration import (
    BrandRequest,
    CampaignNumbersRequest,
    CampaignRequest,
    DecisionRequest,
)
from smsgate.models.requests import (
    LOCATION_ID_PATTERN,
    BulkSendRequest,
    ConsentBatchRequest,
    ConsentRequest,
    PutLocationRequest,
    SendMessageRequest,
)
from smsgate.models.responses import (
    BrandView,
    BulkAnswer,
    CampaignView,
    ConsentBatchAnswer,
    ContactView,
    HealthView,
    LocationsPage,
    LocationView,
    MessageView,
    SendAccepted,
    UsageView,
)
from smsgate.reasons import ReasonCode
from smsgate.services import audit as audit_service
from smsgate.services import consent as consent_service
from smsgate.services import contacts as contacts_service
from smsgate.services import locations as locations_service
from smsgate.services import messages as messages_service
from smsgate.services import registration, sending
from smsgate.services.idempotency import Answer, answer_once, request_hash
from smsgate.settings import get_settings

LocationId = Annotated[str, Path(pattern=LOCATION_ID_PATTERN, description="The location's id")]
Phone = Annotated[
    str,
    Path(
        description="The contact's number, E.164 (URL-encode the '+': %2B)",
        json_schema_extra={"pattern": E164_PATTERN},
    ),
]
_ROUTE_PARAMETER = re.compile(r"<(\w+)>")


def now() -> datetime:
    return datetime.now(UTC)


def phone_param(raw: str) -> str:
    try:
        return strict_e164(unquote(raw))
    except ValueError as exc:
        raise SmsgateError(
            ReasonCode.VALIDATION_ERROR,
            f"phone {exc}",
            details={"fields": [{"field": "phone", "problem": str(exc)}]},
        ) from exc


class SmsgateResolver(APIGatewayHttpResolver):
    """The HTTP API's resolver: refuses what no route can read before powertools parses it
    (`smsgate.api.request_shape`), and knows which methods each path has, for a 405."""

    def __init__(self, strip_prefixes: list[str | re.Pattern[str]] | None = None) -> None:
        super().__init__(
            enable_validation=True, json_body_deserializer=parse_json, strip_prefixes=strip_prefixes
        )
        self.prefixes = [prefix for prefix in strip_prefixes or [] if isinstance(prefix, str)]
        self.paths: list[tuple[str, re.Pattern[str]]] = []

    def route(self, rule: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        parts = _ROUTE_PARAMETER.split(rule)  # literal, name, literal, …
        pattern = re.compile(
            "^" + "".join(re.escape(part) if i % 2 == 0 else "[^/]+" for i, part in enumerate(parts)) + "$"
        )
        for item in (method,) if isinstance(method, str) else method:
            self.paths.append((str(item).upper(), pattern))
        return super().route(rule, method, *args, **kwargs)

    def allowed_methods(self, path: str) -> list[str]:
        """The methods of the routes whose rule matches `path` (a configured prefix stripped)."""
        paths = {
            path,
            *(path.removeprefix(prefix) for prefix in self.prefixes if path.startswith(prefix + "/")),
        }
        return sorted({method for method, pattern in self.paths for each in paths if pattern.match(each)})

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        refusal = shape_refusal(event)
        if refusal is not None:
            return lambda_answer(refusal)
        return super().resolve(with_media_type_lowercase(event), context)


def create_app() -> SmsgateResolver:  # noqa: C901, PLR0915 - one nested function per route
    """A resolver with every route. One per Lambda instance (the local stack runs several
    side by side, and a resolver holds the event it is answering)."""
    app = SmsgateResolver(get_settings().route_prefixes)
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
        if any(list(problem.get("loc", ()))[:1] == ["response"] for problem in exc.errors()):
            # An answer that does not fit its own model is our bug, not the caller's request.
            return internal_error_response(exc)
        return validation_response(exc)

    @app.exception_handler(RequestUnsupportedContentType)
    def handle_unsupported(_: RequestUnsupportedContentType) -> Response[str]:
        return error_response(
            SmsgateError(
                ReasonCode.UNSUPPORTED_MEDIA_TYPE, "The request body must be JSON (application/json)."
            )
        )

    @app.exception_handler(UnicodeDecodeError)
    def handle_undecodable(exc: UnicodeDecodeError) -> Response[str]:
        return undecodable_body_response(exc)

    @app.exception_handler([ClientError, BotoCoreError])
    def handle_aws(exc: ClientError | BotoCoreError) -> Response[str]:
        return aws_error_response(exc)

    @app.exception_handler(Exception)
    def handle_crash(exc: Exception) -> Response[str]:
        return internal_error_response(exc)

    @app.not_found
    def handle_not_found(_: Exception) -> Response[str]:
        event = app.current_event
        allowed = app.allowed_methods(event.path)
        if allowed:
            refusal = SmsgateError(
                ReasonCode.METHOD_NOT_ALLOWED,
                f"{event.http_method} is not a method of {event.path}; it has {', '.join(allowed)}.",
                details={"allowed": allowed},
            )
            response = error_response(refusal)
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return error_response(SmsgateError(ReasonCode.NOT_FOUND, "No such route."))

    @app.post(
        "/v1/messages",
        operation_id="send_message",
        summary="Gate and queue one message",
        responses=contract.answers(
            {202: contract.success(SendAccepted, "Accepted and queued")}, 404, 409, 422, 429, body=True
        ),
    )
    def post_message(request: Annotated[SendMessageRequest, Body()]) -> Response[str]:
        require_access(app.current_event, request.location_id)

        def gate_one() -> Answer:
            message = sending.send_message(request, now())
            accepted = SendAccepted.model_validate(
                {
                    "message_id": message.message_id,
                    "status": message.status,
                    "body": message.body,
                    "segments": message.segments,
                    "encoding": message.encoding,
                    **sending.warnings_field(request.body),
                }
            )
            return 202, accepted.model_dump(mode="json", by_alias=True, exclude_unset=True), {}

        digest = request_hash("send", request)
        return json_response(
            *answer_once(request.location_id, request.idempotency_key, digest, now(), gate_one)
        )

    @app.post(
        "/v1/messages/bulk",
        operation_id="send_bulk",
        summary="Gate and queue many messages",
        responses=contract.answers(
            {
                200: contract.success(BulkAnswer, "A preview: what would be accepted, nothing sent"),
                202: contract.success(BulkAnswer, "Accepted and queued, recipient by recipient"),
                429: {**contract.error(429), "content": {contract.JSON: {"model": BulkAnswer}}},
            },
            404,
            409,
            422,
            body=True,
        ),
    )
    def post_bulk(request: Annotated[BulkSendRequest, Body()]) -> Response[str]:
        require_access(app.current_event, request.location_id)

        def gate_many() -> Answer:
            at = now()
            outcome = sending.send_bulk(request, at)
            status, headers = sending.bulk_status(outcome, request.preview, at)
            answer = sending.bulk_answer(outcome, request.preview)
            return status, answer.model_dump(mode="json", by_alias=True, exclude_unset=True), headers

        key = None if request.preview else request.idempotency_key
        digest = request_hash("bulk", request)
        return json_response(*answer_once(request.location_id, key, digest, now(), gate_many))

    @app.get(
        "/v1/messages/<message_id>",
        operation_id="get_message",
        summary="A message and its status history",
        responses=contract.answers({200: contract.success(MessageView, "The message")}, 404),
    )
    def get_message(message_id: Annotated[str, Path(max_length=128)]) -> MessageView:
        message = messages_service.get_message(message_id)
        # Another tenant's message is answered as an unknown id: its existence is not told.
        if not may_access(app.current_event, message.location_id):
            raise SmsgateError(ReasonCode.MESSAGE_NOT_FOUND, f"Message '{message_id}' does not exist.")
        return message

    @app.put(
        "/v1/locations/<location_id>",
        operation_id="put_location",
        summary="Create or update a location",
        responses=contract.answers(
            {
                200: contract.success(LocationView, "Updated"),
                201: contract.success(LocationView, "Created"),
            },
            409,
            422,
            body=True,
        ),
    )
    def put_location(
        location_id: LocationId, request: Annotated[PutLocationRequest, Body()]
    ) -> Response[LocationView]:
        _, created = locations_service.save_location(
            location_id, request, now(), operator=is_operator(app.current_event)
        )
        return Response(
            status_code=201 if created else 200,
            content_type="application/json",
            body=locations_service.location_view(location_id, now()),
        )

    @app.get(
        "/v1/locations/<location_id>",
        operation_id="get_location",
        summary="A location, its status, registration and usage",
        responses=contract.answers({200: contract.success(LocationView, "The location")}, 404),
    )
    def get_location(location_id: LocationId) -> LocationView:
        return locations_service.location_view(location_id, now())

    registration_errors = (404, 409, 422)

    @app.put(
        "/v1/locations/<location_id>/brand",
        operation_id="submit_brand",
        summary="Submit the 10DLC brand",
        responses=contract.answers(
            {200: contract.success(BrandView, "The brand")}, *registration_errors, body=True
        ),
    )
    def put_brand(location_id: LocationId, request: Annotated[BrandRequest, Body()]) -> BrandView:
        return registration.submit_brand(location_id, request, now())

    @app.put(
        "/v1/locations/<location_id>/campaign",
        operation_id="submit_campaign",
        summary="Submit the 10DLC campaign",
        responses=contract.answers(
            {200: contract.success(CampaignView, "The campaign")}, *registration_errors, body=True
        ),
    )
    def put_campaign(location_id: LocationId, request: Annotated[CampaignRequest, Body()]) -> CampaignView:
        return registration.submit_campaign(location_id, request, now())

    @app.put(
        "/v1/locations/<location_id>/campaign/numbers",
        operation_id="assign_campaign_numbers",
        summary="Assign numbers to the campaign",
        responses=contract.answers(
            {200: contract.success(CampaignView, "The campaign")}, *registration_errors, body=True
        ),
    )
    def put_campaign_numbers(
        location_id: LocationId, request: Annotated[CampaignNumbersRequest, Body()]
    ) -> CampaignView:
        return registration.assign_numbers(location_id, request, now())

    @app.put(
        "/v1/locations/<location_id>/brand/decision",
        operation_id="decide_brand",
        summary="Operator: the carriers' decision on the brand",
        middlewares=[operators_only],
        responses=contract.answers(
            {200: contract.success(BrandView, "The brand")}, *registration_errors, body=True
        ),
    )
    def put_brand_decision(
        location_id: LocationId, request: Annotated[DecisionRequest, Body()]
    ) -> BrandView | CampaignView:
        return registration.decide(location_id, "brand", request, now())

    @app.put(
        "/v1/locations/<location_id>/campaign/decision",
        operation_id="decide_campaign",
        summary="Operator: the carriers' decision on the campaign",
        middlewares=[operators_only],
        responses=contract.answers(
            {200: contract.success(CampaignView, "The campaign")}, *registration_errors, body=True
        ),
    )
    def put_campaign_decision(
        location_id: LocationId, request: Annotated[DecisionRequest, Body()]
    ) -> BrandView | CampaignView:
        return registration.decide(location_id, "campaign", request, now())

    @app.get(
        "/v1/locations/<location_id>/usage",
        operation_id="get_usage",
        summary="Today's usage against the daily limit",
        responses=contract.answers({200: contract.success(UsageView, "Today's usage")}, 404),
    )
    def get_usage(location_id: LocationId) -> UsageView:
        return locations_service.location_usage(location_id, now())

    @app.get(
        "/v1/locations/<location_id>/health",
        operation_id="get_health",
        summary="Audit-window counts, rates, thresholds, status",
        responses=contract.answers({200: contract.success(HealthView, "What the audit sees now")}, 404),
    )
    def get_health(location_id: LocationId) -> HealthView:
        return audit_service.location_health(location_id, now())

    @app.delete(
        "/v1/locations/<location_id>/suspension",
        operation_id="lift_suspension",
        summary="Operator: lift the location's suspension",
        middlewares=[operators_only],
        responses=contract.answers({200: contract.success(LocationView, "The location")}, 404),
    )
    def delete_suspension(location_id: LocationId) -> LocationView:
        return locations_service.lift_suspension(location_id, caller(), now())

    @app.put(
        "/v1/locations/<location_id>/contacts/<phone>/consent",
        operation_id="record_consent",
        summary="Record a contact's opt-in",
        responses=contract.answers({200: contract.success(ContactView, "The contact")}, 404, 422, body=True),
    )
    def put_consent(
        location_id: LocationId, phone: Phone, request: Annotated[ConsentRequest, Body()]
    ) -> ContactView:
        return consent_service.record_consent(location_id, phone_param(phone), request, caller(), now())

    @app.get(
        "/v1/locations/<location_id>/contacts/<phone>",
        operation_id="get_contact",
        summary="Consent, DND and the consent ledger",
        responses=contract.answers({200: contract.success(ContactView, "The contact")}, 404),
    )
    def get_contact(location_id: LocationId, phone: Phone) -> ContactView:
        return contacts_service.get_contact(location_id, phone_param(phone))

    @app.delete(
        "/v1/locations/<location_id>/contacts/<phone>/dnd",
        operation_id="clear_dnd",
        summary="Clear a temporary DND",
        responses=contract.answers({200: contract.success(ContactView, "The contact")}, 404, 409),
    )
    def delete_dnd(location_id: LocationId, phone: Phone) -> ContactView:
        return contacts_service.clear_dnd(location_id, phone_param(phone))

    @app.post(
        "/v1/locations/<location_id>/contacts/consent:batch",
        operation_id="import_consents",
        summary="Record up to 500 opt-ins, with an answer per row (re-running the same rows changes nothing)",
        responses=contract.answers(
            {200: contract.success(ConsentBatchAnswer, "An answer per row")}, 404, body=True
        ),
    )
    def post_consent_batch(
        location_id: LocationId, request: Annotated[ConsentBatchRequest, Body()]
    ) -> ConsentBatchAnswer:
        return consent_service.import_consents(location_id, request.rows, caller(), now())

    @app.get(
        "/v1/locations/<location_id>/consent",
        operation_id="export_consent_ledger",
        summary="The consent ledger for an audit, a page at a time",
        responses=contract.answers(
            {
                200: {
                    "description": "One page of the ledger; X-Next-Cursor names the next one",
                    "headers": {
                        "X-Next-Cursor": {
                            "description": "The cursor of the next page; absent on the last one",
                            "schema": {"type": "string"},
                        }
                    },
                    "content": {
                        "application/x-ndjson": {"schema": {"type": "string"}},
                        "text/csv": {"schema": {"type": "string"}},
                    },
                }
            },
            404,
        ),
    )
    def get_consent_ledger(
        location_id: LocationId,
        export_format: Annotated[Literal["csv", "jsonl"], Query(alias="format")] = "jsonl",
        phone: Annotated[
            str | None,
            Query(
                description="Only this contact's ledger (E.164)", json_schema_extra={"pattern": E164_PATTERN}
            ),
        ] = None,
        cursor: Annotated[str | None, Query(description="X-Next-Cursor of the previous page")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    ) -> Response[str]:
        body, next_cursor = consent_service.export_page(
            location_id, phone_param(phone) if phone is not None else None, export_format, limit, cursor
        )
        return Response(
            status_code=200,
            content_type="text/csv; charset=utf-8" if export_format == "csv" else "application/x-ndjson",
            body=body,
            headers={"X-Next-Cursor": next_cursor} if next_cursor else {},
        )

    @app.get(
        "/v1/locations",
        operation_id="list_locations",
        summary="Operator: the locations in order of id, a page at a time",
        middlewares=[operators_only],
        responses=contract.answers({200: contract.success(LocationsPage, "One page of locations")}),
    )
    def get_locations(
        cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> LocationsPage:
        return locations_service.list_locations(limit, cursor, now())

    document: dict[str, Any] = {}

    @app.get("/v1/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
    def openapi() -> Response[str]:
        # Built once per instance: the routes do not change while it runs.
        if not document:
            document.update(contract.document(app))
        return json_response(200, document)

    return app
