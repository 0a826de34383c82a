"""Opt-outs the carrier manages itself: Twilio's `OptOutType`, AWS's managed keywords and the
deployment's `CARRIER_CONFIRMS_OPT_OUTS` (docs/carriers.md#opt-outs-the-carrier-manages)."""

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smsgate.dal import consent, contacts
from smsgate.models.location_requests import ConsentRequest
from smsgate.policy.replies import reply_text
from smsgate.services import consent as consent_service
from smsgate.settings import get_settings
from tests.integration import stored
from tests.integration.conftest import CONTACT, LOCATION, LOCATION_NAME, Invoke
from tests.integration.test_inbound_keyword import audit_count, queued_replies, reply

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "inbound_keyword"
SAMPLE_CONTACT = "+12025550143"


@pytest.fixture
def inbound(handler: Callable[[str], Invoke]) -> Invoke:
    return handler("inbound_keyword")


@pytest.fixture
def carrier_confirms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    def set_to(value: bool) -> None:
        monkeypatch.setenv("CARRIER_CONFIRMS_OPT_OUTS", "true" if value else "false")
        get_settings.cache_clear()

    yield set_to
    get_settings.cache_clear()


def twilio_reply(body: str, opt_out_type: str | None, at: datetime) -> dict[str, Any]:
    from tests.integration.test_inbound_keyword import inbound_message

    message = inbound_message("twilio", body, at=at)
    if opt_out_type is not None:
        message["params"]["OptOutType"] = opt_out_type
    return message


def send_through(inbound: Invoke, message: dict[str, Any]) -> None:
    from tests.integration.test_inbound_keyword import batch, notification

    assert inbound(batch(notification(message))) == {"batchItemFailures": []}


@pytest.mark.parametrize("confirms", [True, False])
def test_a_twilio_opt_out_type_is_the_opt_out_whatever_the_keyword(
    inbound: Any, stack: Any, location: Any, carrier_confirms: Any, confirms: bool
) -> None:
    location()
    carrier_confirms(confirms)
    consent_service.record_consent(
        LOCATION, CONTACT, ConsentRequest(source="web form"), "api", datetime.now(UTC)
    )

    send_through(inbound, twilio_reply("Parar", "STOP", datetime.now(UTC)))

    contact = contacts.get_contact(LOCATION, CONTACT)
    assert (contact.consent.state, contact.consent.source, contact.dnd.state) == (
        "opted_out",
        "carrier_keyword",
        "permanent",
    )
    assert [(entry.action, entry.actor) for entry in consent.ledger(LOCATION, CONTACT)] == [
        ("opt_in", "api"),
        ("opt_out", "twilio"),
    ]
    assert audit_count(stack, "opt_outs") == 1
    # Twilio already answered the contact: a second answer only when it does not confirm.
    expected = [] if confirms else [reply_text("opt_out", LOCATION_NAME)]
    assert [record.body for record in queued_replies(stack)] == expected


@pytest.mark.parametrize(("opt_out_type", "kind"), [("START", "opt_in"), ("HELP", "help")])
def test_twilio_start_and_help_get_one_answer(
    inbound: Any, stack: Any, location: Any, carrier_confirms: Any, opt_out_type: str, kind: str
) -> None:
    location()
    carrier_confirms(True)
    send_through(inbound, twilio_reply("STOP", "STOP", datetime(2024, 6, 1, 12, tzinfo=UTC)))

    send_through(
        inbound, twilio_reply("whatever they typed", opt_out_type, datetime(2024, 6, 1, 13, tzinfo=UTC))
    )

    contact = contacts.get_contact(LOCATION, CONTACT)
    assert contact.dnd.state == ("none" if kind == "opt_in" else "permanent")
    assert queued_replies(stack) == []  # Twilio answered both


def test_a_twilio_keyword_without_opt_out_type_is_read_by_us(
    inbound: Any, stack: Any, location: Any, carrier_confirms: Any
) -> None:
    """Twilio forwards what its opt-out management did not act on: our own reading and answer."""
    location()
    carrier_confirms(True)

    reply(inbound, "twilio", "STOP", at=datetime.now(UTC))

    assert [entry.actor for entry in consent.ledger(LOCATION, CONTACT)] == ["contact"]
    assert [record.body for record in queued_replies(stack)] == [reply_text("opt_out", LOCATION_NAME)]


@pytest.mark.parametrize(
    ("body", "actor", "answers"),
    [
        # AWS manages the number: it acted on a message beginning with one of its keywords.
        ("Stop sending these", "aws", 0),
        ("STOP", "aws", 0),
        ("OPT-OUT", "aws", 0),
    ],
)
def test_an_aws_managed_number_opts_the_contact_out_as_aws(
    inbound: Any, stack: Any, location: Any, carrier_confirms: Any, body: str, actor: str, answers: int
) -> None:
    location()
    carrier_confirms(True)

    reply(inbound, "aws", body, at=datetime.now(UTC))

    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "permanent"
    assert [entry.actor for entry in consent.ledger(LOCATION, CONTACT)] == [actor]
    assert len(queued_replies(stack)) == answers


def test_an_aws_self_managed_number_leaves_the_keyword_and_the_answer_to_us(
    inbound: Any, stack: Any, location: Any, carrier_confirms: Any
) -> None:
    location()
    carrier_confirms(False)

    reply(inbound, "aws", "STOP", at=datetime.now(UTC))

    assert [entry.actor for entry in consent.ledger(LOCATION, CONTACT)] == ["contact"]
    assert [record.body for record in queued_replies(stack)] == [reply_text("opt_out", LOCATION_NAME)]


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("twilio_opt_out_type_custom_keyword.json", "opt_out"),
        ("twilio_opt_out_type_start.json", "opt_in"),
        ("twilio_opt_out_type_help.json", "help"),
    ],
)
def test_the_opt_out_type_sample_events_are_applied(
    inbound: Any, stack: Any, location: Any, carrier_confirms: Any, sample: str, kind: str
) -> None:
    location()
    carrier_confirms(True)

    assert inbound(json.loads((SAMPLES / sample).read_text())) == {"batchItemFailures": []}

    ledger = consent.ledger(LOCATION, SAMPLE_CONTACT)
    assert [(entry.action, entry.actor) for entry in ledger] == ([] if kind == "help" else [(kind, "twilio")])
    assert queued_replies(stack) == []


# --- short codes (docs/inbound.md#short-codes) ----------------------------------------------------


@pytest.mark.parametrize("fmt", ["twilio", "aws"])
def test_a_stop_to_a_short_code_is_applied(inbound: Any, stack: Any, location: Any, fmt: str) -> None:
    location()
    short_code = "55123"

    reply(inbound, fmt, "STOP", number=short_code, at=datetime.now(UTC))

    assert stored.number_dnd(short_code, CONTACT).state == "permanent"


@pytest.mark.parametrize("fmt", ["twilio", "aws"])
def test_a_message_from_a_short_code_is_kept_as_conversation_and_answered_by_nothing(
    inbound: Any, stack: Any, location: Any, fmt: str
) -> None:
    location()
    carrier_notice = "28444"

    reply(inbound, fmt, "STOP", contact=carrier_notice, at=datetime.now(UTC))

    contact = contacts.get_contact(LOCATION, carrier_notice)
    assert (contact.dnd.state, contact.last_inbound_at is not None) == ("none", True)
    assert queued_replies(stack) == []
