"""The receipt mapping tables (docs/policy.md#delivery-receipts) and their documentation in
docs/receipt-mapping.md."""

import ast
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.policy import receipt_mapping
from smsgate.policy.receipt_mapping import (
    AWS_EVENT_OUTCOMES,
    NOT_A_RECEIPT,
    TWILIO_STATUS_OUTCOMES,
    ReceiptOutcome,
    aws_receipt_outcome,
    error_code_for,
    twilio_receipt_outcome,
)
from smsgate.policy.receipts import dnd_for_error

DOC = Path(__file__).resolve().parents[2] / "docs" / "receipt-mapping.md"

# (eventType, status, error code, DND) — the decisions, row by row.
AWS_ROWS = [
    ("TEXT_SENT", "sent", None, None),
    ("TEXT_QUEUED", "sent", None, None),
    ("TEXT_PENDING", "sent", None, None),
    ("TEXT_SUCCESSFUL", "delivered", None, None),
    ("TEXT_DELIVERED", "delivered", None, None),
    ("TEXT_UNKNOWN", "sent", None, None),
    ("TEXT_UNREACHABLE", "undelivered", 30003, "temporary"),
    ("TEXT_CARRIER_UNREACHABLE", "undelivered", 30003, "temporary"),
    ("TEXT_INVALID", "undelivered", 30005, "temporary"),
    ("TEXT_BLOCKED", "undelivered", 30004, "permanent"),
    ("TEXT_CARRIER_BLOCKED", "undelivered", 30007, None),
    ("TEXT_SPAM", "undelivered", 30007, None),
    ("TEXT_TTL_EXPIRED", "undelivered", 30008, None),
    ("TEXT_INVALID_MESSAGE", "failed", 30008, None),
    ("TEXT_PROTECT_BLOCKED", "failed", 21408, None),
]

TWILIO_ROWS = [
    ("accepted", "sent"),
    ("scheduled", "sent"),
    ("queued", "sent"),
    ("sending", "sent"),
    ("sent", "sent"),
    ("delivered", "delivered"),
    ("read", "delivered"),
    ("partially_delivered", "delivered"),
    ("undelivered", "undelivered"),
    ("failed", "failed"),
    ("canceled", "failed"),
    ("receiving", None),
    ("received", None),
]


@pytest.mark.parametrize(("event_type", "status", "code", "dnd"), AWS_ROWS)
def test_aws_event_type_maps_to_status_code_and_dnd(event_type, status, code, dnd):
    outcome = aws_receipt_outcome(event_type)

    assert outcome == ReceiptOutcome(status, code)
    assert dnd_for_error(outcome.error_code) == dnd


def test_every_documented_aws_sms_event_type_has_a_row():
    # The TEXT_* list of the AWS End User Messaging SMS API (MatchingEventTypes).
    documented = {
        "TEXT_SENT", "TEXT_PENDING", "TEXT_QUEUED", "TEXT_SUCCESSFUL", "TEXT_DELIVERED",
        "TEXT_INVALID", "TEXT_INVALID_MESSAGE", "TEXT_UNREACHABLE", "TEXT_CARRIER_UNREACHABLE",
        "TEXT_BLOCKED", "TEXT_CARRIER_BLOCKED", "TEXT_SPAM", "TEXT_UNKNOWN", "TEXT_TTL_EXPIRED",
        "TEXT_PROTECT_BLOCKED",
    }  # fmt: skip
    assert set(AWS_EVENT_OUTCOMES) == documented == {row[0] for row in AWS_ROWS}


def test_aws_unknown_after_72_hours_is_not_an_error():
    outcome = aws_receipt_outcome("TEXT_UNKNOWN")

    assert outcome.status == "sent"
    assert outcome.error_code is None


@pytest.mark.parametrize(
    "event_type", ["VOICE_COMPLETED", "MEDIA_DELIVERED", "TEXT_ALL", "text_delivered", ""]
)
def test_aws_event_types_that_are_not_sms_receipts_map_to_nothing(event_type):
    assert aws_receipt_outcome(event_type) == NOT_A_RECEIPT


@pytest.mark.parametrize(("message_status", "status"), TWILIO_ROWS)
def test_twilio_status_maps_to_our_status(message_status, status):
    assert twilio_receipt_outcome(message_status, None) == ReceiptOutcome(status, None)


def test_every_twilio_message_status_has_a_row():
    assert set(TWILIO_STATUS_OUTCOMES) == {row[0] for row in TWILIO_ROWS}


