"""The mandatory replies to STOP, START and HELP (docs/policy.md#replies)."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.models.entities import Location
from smsgate.models.vocabulary import ReplyKind
from smsgate.policy import classify_reply, count_segments
from smsgate.policy.decoration import decorate, mentions_opt_out, names_location
from smsgate.policy.replies import reply_text

KINDS: list[ReplyKind] = ["opt_out", "opt_in", "help"]
NAME = "Main Street Dental"


@pytest.mark.parametrize("kind", KINDS)
def test_every_reply_names_the_location(kind: ReplyKind) -> None:
    assert reply_text(kind, NAME).startswith(f"{NAME}: ")


def test_the_opt_out_confirmation_confirms_and_says_nothing_else() -> None:
    text = reply_text("opt_out", NAME)

    assert "unsubscribed" in text
    assert "no more messages" in text
    assert (
        text == f"{NAME}: You are unsubscribed and will receive no more messages. Reply START to resubscribe."
    )


def test_the_help_reply_says_how_to_opt_out() -> None:
    assert "Reply STOP to unsubscribe" in reply_text("help", NAME)


def test_the_opt_in_confirmation_says_how_to_opt_out_and_get_help() -> None:
    text = reply_text("opt_in", NAME)

    assert "STOP to unsubscribe" in text
    assert "HELP" in text


@pytest.mark.parametrize("kind", KINDS)
def test_no_reply_reads_as_a_keyword_or_a_revocation_itself(kind: ReplyKind) -> None:
    # Our own replies must never be taken for a contact's keyword if echoed back.
    text = reply_text(kind, NAME)

    assert classify_reply(text) is None


@pytest.mark.parametrize("kind", ["opt_in", "help"])
def test_decorating_a_reply_would_change_nothing(kind: ReplyKind) -> None:
    # The replies bypass decoration (docs/policy.md#sender-id); they already carry what it would add.
    text = reply_text(kind, NAME)
    location = Location(location_id="loc", name=NAME, created_at=datetime(2024, 1, 1, tzinfo=UTC))

    assert names_location(text, NAME)
    assert mentions_opt_out(text)
    assert decorate(text, location) == text


def test_white_space_in_the_name_is_collapsed() -> None:
    assert reply_text("help", "  Main   Street\nDental ").startswith("Main Street Dental: ")


GSM_NAME = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 &'-.", min_size=1, max_size=60
)


@given(GSM_NAME, st.sampled_from(KINDS))
def test_every_reply_fits_one_segment_for_a_name_of_up_to_60_characters(name: str, kind: ReplyKind) -> None:
    encoding, segments = count_segments(reply_text(kind, name))

    assert (encoding, segments) == ("GSM-7", 1)
