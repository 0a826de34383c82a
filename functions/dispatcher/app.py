"""dispatcher: hands queued messages to the carrier (the only code that talks to one)."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from smsgate.settings import get_settings

settings = get_settings()

from smsgate.carriers.factory import carrier_for  # noqa: E402
from smsgate.dal.outbound import OutboundRecord  # noqa: E402
from smsgate.observability import logger, metrics, tracer  # noqa: E402
from smsgate.services.dispatch import dispatch  # noqa: E402

processor = BatchProcessor(event_type=EventType.SQS)


def clock() -> datetime:
    return datetime.now(UTC)


carrier = carrier_for(settings, clock)


def send_record(record: SQSRecord) -> str:
    return dispatch(OutboundRecord.model_validate_json(record.body), carrier, clock)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=send_record, processor=processor, context=context)
