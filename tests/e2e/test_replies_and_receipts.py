"""Contacts' replies and delivery receipts over HTTP on the local stack (docs/inbound.md, docs/receipts.md).

A STOP arrives either through the signed Twilio inbound webhook of the local API or as an AWS End
User Messaging SMS two-way message published to the Inbound topic of the moto server. The
simulated carrier answers a destination ending in 3004 with `undelivered`/30004 and one ending in
3003 with `undelivered`/30003 (docs/local-stack.md#the-simulated-carrier).

Twilio signs the URL it calls with the public base URL. docs/local-stack.md#twilio-webhooks-locally names
`http://127.0.0.1:3000/<path>`, the default; the tests run the stack on a free port, and the runner
passes that port's base URL as `PublicBaseUrl`, so the signature is computed over
`local_stack.url(path)`.
"""

import itertools
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
import pytest
import requests
from boto3.dynamodb.conditions import Attr

from local_stack.stack import STACK_NAME
from smsgate.api.webhooks import INBOUND_PATH, SIGNATURE_HEADER
from smsgate.policy.limits import counter_day
from smsgate.policy.replies import reply_text
from smsgate.twilio_signature import compute_signature
from tests.e2e.conftest import LocalStack, final_message, poll

NAME = "Harbor Dental"
# Contacts outside the US, so that no 10DLC registration stands between a send and the DND check.
CONTACT = "+447911120187"
# Each location sends from its own number: a reply is routed to the location owning the number.
_NUMBERS: Iterator[int] = itertools.count(100)


def quoted(phone: str) -> str:
    return phone.replace("+", "%2B")


@cache
def _aws(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")  # type: ignore[call-overload]


@cache
def _outputs(endpoint: str) -> dict[str, str]:
    stack = _aws(endpoint, "cloudformation").describe_stacks(StackName=STACK_NAME)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}


class Location:
    """A location of the local stack with one sending number of its own, and what it sends."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.location_id = f"loc-{uuid.uuid4().hex[:8]}"
        self.number = f"+1303555{next(_NUMBERS):04d}"
        answer = stack.call(
            "PUT", f"/v1/locations/{self.location_id}", {"name": NAME, "numbers": [self.number]}
        )
        assert answer.status_code == 201, answer.text

    def opt_in(self, phone: str) -> None:
        answer = self.stack.call(
            "PUT",
            f"/v1/locations/{self.location_id}/contacts/{quoted(phone)}/consent",
            {"source": "web_form", "evidence": "booking form checkbox"},
        )
        assert answer.status_code == 200, answer.text

    def send(self, to: str) -> requests.Response:
        return self.stack.call(
            "POST",
            "/v1/messages",
            {
                "location_id": self.location_id,
                "from": self.number,
                "to": to,
                "body": "Your cleaning is tomorrow at 9:00.",
                "kind": "conversation",
            },
        )

    def contact(self, phone: str) -> dict[str, Any]:
        answer = self.stack.call("GET", f"/v1/locations/{self.location_id}/contacts/{quoted(phone)}")
        assert answer.status_code == 200, answer.text
        contact: dict[str, Any] = answer.json()
        return contact

    def contact_with_dnd(self, phone: str, state: str) -> dict[str, Any] | None:
        contact = self.contact(phone)
        return contact if contact["dnd"]["state"] == state else None

    def clear_dnd(self, phone: str) -> requests.Response:
        return self.stack.call("DELETE", f"/v1/locations/{self.location_id}/contacts/{quoted(phone)}/dnd")

    def replies(self) -> list[dict[str, Any]]:
        """The location's keyword replies (confirmations, help), as GET /v1/messages shows them."""
        table: Any = boto3.resource(
            "dynamodb", endpoint_url=self.stack.aws_endpoint, region_name="us-east-1"
        ).Table(_outputs(self.stack.aws_endpoint)["MessagesTableName"])
        mine = Attr("location_id").eq(self.location_id) & Attr("kind").eq("reply")
        page = table.scan(FilterExpression=mine)
        found = list(page["Items"])
        while "LastEvaluatedKey" in page:
            page = table.scan(FilterExpression=mine, ExclusiveStartKey=page["LastEvaluatedKey"])
            found += page["Items"]
        return [self.stack.call("GET", f"/v1/messages/{item['message_id']}").json() for item in found]


