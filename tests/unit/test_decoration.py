"""Decoration keys on opt-out *language* and on the location's name as words
(docs/inbound.md#decoration-opt-out-language-not-the-word)."""

from datetime import UTC, datetime

import pytest

from smsgate.models.entities import Location
from smsgate.policy.decoration import decorate, mentions_opt_out, names_location

LOCATION = Location(location_id="loc", name="Bob's Pizza", created_at=datetime(2024, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    "body",
    [
        "Reply STOP to unsubscribe",
        "Text END to opt out",
        "txt stop to quit",
        "Reply YES to confirm, STOP to cancel.",
        "Respond with STOP to be removed",
        "Unsubscribe at example.com/u",
        "To unsubscribe, visit example.com",
        "Opt out here: example.com/o",
        "To opt out, reply “STOP”.",
        "Msg&data rates may apply. STOP to end.",
        "Reply ＳＴＯＰ to unsubscribe",
    ],
)
def test_an_instruction_to_opt_out_is_opt_out_language(body: str) -> None:
    assert mentions_opt_out(body)
    assert decorate(body, LOCATION) == f"{body}\nThanks, Bob's Pizza"


@pytest.mark.parametrize(
    "body",
    [
        "We'll stop by at 3pm",
        "The sale ends Sunday!",
        "Don't stop believing: 20% off today",
        "Stopover in Denver; weekend deals",
        "Call us to cancel your appointment",
        "Quit waiting, book now",
        "We can remove the old carpet too",
    ],
)
def test_a_keyword_word_alone_is_not_opt_out_language(body: str) -> None:
    assert not mentions_opt_out(body)
    assert decorate(body, LOCATION).endswith("Reply STOP to unsubscribe")


@pytest.mark.parametrize(
    "body",
    ["Bob’s Pizza: fresh dough today", "BOBS PIZZA - fresh dough", "from bob's   pizza!", "«Bob's Pizza»"],
)
def test_the_name_is_found_whatever_the_case_spaces_quotes_and_punctuation(body: str) -> None:
    assert names_location(body, LOCATION.name)
    assert "Thanks, Bob's Pizza" not in decorate(body, LOCATION)


def test_a_name_inside_another_word_does_not_count() -> None:
    assert not names_location("Our place is open", "Ace")
    assert not names_location("Bob's Pizzas are back", "Bob's Pizza")
