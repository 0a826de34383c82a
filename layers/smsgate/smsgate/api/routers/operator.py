"""The operator's routes: the carriers' decisions on a registration, a location's approved short
codes, lifting a suspension, the list of every location. Each needs the operator grant instead of
access to the location it names (`smsgate.api.access.OPERATOR_ROUTE_KEYS`, and `operators_only`
on the route itself)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from smsgate.api import contract
from smsgate.api.access import operators_only
from smsgate.api.params import LocationId, caller, new_router
from smsgate.api.request_time import request_now
from smsgate.api.routers.registration import ERRORS as REGISTRATION_ERRORS
from smsgate.models.location_requests import ShortCodesRequest
from smsgate.models.location_views import BrandView, CampaignView, LocationsPage, LocationView
from smsgate.models.registration import DecisionRequest
from smsgate.policy.registration import RegistrationKind
from smsgate.services import locations as locations_service
from smsgate.services import registration


def router() -> APIGatewayHttpRouter:
    """The operator's routes."""
    routes = new_router()
    _decision(routes, "brand", BrandView)
    _decision(routes, "campaign", CampaignView)
    _locations(routes)
    return routes


def _decision(routes: APIGatewayHttpRouter, part: RegistrationKind, view: type[BaseModel]) -> None:
    """`PUT …/brand/decision` or `…/campaign/decision`: the carriers' decision on that part of
    the registration."""

    @routes.put(
        f"/v1/locations/<location_id>/{part}/decision",
        operation_id=f"decide_{part}",
        summary=f"Operator: the carriers' decision on the {part}",
        middlewares=[operators_only],
        responses=contract.answers(
            {200: contract.success(view, f"The {part}")}, *REGISTRATION_ERRORS, body=True
        ),
    )
    def put_decision(
        location_id: LocationId, request: Annotated[DecisionRequest, Body()]
    ) -> BrandView | CampaignView:
        return registration.decide(location_id, part, request, request_now(routes))


def _locations(routes: APIGatewayHttpRouter) -> None:
    @routes.put(
        "/v1/locations/<location_id>/short-codes",
        operation_id="put_short_codes",
        summary="Operator: the location's approved short codes, all of them",
        middlewares=[operators_only],
        responses=contract.answers(
            {200: contract.success(LocationView, "The location")}, 404, 409, body=True
        ),
    )
    def put_short_codes(
        location_id: LocationId, request: Annotated[ShortCodesRequest, Body()]
    ) -> LocationView:
        return locations_service.save_short_codes(location_id, request, caller(routes), request_now(routes))

    @routes.delete(
        "/v1/locations/<location_id>/suspension",
        operation_id="lift_suspension",
        summary="Operator: lift the location's suspension",
        middlewares=[operators_only],
        responses=contract.answers({200: contract.success(LocationView, "The location")}, 404),
    )
    def delete_suspension(location_id: LocationId) -> LocationView:
        return locations_service.lift_suspension(location_id, caller(routes), request_now(routes))

    @routes.get(
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
        return locations_service.list_locations(limit, cursor, request_now(routes))
