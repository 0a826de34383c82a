"""threshold_audit: the scheduled audit of error and opt-out rates (SPEC section 8)."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from smsgate.settings import get_settings

get_settings()

from smsgate.observability import logger, metrics, tracer  # noqa: E402
from smsgate.services.audit import run_audit  # noqa: E402


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_audit(datetime.now(UTC))
