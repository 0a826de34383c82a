"""Unwrapping what arrives on the consumers' queues."""

import json
from typing import Any


def sns_message(sqs_body: str) -> str:
    """The SNS `Message` inside an SQS record body (or the body itself with raw delivery)."""
    try:
        envelope: Any = json.loads(sqs_body)
    except json.JSONDecodeError:
        return sqs_body
    if isinstance(envelope, dict) and envelope.get("Type") == "Notification" and "Message" in envelope:
        return str(envelope["Message"])
    return sqs_body
