"""Message type and validity per kind (docs/carriers.md#message-type-and-validity)."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from smsgate.carriers.base import OutboundSms
from smsgate.dal.outbound import OutboundRecord
from smsgate.models.requests import BulkSendRequest, SendMessageRequest
from smsgate.policy.validity import message_type, remaining_seconds, validity_seconds
from smsgate.services.dispatch import outbound_sms

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
BASE = {"location_id": "loc", "from": "+12025550188", "to": "+12025550143", "body": "Hi", "kind": "workflow"}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("bulk", "PROMOTIONAL"),
        ("campaign", "PROMOTIONAL"),
        ("conversation", "TRANSACTIONAL"),
        ("workflow", "TRANSACTIONAL"),
        ("reply", "TRANSACTIONAL"),
    ],
)
def test_marketing_is_declared_promotional(kind: str, expected: str) -> None:
    assert message_type(kind) == expected


def test_the_request_validity_wins_over_the_kinds_default() -> None:
    assert validity_seconds("workflow", None) == 3600
    assert validity_seconds("bulk", None) == 36000
    assert validity_seconds("bulk", 120) == 120


@pytest.mark.parametrize("expires_in", [0, 4, 36001])
def test_a_validity_no_carrier_takes_is_refused(expires_in: int) -> None:
    with pytest.raises(ValidationError):
        SendMessageRequest.model_validate({**BASE, "expires_in": expires_in})
    with pytest.raises(ValidationError):
        BulkSendRequest.model_validate({**BASE, "recipients": ["+12025550143"], "expires_in": expires_in})


def test_the_carrier_gets_what_remains_of_the_validity() -> None:
    record = OutboundRecord(
        message_id="m",
        location_id="loc",
        from_number="+1",
        to="+2",
        body="b",
        kind="bulk",
        expires_at=NOW + timedelta(seconds=90),
    )
    left = remaining_seconds(record.expires_at, NOW + timedelta(seconds=30))

    assert left == 60
    assert outbound_sms(record, left) == OutboundSms(
        message_id="m",
        location_id="loc",
        from_number="+1",
        to="+2",
        body="b",
        message_type="PROMOTIONAL",
        validity_seconds=60,
    )
    assert remaining_seconds(None, NOW) is None
    assert remaining_seconds(NOW, NOW + timedelta(seconds=1)) == -1
