"""SQS consumers and the schedule, the way Lambda's event source mappings and EventBridge call."""

import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3

from local_stack.lambdas import FunctionPool, log_failure
from local_stack.stack import QueueTrigger, ScheduleTrigger

# A failed record becomes visible again after this long (Lambda waits the queue's visibility
# timeout; locally a short wait keeps retries and the redrive to the DLQ quick to watch).
LOCAL_RETRY_SECONDS = 2
# How long a consumer waits after finding its queue empty.
IDLE_POLL_SECONDS = 0.2


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


class QueueConsumer(threading.Thread):
    def __init__(
        self, trigger: QueueTrigger, function: FunctionPool, endpoint: str, stop: threading.Event
    ) -> None:
        super().__init__(name=f"consumer-{trigger.function}", daemon=True)
        self.trigger = trigger
        self.function = function
        self.stop_event = stop
        self.sqs = boto3.client("sqs", endpoint_url=endpoint)
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=trigger.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.region = self.sqs.meta.region_name

    def poll_once(self, wait_seconds: int = 1) -> int:
        response = self.sqs.receive_message(
            QueueUrl=self.trigger.queue_url,
            MaxNumberOfMessages=min(10, self.trigger.batch_size),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[Any] = list(response.get("Messages", []))
        if not messages:
            return 0
        try:
            result = self.function.invoke(sqs_event(messages, self.queue_arn, self.region)) or {}
            failed_ids = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        except Exception:  # the whole batch failed, as when a Lambda invocation errors
            log_failure(self.trigger.function, f"a batch of {len(messages)} (retried)")
            failed_ids = {message["MessageId"] for message in messages}
        if failed_ids and not self.trigger.report_failures:
            failed_ids = {message["MessageId"] for message in messages}
        done = [m for m in messages if m["MessageId"] not in failed_ids]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.trigger.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        for message in messages:
            if message["MessageId"] in failed_ids:
                self.sqs.change_message_visibility(
                    QueueUrl=self.trigger.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=LOCAL_RETRY_SECONDS,
                )
        return len(messages)

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                # Short polls, waiting here between them: moto's server applies one request at a
                # time (moto_server.py), so a long poll would hold every other AWS call back.
                if not self.poll_once(wait_seconds=0):
                    self.stop_event.wait(IDLE_POLL_SECONDS)
            except Exception as exc:  # keep consuming; the error is the function's to report
                print(f"[local] consumer {self.trigger.function}: {type(exc).__name__}: {exc}", flush=True)
                self.stop_event.wait(1)


_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def schedule_seconds(expression: str) -> float:
    """Seconds between runs of a `rate(...)` expression (cron expressions run hourly locally)."""
    found = _RATE.match(expression.strip())
    if not found:
        return 3600.0
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2).rstrip("s")]


def scheduled_event(rule_name: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule_name}"],
        "detail": {},
    }


class Schedule(threading.Thread):
    def __init__(
        self, trigger: ScheduleTrigger, function: FunctionPool, interval: float, stop: threading.Event
    ) -> None:
        super().__init__(name=f"schedule-{trigger.function}", daemon=True)
        self.trigger = trigger
        self.function = function
        self.interval = interval
        self.stop_event = stop

    def fire(self) -> Any:
        return self.function.invoke(scheduled_event(self.trigger.rule_name))

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            started = time.monotonic()
            try:
                result = self.fire()
                print(
                    f"[local] {self.trigger.function} ran in {time.monotonic() - started:.1f}s: "
                    f"{json.dumps(result, default=str)[:300]}",
                    flush=True,
                )
            except Exception as exc:
                print(f"[local] {self.trigger.function} failed: {type(exc).__name__}: {exc}", flush=True)
