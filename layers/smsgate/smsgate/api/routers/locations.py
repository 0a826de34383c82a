"""Locations: create or update one, read it, its usage today and its audit health."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smsgate.api import contract
from smsgate.api.access import is_operator
from smsgate.api.params import LocationId, new_router
from smsgate.api.request_time import request_now
from smsgate.models.location_requests import PutLocationRequest
from smsgate.models.location_views import HealthView, LocationView, UsageView
from smsgate.services import locations as locations_service


def router() -> APIGatewayHttpRouter:
    """The routes of a location itself."""
    routes = new_router()
    _save(routes)
    _read(routes)
    return routes


def _save(routes: APIGatewayHttpRouter) -> None:
    @routes.put(
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
        now = request_now(routes)
        _, created = locations_service.save_location(
            location_id, request, now, operator=is_operator(routes.current_event)
        )
        return Response(
            status_code=201 if created else 200,
            content_type="application/json",
            body=locations_service.location_view(location_id, now),
        )


def _read(routes: APIGatewayHttpRouter) -> None:
    @routes.get(
        "/v1/locations/<location_id>",
        operation_id="get_location",
        summary="A location, its status, registration and usage",
        responses=contract.answers({200: contract.success(LocationView, "The location")}, 404),
    )
    def get_location(location_id: LocationId) -> LocationView:
        return locations_service.location_view(location_id, request_now(routes))

    @routes.get(
        "/v1/locations/<location_id>/usage",
        operation_id="get_usage",
        summary="Today's usage against the daily limit",
        responses=contract.answers({200: contract.success(UsageView, "Today's usage")}, 404),
    )
    def get_usage(location_id: LocationId) -> UsageView:
        return locations_service.location_usage(location_id, request_now(routes))

    @routes.get(
        "/v1/locations/<location_id>/health",
        operation_id="get_health",
        summary="Audit-window counts, rates, thresholds, status",
        responses=contract.answers({200: contract.success(HealthView, "What the audit sees now")}, 404),
    )
    def get_health(location_id: LocationId) -> HealthView:
        # Loaded by the first health request: the audit's reads and windows are no part of a
        # send, and a cold start need not pay for them (docs/performance.md#cold-imports).
        from smsgate.services import audit as audit_service

        return audit_service.location_health(location_id, request_now(routes))
