"""threshold_audit: the scheduled audit of error and opt-out rates (docs/audit.md).

Two triggers: the EventBridge schedule (a run, audited at the event's `time`, so a retried
event audits the same window) and the audit queue (one chunk of a run that fanned out).
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
from smsgate.services.audit import audit_chunk, run_audit  # noqa: E402

processor = BatchProcessor(event_type=EventType.SQS)


def scheduled_at(event: dict[str, Any]) -> datetime:
    """The time EventBridge scheduled this run for (now, for a hand-made event without one)."""
    raw = event.get("time")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else datetime.now(UTC)


def audit_record(record: SQSRecord) -> dict[str, Any]:
    return audit_chunk(json.loads(record.body))


@logger.inject_lambda_context
@masked_uncaught_errors
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if "Records" in event:
        return process_partial_response(
            event=event, record_handler=audit_record, processor=processor, context=context
        )
    return run_audit(scheduled_at(event))