@pytest.mark.parametrize(
    ("code", "dnd"),
    [(30003, "temporary"), (30004, "permanent"), (30005, "temporary"), (30006, "temporary"), (30008, None)],
)
def test_twilio_error_code_is_taken_as_given_on_undelivered(code, dnd):
    outcome = twilio_receipt_outcome("undelivered", code)

    assert outcome == ReceiptOutcome("undelivered", code)
    assert dnd_for_error(outcome.error_code) == dnd


@pytest.mark.parametrize("message_status", ["failed", "canceled"])
def test_twilio_error_code_is_kept_on_failed(message_status):
    assert twilio_receipt_outcome(message_status, 30007) == ReceiptOutcome("failed", 30007)


@pytest.mark.parametrize("message_status", ["sent", "delivered", "read", "queued"])
def test_a_success_never_carries_an_error_code(message_status):
    assert twilio_receipt_outcome(message_status, 30004).error_code is None


def test_unknown_twilio_status_is_not_a_receipt():
    assert twilio_receipt_outcome("exploded", 30003) == NOT_A_RECEIPT


@given(status=st.sampled_from([None, "sent", "delivered", "undelivered", "failed"]), code=st.integers())
def test_error_code_only_on_messages_that_did_not_arrive(status, code):
    kept = error_code_for(status, code)

    assert kept == (code if status in {"undelivered", "failed"} else None)


@given(message_status=st.text(), code=st.none() | st.integers(min_value=0, max_value=99999))
def test_twilio_mapping_is_total(message_status, code):
    outcome = twilio_receipt_outcome(message_status, code)

    assert outcome.status in {None, "sent", "delivered", "undelivered", "failed"}
    if outcome.status in {None, "sent", "delivered"}:
        assert outcome.error_code is None


def test_mapping_module_stays_pure():
    tree = ast.parse(Path(receipt_mapping.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}

    # Only the models' types: the receipt statuses moved from models.events to models.vocabulary.
    assert imported <= {"typing", "smsgate.models.events", "smsgate.models.vocabulary"}


# --- the documentation agrees with the code ----------------------------------------------


def _table_rows(section_title: str) -> list[list[str]]:
    text = DOC.read_text()
    section = text.split(f"## {section_title}", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not set(line) <= {"|", "-", " "}:
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]  # without the header


def _code(cell: str) -> int | None:
    return int(cell) if re.fullmatch(r"\d+", cell) else None


def test_doc_aws_table_matches_the_code():
    rows = _table_rows("AWS End User Messaging SMS")
    documented = {row[0]: (row[1], _code(row[2]), None if row[3] == "none" else row[3]) for row in rows}

    assert documented == {event_type: (status, code, dnd) for event_type, status, code, dnd in AWS_ROWS}


def test_doc_twilio_table_matches_the_code():
    rows = _table_rows("Twilio")
    documented = {row[0]: (None if row[1] == "not a receipt" else row[1]) for row in rows}

    assert documented == TWILIO_STATUS_OUTCOMES


def test_doc_dnd_table_matches_dnd_for_error():
    rows = _table_rows("Error codes and the DND they imply")
    for row in rows:
        code = _code(row[0])
        if code is not None:
            assert dnd_for_error(code) == (None if row[2] == "none" else row[2]), row


README = DOC.parents[1] / "README.md"


def test_readme_receipts_table_matches_the_code():
    text = README.read_text()
    section = text.split("## Delivery receipts", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|") and not set(line) <= {"|", "-", " "}
    ][1:]
    assert {int(row[0]) for row in rows} >= {30003, 30004, 30005, 30006, 30008, 21610}
    for code, _meaning, aws, _twilio, status, dnd in rows:
        assert dnd_for_error(int(code)) == (None if dnd == "none" else dnd), code
        for event_type in re.findall(r"`(TEXT_[A-Z_]+)`", aws):
            assert aws_receipt_outcome(event_type).error_code == int(code), event_type
        assert status in {"undelivered", "failed"}


def test_21610_unsubscribed_recipient_is_a_permanent_dnd():
    assert receipt_mapping.UNSUBSCRIBED_RECIPIENT == 21610
    assert dnd_for_error(receipt_mapping.UNSUBSCRIBED_RECIPIENT) == "permanent"
    assert twilio_receipt_outcome("failed", 21610) == ReceiptOutcome("failed", 21610)
    assert twilio_receipt_outcome("undelivered", 21610) == ReceiptOutcome("undelivered", 21610)
