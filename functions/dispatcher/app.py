"""dispatcher: hands queued messages to the carrier (the only code that talks to one).

A record that is not sent yet (transient carrier error, too little time left) is reported in
`batchItemFailures`: SQS redelivers it, and the redrive policy moves it to the DLQ at last. A
record the carrier asks us to bring back later, or one refused for our own set-up, is made
invisible for that long first (docs/carriers.md#retry-advice).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from smsgate.settings import get_settings

settings = get_settings()

from smsgate.dal import outbound  # noqa: E402
from smsgate.observability import logger, masked_uncaught_errors, metrics, tracer  # noqa: E402
from smsgate.services.dispatch import Dispatcher, SendPostponed  # noqa: E402

# A batch whose every record is left for redelivery (a carrier outage) is answered like any
# other partial failure, record by record, rather than as a failed invocation.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def clock() -> datetime:
    return datetime.now(UTC)


dispatcher = Dispatcher.from_settings(settings, clock)


def send_record(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
    message = outbound.OutboundRecord.model_validate_json(record.body)
    try:
        return dispatcher.dispatch(message, time_left(lambda_context))
    except SendPostponed as postponed:
        if postponed.requeue:
            outbound.requeue(message, postponed.seconds)
            return "requeued"
        outbound.postpone(record.receipt_handle, postponed.seconds)
        raise


def time_left(context: LambdaContext | None) -> Callable[[], float] | None:
    """Seconds left in this invocation; the dispatcher starts no carrier attempt it cannot finish."""
    if context is None:
        return None
    return lambda: context.get_remaining_time_in_millis() / 1000


@logger.inject_lambda_context
@masked_uncaught_errors
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=send_record, processor=processor, context=context
    )
