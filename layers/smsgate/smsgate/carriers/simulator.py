"""The simulated carrier of the local stack and the tests (docs/local-stack.md#the-simulated-carrier).

It accepts every send and answers with a receipt on the CarrierEvents topic, the way AWS End
User Messaging SMS answers through its event destination: a destination whose last four
digits are 3003, 3004, 3005, 3006 or 3008 is `undelivered` with error 3000N, any other one
is `delivered`.
"""

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from smsgate.carriers.base import OutboundSms, SendResult
from smsgate.sources import SIMULATOR_SOURCE

UNDELIVERED_SUFFIXES: dict[str, int] = {
    suffix: int("3000" + suffix[-1]) for suffix in ("3003", "3004", "3005", "3006", "3008")
}


def simulated_outcome(to: str) -> tuple[str, int | None]:
    """(status, error code) the simulator answers for a destination."""
    code = UNDELIVERED_SUFFIXES.get(to[-4:])
    return ("undelivered", code) if code else ("delivered", None)


def simulated_receipt(sms: OutboundSms, carrier_message_id: str, now: datetime) -> dict[str, Any]:
    status, code = simulated_outcome(sms.to)
    return {
        "source": SIMULATOR_SOURCE,
        "eventId": str(uuid.uuid4()),
        "messageId": sms.message_id,
        "carrierMessageId": carrier_message_id,
        "status": status,
        "errorCode": code,
        "timestamp": now.isoformat(),
    }


class SimulatorCarrier:
    name = "simulator"

    def __init__(self, publish: Callable[[dict[str, Any]], None], clock: Callable[[], datetime]) -> None:
        self._publish = publish
        self._clock = clock

    def send(self, sms: OutboundSms) -> SendResult:
        carrier_message_id = f"SIM{uuid.uuid4().hex}"
        self._publish(simulated_receipt(sms, carrier_message_id, self._clock()))
        return SendResult(carrier_message_id=carrier_message_id)


def sns_publisher(sns_client: Callable[[], Any], topic_arn: str) -> Callable[[dict[str, Any]], None]:
    """Publishes receipts to the topic with the client `sns_client()` returns when one is sent
    (the dispatcher passes the DAL's: created at the first, not when the dispatcher is imported)."""

    def publish(receipt: dict[str, Any]) -> None:
        sns_client().publish(TopicArn=topic_arn, Message=json.dumps(receipt))

    return publish
