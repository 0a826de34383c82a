"""release_scheduled: hands scheduled messages to the dispatcher when their minute comes.

Two triggers (docs/scheduling.md#release): the EventBridge rule every minute (a run, at the
event's `time`, so a retried event releases the same minutes) and the release queue (one
minute-shard a run handed over).
"""

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from smsgate.settings import get_settings

get_settings()

from smsgate.observability import logger, masked_uncaught_errors, metrics, tracer  # noqa: E402
from smsgate.services.scheduling import release_chunk, run_release  # noqa: E402

processor = BatchProcessor(event_type=EventType.SQS)


def scheduled_at(event: dict[str, Any]) -> datetime:
    """The time EventBridge scheduled this run for (now, for a hand-made event without one)."""
    raw = event.get("time")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else datetime.now(UTC)


def release_record(record: SQSRecord) -> dict[str, Any]:
    return release_chunk(json.loads(record.body), datetime.now(UTC))


@logger.inject_lambda_context
@masked_uncaught_errors
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if "Records" in event:
        return process_partial_response(
            event=event, record_handler=release_record, processor=processor, context=context
        )
    return run_release(scheduled_at(event))
