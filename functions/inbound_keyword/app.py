"""inbound_keyword: applies contacts' replies from the Inbound topic (docs/policy.md#replies)."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from smsgate.settings import get_settings

get_settings()

from smsgate.models.carrier_events import parse_inbound  # noqa: E402
from smsgate.observability import logger, masked_uncaught_errors, metrics, tracer  # noqa: E402
from smsgate.services.envelopes import sns_message  # noqa: E402
from smsgate.services.inbound import apply_reply, notification_time  # noqa: E402

processor = BatchProcessor(event_type=EventType.SQS)


def apply_record(record: SQSRecord) -> str:
    now = datetime.now(UTC)
    reply = parse_inbound(sns_message(record.body), received_at=notification_time(record.body) or now)
    return apply_reply(reply, now)


@logger.inject_lambda_context
@masked_uncaught_errors
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=apply_record, processor=processor, context=context
    )
