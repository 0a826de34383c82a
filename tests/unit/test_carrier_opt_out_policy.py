"""Carrier-managed opt-outs and final receipts, read from the carriers' own formats
(docs/carriers.md#opt-outs-the-carrier-manages, docs/receipts.md#final-and-non-final-receipts)."""

import json

import pytest

from smsgate.models.carrier_events import parse_inbound, parse_receipt
from smsgate.policy.carrier_opt_outs import aws_keyword, carrier_keyword, twilio_keyword
from smsgate.policy.receipt_mapping import AWS_EVENT_OUTCOMES, aws_receipt_outcome
from smsgate.policy.receipts import is_audited, next_change_time
from smsgate.settings import Settings

RESOURCES = {
    name: "x"
    for name in (
        "locations_table",
        "contacts_table",
        "messages_table",
        "counters_table",
        "idempotency_table",
        "outbound_queue_url",
        "carrier_events_topic_arn",
        "inbound_topic_arn",
        "alerts_topic_arn",
    )
}


@pytest.mark.parametrize(
    ("carrier", "setting", "confirms"),
    [
        ("simulator", None, False),
        ("twilio", None, True),
        ("aws", None, True),
        ("twilio", "", True),
        ("twilio", "false", False),
        ("aws", "false", False),
        ("simulator", "true", True),
    ],
)
def test_carrier_confirms_opt_outs_defaults_per_carrier(
    carrier: str, setting: str | None, confirms: bool
) -> None:
    values = {**RESOURCES, "carrier": carrier}
    if setting is not None:
        values["carrier_confirms_opt_outs"] = setting

    assert Settings.model_validate(values).carrier_confirms_opt_outs is confirms


def test_twilio_opt_out_type_is_read_whatever_the_body() -> None:
    envelope = {
        "source": "twilio.inbound",
        "params": {
            "MessageSid": "SM1",
            "From": "+12025550143",
            "To": "+12025550188",
            "Body": "PARAR",
            "OptOutType": "STOP",
        },
        "query": {},
        "receivedAt": "2024-06-01T12:00:00+00:00",
    }

    assert parse_inbound(json.dumps(envelope)).carrier_keyword == "opt_out"
    assert [twilio_keyword(value) for value in ("STOP", "START", "HELP", "", None, "OTHER")] == [
        "opt_out",
        "opt_in",
        "help",
        None,
        None,
        None,
    ]


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("STOP", "opt_out"),
        ("stop please", "opt_out"),
        ("Arrêt", "opt_out"),
        ("HELP!", "help"),
        ("START", None),
        ("Hi", None),
    ],
)
def test_aws_acts_on_a_message_that_begins_with_its_keyword(body: str, kind: str | None) -> None:
    assert aws_keyword(body) == kind


def test_an_aws_keyword_is_the_carriers_only_where_aws_manages_opt_outs() -> None:
    assert carrier_keyword("aws", "opt_out", True) == "opt_out"
    assert carrier_keyword("aws", "opt_out", False) is None
    assert carrier_keyword("twilio", "opt_out", False) == "opt_out"
    assert carrier_keyword("simulator", "opt_out", True) is None


@pytest.mark.parametrize("event_type", sorted(AWS_EVENT_OUTCOMES))
def test_a_not_final_aws_event_never_ends_the_message(event_type: str) -> None:
    assert aws_receipt_outcome(event_type, is_final=False) == (("sent", None))


def test_an_aws_opted_out_event_is_the_contacts_opt_out_and_no_error() -> None:
    event = {
        "eventType": "TEXT_BLOCKED",
        "eventTimestamp": 1717243205480,
        "isFinal": True,
        "messageId": "m-1",
        "messageStatus": "OPTED_OUT",
        "context": {"message_id": "ours", "location_id": "loc"},
    }

    receipt = parse_receipt(json.dumps(event))

    assert (receipt.status, receipt.error_code, receipt.final) == ("failed", 21610, True)
    assert not is_audited(21610)
    assert is_audited(30003)


def test_a_change_never_precedes_the_one_it_follows() -> None:
    from datetime import UTC, datetime, timedelta

    last = datetime(2024, 6, 1, 12, tzinfo=UTC)

    assert next_change_time(last - timedelta(seconds=1), last) == last
    assert next_change_time(last + timedelta(seconds=1), last) == last + timedelta(seconds=1)
    assert next_change_time(last, None) == last


@pytest.mark.parametrize(
    ("address", "expected"),
    [("12345", "12345"), ("555123", "555123"), (" 28444 ", "28444"), ("+12025550143", "+12025550143")],
)
def test_short_codes_and_e164_numbers_are_sms_addresses(address: str, expected: str) -> None:
    from smsgate.models.addresses import normalise_sms_address

    assert normalise_sms_address(address) == expected


@pytest.mark.parametrize("address", ["12", "0123", "123456789", "12025550143x", ""])
def test_anything_else_is_no_sms_address(address: str) -> None:
    from smsgate.models.addresses import normalise_sms_address

    with pytest.raises(ValueError):
        normalise_sms_address(address)
