"""status_callback: applies delivery receipts from the CarrierEvents topic (docs/receipts.md)."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from smsgate.settings import get_settings

get_settings()

from smsgate.models.carrier_events import parse_receipt  # noqa: E402
from smsgate.observability import logger, masked_uncaught_errors, metrics, tracer  # noqa: E402
from smsgate.services.envelopes import sns_message  # noqa: E402
from smsgate.services.receipts import apply_receipt  # noqa: E402

processor = BatchProcessor(event_type=EventType.SQS)


def apply_record(record: SQSRecord) -> str:
    return apply_receipt(parse_receipt(sns_message(record.body)), datetime.now(UTC))


@logger.inject_lambda_context
@masked_uncaught_errors
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=apply_record, processor=processor, context=context
    )
