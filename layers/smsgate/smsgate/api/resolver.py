"""The HTTP API's resolver and how it answers what no route answers: refusals, invalid
requests, AWS failures, crashes, unknown routes and methods (every error `{"error": {...}}`,
built by `smsgate.api.errors`)."""

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from smsgate.api.errors import (
    AWS_ERRORS,
    AwsError,
    aws_error_response,
    error_response,
    internal_error_response,
    undecodable_body_response,
    validation_response,
)
from smsgate.api.request_shape import lambda_answer, parse_json, shape_refusal, with_media_type_lowercase
from smsgate.errors import SmsgateError
from smsgate.reasons import ReasonCode

_ROUTE_PARAMETER = re.compile(r"<(\w+)>")


LaterRouters = Callable[[], Iterable[APIGatewayHttpRouter]]


class SmsgateResolver(APIGatewayHttpResolver):
    """The HTTP API's resolver: refuses what no route can read before powertools parses it
    (`smsgate.api.request_shape`), knows which methods each path has, for a 405, and includes
    the routers it was given for `later` at the first request its routes do not answer
    (docs/performance.md#cold-imports)."""

    def __init__(
        self, strip_prefixes: list[str | re.Pattern[str]] | None = None, later: LaterRouters | None = None
    ) -> None:
        super().__init__(
            enable_validation=True, json_body_deserializer=parse_json, strip_prefixes=strip_prefixes
        )
        self.prefixes = [prefix for prefix in strip_prefixes or [] if isinstance(prefix, str)]
        self.rules: list[tuple[str, str]] = []
        self._paths: list[tuple[str, re.Pattern[str]]] | None = None
        self._later = later

    def include_later_routers(self) -> None:
        """Include the routers left for later, once: every route then answers as if it had been
        included at the start (their paths are none of the first routers')."""
        if self._later is not None:
            later, self._later = self._later, None
            for router in later():
                self.include_router(router)

    def route(self, rule: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        for item in (method,) if isinstance(method, str) else method:
            self.rules.append((str(item).upper(), rule))
        self._paths = None
        return super().route(rule, method, *args, **kwargs)

    @property
    def paths(self) -> list[tuple[str, re.Pattern[str]]]:
        """(method, pattern) of every route, compiled at the first request that needs them (while
        routers are left for later, every request asks whether its routes answer it; after that,
        only a 404 or 405): a regex per route costs cold start (docs/performance.md#cold-imports)."""
        if self._paths is None:
            self._paths = [(method, _rule_pattern(rule)) for method, rule in self.rules]
        return self._paths

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
        event = with_media_type_lowercase(event)
        if self._later is not None:
            request = APIGatewayProxyEventV2(dict(event))
            if request.http_method.upper() not in self.allowed_methods(request.path):
                self.include_later_routers()
        return super().resolve(event, context)


def _rule_pattern(rule: str) -> re.Pattern[str]:
    parts = _ROUTE_PARAMETER.split(rule)  # literal, name, literal, …
    return re.compile(
        "^" + "".join(re.escape(part) if i % 2 == 0 else "[^/]+" for i, part in enumerate(parts)) + "$"
    )


def answer_errors(app: SmsgateResolver) -> None:
    """Register the answers to every exception a route may raise, and to unknown routes."""

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

    @app.exception_handler(AWS_ERRORS)
    def handle_aws(exc: AwsError) -> Response[str]:
        return aws_error_response(exc)

    @app.exception_handler(Exception)
    def handle_crash(exc: Exception) -> Response[str]:
        return internal_error_response(exc)

    @app.not_found
    def handle_not_found(_: Exception) -> Response[str]:
        return unknown_route_response(app)


def unknown_route_response(app: SmsgateResolver) -> Response[str]:
    """405 with `Allow` when the path has routes but not this method, else 404."""
    event = app.current_event
    allowed = app.allowed_methods(event.path)
    if not allowed:
        return error_response(SmsgateError(ReasonCode.NOT_FOUND, "No such route."))
    refusal = SmsgateError(
        ReasonCode.METHOD_NOT_ALLOWED,
        f"{event.http_method} is not a method of {event.path}; it has {', '.join(allowed)}.",
        details={"allowed": allowed},
    )
    response = error_response(refusal)
    response.headers["Allow"] = ", ".join(allowed)
    return response
