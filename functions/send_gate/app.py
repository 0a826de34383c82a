"""send_gate: the HTTP API (docs/api.md#routes)."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from smsgate.settings import get_settings

get_settings()  # a misconfigured deployment fails at cold start, not on the first request

from smsgate.api.request_time import pass_now  # noqa: E402
from smsgate.api.routes import create_app  # noqa: E402
from smsgate.observability import logger, masked_uncaught_errors, metrics, tracer  # noqa: E402

app = create_app()


def clock() -> datetime:
    """The wall clock; a test of scheduling and quiet hours sets the instant here instead."""
    return datetime.now(UTC)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@masked_uncaught_errors
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    pass_now(app, clock())  # the request's one instant: no route reads the clock
    return app.resolve(event, context)