@pytest.fixture
def location(local_stack: LocalStack) -> Location:
    return Location(local_stack)


def refusal(answer: requests.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


def drained(stack: LocalStack) -> bool:
    """True when no reply, outbound message or receipt waits or is in flight. Each consumer puts
    its output on the next queue before deleting its input, so reading upstream first is safe."""
    sqs = _aws(stack.aws_endpoint, "sqs")
    outputs = _outputs(stack.aws_endpoint)
    for queue in ("InboundQueueUrl", "OutboundQueueUrl", "CarrierEventsQueueUrl"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=outputs[queue],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        waiting = (
            attributes["ApproximateNumberOfMessages"],
            attributes["ApproximateNumberOfMessagesNotVisible"],
        )
        if waiting != ("0", "0"):
            return False
    return True


# --- a contact's reply, in both formats ---------------------------------------------------------


def twilio_reply(location: Location, phone: str, body: str) -> dict[str, str]:
    """Twilio's incoming-message webhook form for a reply from `phone` to the location's number."""
    return {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": phone,
        "To": location.number,
        "MessageSid": "SM" + uuid.uuid4().hex,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
    }


def post_signed(stack: LocalStack, params: dict[str, str]) -> None:
    # The local token of docs/local-stack.md#twilio-webhooks-locally.
    token = os.environ.get("TWILIO_AUTH_TOKEN") or "local-dev-token"
    url = stack.url(INBOUND_PATH)
    answer = requests.post(
        url, data=params, headers={SIGNATURE_HEADER: compute_signature(token, url, params)}, timeout=30
    )
    assert answer.status_code == 200, answer.text


def aws_reply(location: Location, phone: str, body: str) -> dict[str, str]:
    """An AWS End User Messaging SMS two-way message, as the service publishes it to SNS."""
    return {
        "originationNumber": phone,
        "destinationNumber": location.number,
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": body,
        "inboundMessageId": str(uuid.uuid4()),
        "previousPublishedMessageId": str(uuid.uuid4()),
    }


def publish(stack: LocalStack, message: dict[str, str]) -> None:
    _aws(stack.aws_endpoint, "sns").publish(
        TopicArn=_outputs(stack.aws_endpoint)["InboundTopicArn"], Message=json.dumps(message)
    )


def reply(location: Location, channel: str, body: str) -> None:
    """The contact's reply through `channel`, delivered twice as carriers may: applied once."""
    if channel == "twilio":
        params = twilio_reply(location, CONTACT, body)
        for _ in range(2):
            post_signed(location.stack, params)
    else:
        message = aws_reply(location, CONTACT, body)
        for _ in range(2):
            publish(location.stack, message)


def confirmations_once_drained(location: Location, count: int) -> list[dict[str, Any]]:
    """The location's replies once every queue is empty and each reply reached the carrier."""
    poll(lambda: drained(location.stack), timeout=60)
    replies = location.replies()
    assert len(replies) == count, [reply["body"] for reply in replies]
    return sorted(replies, key=lambda reply: str(reply["history"][0]["at"]))


@pytest.mark.parametrize("channel", ["twilio", "aws"])
def test_stop_then_start_from_the_contact(local_stack: LocalStack, location: Location, channel: str) -> None:
    location.opt_in(CONTACT)
    assert location.send(CONTACT).status_code == 202

    reply(location, channel, "Stop.")

    contact = poll(lambda: location.contact_with_dnd(CONTACT, "permanent"))
    assert contact["consent"]["state"] == "opted_out"
    assert [entry["action"] for entry in contact["ledger"]] == ["opt_in", "opt_out"]
    [confirmation] = confirmations_once_drained(location, 1)
    assert confirmation["body"] == reply_text("opt_out", NAME) and NAME in confirmation["body"]
    assert (confirmation["from"], confirmation["to"], confirmation["status"]) == (
        location.number,
        CONTACT,
        "delivered",
    )
    refused = location.send(CONTACT)
    assert refusal(refused) == (422, "DND_ACTIVE")
    assert refused.json()["error"]["message"] == "Cannot send messages as DND is active for SMS."
    assert refusal(location.clear_dnd(CONTACT)) == (409, "DND_PERMANENT")

    reply(location, channel, "START")

    contact = poll(lambda: location.contact_with_dnd(CONTACT, "none"))
    assert contact["consent"]["state"] == "opted_in"
    _, resubscribed = confirmations_once_drained(location, 2)
    assert resubscribed["body"] == reply_text("opt_in", NAME)
    assert resubscribed["status"] == "delivered"
    assert location.send(CONTACT).status_code == 202


def test_one_confirmation_per_opt_out_despite_the_dnd_and_a_spent_limit(
    local_stack: LocalStack, location: Location
) -> None:
    # The location's day is spent (docs/inbound.md#one-confirmation): no ordinary send goes out.
    counters: Any = _aws(local_stack.aws_endpoint, "dynamodb")
    day = counter_day(datetime.now(UTC)).isoformat()
    counters.put_item(
        TableName=_outputs(local_stack.aws_endpoint)["CountersTableName"],
        Item={"pk": {"S": f"DAILY#{location.location_id}#{day}"}, "used": {"N": "250"}},
    )
    location.opt_in(CONTACT)
    assert refusal(location.send(CONTACT)) == (429, "DAILY_LIMIT_REACHED")

    reply(location, "twilio", "STOP")
    poll(lambda: location.contact_with_dnd(CONTACT, "permanent"))
    reply(location, "aws", "«Stop» 🛑")
    reply(location, "twilio", "please stop texting me")

    [confirmation] = confirmations_once_drained(location, 1)
    assert confirmation["body"] == reply_text("opt_out", NAME)
    assert confirmation["status"] == "delivered"
    ledger = location.contact(CONTACT)["ledger"]
    assert [entry["action"] for entry in ledger] == ["opt_in", "opt_out", "opt_out", "opt_out"]


# --- delivery receipts from the simulated carrier -------------------------------------------------


def undelivered(location: Location, to: str) -> dict[str, Any]:
    """Send to a simulator number and wait for its final receipt."""
    location.opt_in(to)
    accepted = location.send(to)
    assert accepted.status_code == 202, accepted.text
    return final_message(location.stack, accepted.json()["message_id"])


def test_a_destination_that_blocks_sms_gets_a_permanent_dnd(location: Location) -> None:
    to = "+447911123004"

    message = undelivered(location, to)

    assert (message["status"], message["error_code"]) == ("undelivered", 30004)
    steps = [(step["status"], step["error_code"]) for step in message["history"]]
    assert steps[0] == ("queued", None) and steps[-1] == ("undelivered", 30004)
    assert all(step["at"] for step in message["history"])
    dnd = location.contact(to)["dnd"]
    assert (dnd["state"], dnd["error_code"]) == ("permanent", 30004)
    assert "30004" in dnd["reason"] and dnd["since"]
    assert refusal(location.send(to)) == (422, "DND_ACTIVE")
    assert refusal(location.clear_dnd(to)) == (409, "DND_PERMANENT")


def test_an_unreachable_destination_gets_a_temporary_dnd_the_api_clears(location: Location) -> None:
    to = "+447911123003"

    message = undelivered(location, to)

    assert (message["status"], message["error_code"]) == ("undelivered", 30003)
    dnd = location.contact(to)["dnd"]
    assert (dnd["state"], dnd["error_code"]) == ("temporary", 30003)
    assert "30003" in dnd["reason"] and dnd["since"]
    assert refusal(location.send(to)) == (422, "DND_ACTIVE")

    cleared = location.clear_dnd(to)

    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["dnd"]["state"] == "none"
    assert location.contact(to)["dnd"]["state"] == "none"
    assert location.send(to).status_code == 202
