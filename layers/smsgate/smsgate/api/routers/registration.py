"""A location's 10DLC registration: its brand, its campaign and the campaign's numbers (the
carriers' decisions on them are operator routes, `smsgate.api.routers.operator`)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smsgate.api import contract
from smsgate.api.params import LocationId, new_router
from smsgate.api.request_time import request_now
from smsgate.models.location_views import BrandView, CampaignView
from smsgate.models.registration import BrandRequest, CampaignNumbersRequest, CampaignRequest
from smsgate.services import registration

# What a registration route answers besides success, the operator's decisions included.
ERRORS = (404, 409, 422)


def router() -> APIGatewayHttpRouter:
    """The routes a location submits its registration with."""
    routes = new_router()

    @routes.put(
        "/v1/locations/<location_id>/brand",
        operation_id="submit_brand",
        summary="Submit the 10DLC brand",
        responses=contract.answers({200: contract.success(BrandView, "The brand")}, *ERRORS, body=True),
    )
    def put_brand(location_id: LocationId, request: Annotated[BrandRequest, Body()]) -> BrandView:
        return registration.submit_brand(location_id, request, request_now(routes))

    @routes.put(
        "/v1/locations/<location_id>/campaign",
        operation_id="submit_campaign",
        summary="Submit the 10DLC campaign",
        responses=contract.answers({200: contract.success(CampaignView, "The campaign")}, *ERRORS, body=True),
    )
    def put_campaign(location_id: LocationId, request: Annotated[CampaignRequest, Body()]) -> CampaignView:
        return registration.submit_campaign(location_id, request, request_now(routes))

    @routes.put(
        "/v1/locations/<location_id>/campaign/numbers",
        operation_id="assign_campaign_numbers",
        summary="Assign numbers to the campaign",
        responses=contract.answers({200: contract.success(CampaignView, "The campaign")}, *ERRORS, body=True),
    )
    def put_campaign_numbers(
        location_id: LocationId, request: Annotated[CampaignNumbersRequest, Body()]
    ) -> CampaignView:
        return registration.assign_numbers(location_id, request, request_now(routes))

    return routes
