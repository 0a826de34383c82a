"""The outbound queue between the send gate / keyword replies and the dispatcher."""

from typing import Any

from smsgate.dal import clients

# The queue carries the outbound message's record form (models/outbound.py).
from smsgate.models.outbound import OutboundRecord
from smsgate.settings import get_settings

__all__ = ["MAX_DELAY_SECONDS", "OutboundRecord", "enqueue", "postpone", "requeue"]

_SQS_BATCH = 10


def enqueue(records: list[OutboundRecord]) -> list[str]:
    """Queue messages in batches of ten; returns the message ids SQS did not take."""
    failed: list[str] = []
    for start in range(0, len(records), _SQS_BATCH):
        chunk = records[start : start + _SQS_BATCH]
        entries: list[dict[str, Any]] = [
            {"Id": str(index), "MessageBody": record.model_dump_json()} for index, record in enumerate(chunk)
        ]
        response = clients.sqs().send_message_batch(
            QueueUrl=get_settings().outbound_queue_url, Entries=entries
        )
        failed += [chunk[int(entry["Id"])].message_id for entry in response.get("Failed", [])]
    return failed


# The longest SQS delays a message it is sent with.
MAX_DELAY_SECONDS = 900


def requeue(record: OutboundRecord, seconds: int) -> None:
    """Send the message again as a new one that shows after `seconds` (at most SQS's 900; a
    longer wait is met by requeueing again). A pacing wait is no failed receive: held through a
    visibility timeout instead, every wait would count toward the queue's maxReceiveCount, and a
    backlog on one slow number would walk real messages into the dead-letter queue
    (docs/pacing.md#postponed). The copy is sent once: the dispatcher claims each message id."""
    clients.sqs().send_message(
        QueueUrl=get_settings().outbound_queue_url,
        MessageBody=record.model_dump_json(),
        DelaySeconds=max(0, min(MAX_DELAY_SECONDS, seconds)),
    )


def postpone(receipt_handle: str, seconds: int) -> None:
    """Keep a received outbound message invisible for `seconds` (0 to 43,200), so its next
    try follows the carrier's advice rather than the queue's visibility timeout."""
    clients.sqs().change_message_visibility(
        QueueUrl=get_settings().outbound_queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
    )
