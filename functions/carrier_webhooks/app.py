"""carrier_webhooks: the carriers' signed webhooks, the API's only public routes.

A function of its own so that its role holds only what an anonymous caller's request may reach:
publishing to the CarrierEvents and Inbound topics and reading the Twilio auth token
(docs/deploying.md#the-public-webhooks).
"""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from smsgate.settings import get_settings

get_settings()  # a misconfigured deployment fails at cold start, not on the first request

from smsgate.api.request_time import pass_now  # noqa: E402
from smsgate.api.webhooks import create_webhooks_app  # noqa: E402
from smsgate.observability import logger, masked_uncaught_errors, metrics, tracer  # noqa: E402

app = create_webhooks_app()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@masked_uncaught_errors
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    pass_now(app, datetime.now(UTC))  # when the webhook was received: no route reads the clock
    return app.resolve(event, context)
