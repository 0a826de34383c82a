"""The HTTP API: one resolver composed of a router per resource (`smsgate.api.routers`).

Every route declares what it answers (`responses=`, built by `smsgate.api.contract`): the served
`/v1/openapi.json` lists each status with its schema, the error shape of every 4xx and 5xx, and
the SigV4 security scheme (docs/api.md).
"""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smsgate.api import contract
from smsgate.api.access import location_access
from smsgate.api.errors import json_response
from smsgate.api.resolver import SmsgateResolver, answer_errors
from smsgate.api.routers import messages
from smsgate.settings import get_settings


def create_app() -> SmsgateResolver:
    """A resolver with every route. One per Lambda instance (the local stack runs several
    side by side, and a resolver holds the event it is answering). Its handler passes each
    request's instant in the context (`app.append_context(now=…)`, `smsgate.api.params`).

    The single send's route is included at once; the others (`_later_routers`) at the first
    request it does not answer, or the OpenAPI document's."""
    app = SmsgateResolver(get_settings().route_prefixes, later=_later_routers)
    # Who may act on which location: one check before every route (smsgate.api.access).
    app.use(middlewares=[location_access])
    answer_errors(app)
    app.include_router(messages.router())
    _serve_openapi(app)
    return app


def _later_routers() -> list[APIGatewayHttpRouter]:
    """The routes other than the single send's: bulk, a message's status, a location, its
    registration, its contacts and the operator's. Imported by the first request that needs one,
    so that an instance whose first request is a send does not load their views, request models
    and services (docs/performance.md#cold-imports)."""
    from smsgate.api.routers import bulk, contacts, locations, message_status, operator, registration

    resources = (bulk, message_status, locations, registration, contacts, operator)
    return [resource.router() for resource in resources]


def _serve_openapi(app: SmsgateResolver) -> None:
    document: dict[str, Any] = {}

    @app.get("/v1/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
    def openapi() -> Response[str]:
        # Built once per instance: the routes do not change while it runs.
        if not document:
            app.include_later_routers()  # the document states every route
            document.update(contract.document(app))
        return json_response(200, document)
