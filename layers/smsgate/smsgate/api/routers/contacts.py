"""A location's contacts and their consent: record an opt-in (one or a batch), read a contact,
record where it is, clear a temporary DND, export the consent ledger."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smsgate.api import contract
from smsgate.api.params import LocationId, Phone, caller, new_router, phone_param
from smsgate.api.request_time import request_now
from smsgate.models.location_requests import ConsentBatchRequest, ConsentRequest, ContactPlaceRequest
from smsgate.models.location_views import ConsentBatchAnswer, ContactView
from smsgate.models.phone import E164_PATTERN
from smsgate.services import consent as consent_service
from smsgate.services import contacts as contacts_service

# The ledger's export: one page of NDJSON or CSV, and the cursor of the next in a header.
_LEDGER_PAGE: OpenAPIResponse = {
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


def router() -> APIGatewayHttpRouter:
    """The routes of a location's contacts and consent."""
    routes = new_router()
    _contact(routes)
    _consent(routes)
    _ledger(routes)
    return routes


def _contact(routes: APIGatewayHttpRouter) -> None:
    @routes.get(
        "/v1/locations/<location_id>/contacts/<phone>",
        operation_id="get_contact",
        summary="Consent, DND and the consent ledger",
        responses=contract.answers({200: contract.success(ContactView, "The contact")}, 404),
    )
    def get_contact(location_id: LocationId, phone: Phone) -> ContactView:
        return contacts_service.get_contact(location_id, phone_param(phone))

    @routes.put(
        "/v1/locations/<location_id>/contacts/<phone>/place",
        operation_id="record_contact_place",
        summary="Record where the contact is (time zone, state) for quiet hours; {} removes it",
        responses=contract.answers({200: contract.success(ContactView, "The contact")}, 404, body=True),
    )
    def put_place(
        location_id: LocationId, phone: Phone, request: Annotated[ContactPlaceRequest, Body()]
    ) -> ContactView:
        return contacts_service.record_place(location_id, phone_param(phone), request, request_now(routes))

    @routes.delete(
        "/v1/locations/<location_id>/contacts/<phone>/dnd",
        operation_id="clear_dnd",
        summary="Clear a temporary DND",
        responses=contract.answers({200: contract.success(ContactView, "The contact")}, 404, 409),
    )
    def delete_dnd(location_id: LocationId, phone: Phone) -> ContactView:
        return contacts_service.clear_dnd(location_id, phone_param(phone))


def _consent(routes: APIGatewayHttpRouter) -> None:
    @routes.put(
        "/v1/locations/<location_id>/contacts/<phone>/consent",
        operation_id="record_consent",
        summary="Record a contact's opt-in",
        responses=contract.answers({200: contract.success(ContactView, "The contact")}, 404, 422, body=True),
    )
    def put_consent(
        location_id: LocationId, phone: Phone, request: Annotated[ConsentRequest, Body()]
    ) -> ContactView:
        return consent_service.record_consent(
            location_id, phone_param(phone), request, caller(routes), request_now(routes)
        )

    @routes.post(
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
        return consent_service.import_consents(location_id, request.rows, caller(routes), request_now(routes))


def _ledger(routes: APIGatewayHttpRouter) -> None:
    @routes.get(
        "/v1/locations/<location_id>/consent",
        operation_id="export_consent_ledger",
        summary="The consent ledger for an audit, a page at a time",
        responses=contract.answers({200: _LEDGER_PAGE}, 404),
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
