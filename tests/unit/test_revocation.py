"""Free-text revocation of consent, the FCC's "any reasonable means"
(docs/inbound.md#free-text-revocation-the-fccs-any-reasonable-means-decision)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.models.vocabulary import RevocationMode
from smsgate.policy import classify_reply
from smsgate.policy.keywords import OPT_OUT_KEYWORDS
from smsgate.policy.revocation import DEFAULT_REVOCATION_MODE, asks_to_stop, read_reply

ASKS_TO_STOP = [
    # the examples
    "please stop texting me",
    "Please stop texting me!",
    "unsubscribe me",
    "Remove me from your list",
    "don't text me anymore",
    "Don’t text me anymore.",
    # a strong keyword with courtesy around it, or as a sentence of its own
    "STOP!!! thanks",
    "stop please",
    "Hi, please stop",
    "STOP STOP STOP",
    "stop it",
    "ARRÊT svp",
    "I never signed up for this. STOP",
    "Stop, wrong person",
    "Stop. Not interested.",
    # phrases about the messages themselves
    "stop sending me these texts",
    "Stop contacting me",
    "quit texting me",
    "Can you stop texting me",
    "No, stop messaging me",
    "stop the spam",
    "do not contact me again",
    "take me off this list",
    "take me off your mailing list",
    "Please remove my number",
    "I want to unsubscribe",
    "how do I unsubscribe?",
    "opt me out",
    "I would like to opt-out",
    "no more texts please",
    "I want to stop receiving these messages",
    "leave me alone",
]

CONVERSATION = [
    # negated or reported
    "Don't stop texting me!",
    "why did you stop texting me?",
    "I don't want to unsubscribe",
    "Never stop!",
    # everyday meanings of opt-out words
    "cancel my appointment",
    "Please cancel it",
    "stop by the store at 5",
    "When does the sale end?",
    "see you at the end of the day",
    "I can't stop laughing",
    "I quit smoking thanks to you",
    "Remove the cheese from my order",
    "Is the stop on Main street?",
    "stopwatch",
    # neither
    "can you get me a quote",
    "Yes I will be there",
    "don't text me before 9am",
    "What time do you close?",
    "",
    "   ",
]


@pytest.mark.parametrize("body", ASKS_TO_STOP)
def test_a_reply_that_clearly_asks_to_stop_is_a_revocation(body: str) -> None:
    assert asks_to_stop(body)


@pytest.mark.parametrize("body", CONVERSATION)
def test_a_reply_that_does_not_ask_to_stop_is_conversation(body: str) -> None:
    assert not asks_to_stop(body)


@pytest.mark.parametrize(
    "keyword", ["stop", "stop all", "stopall", "unsubscribe", "opt out", "optout", "revoke"]
)
def test_every_strong_keyword_alone_is_also_a_revocation(keyword: str) -> None:
    assert keyword in OPT_OUT_KEYWORDS
    assert asks_to_stop(keyword.upper())
    assert asks_to_stop(f"please {keyword}!")


@pytest.mark.parametrize("body", ASKS_TO_STOP)
def test_none_of_them_is_an_exact_keyword(body: str) -> None:
    # A location in `keywords` mode treats every one of these as conversation.
    assert classify_reply(body) is None


@given(st.text(max_size=200))
def test_any_text_is_read_without_error(body: str) -> None:
    assert asks_to_stop(body) in (True, False)


@pytest.mark.parametrize(
    ("body", "mode", "reading"),
    [
        ("STOP", "keywords", ("opt_out", "stop")),
        ("Stop all!", "reasonable_means", ("opt_out", "stop all")),
        ("ARRÊT", "keywords", ("opt_out", "arret")),
        (" yes. ", "keywords", ("opt_in", "yes")),
        ("Info", "reasonable_means", ("help", "info")),
        ("please stop texting me", "reasonable_means", ("opt_out", None)),
        ("please stop texting me", "keywords", (None, None)),
        ("see you at 5", "reasonable_means", (None, None)),
    ],
)
def test_read_reply_takes_exact_keywords_in_every_mode_and_free_text_in_reasonable_means(
    body: str, mode: RevocationMode, reading: tuple[str | None, str | None]
) -> None:
    assert tuple(read_reply(body, mode)) == reading


def test_reasonable_means_is_the_default_mode() -> None:
    assert DEFAULT_REVOCATION_MODE == "reasonable_means"
    assert read_reply("unsubscribe me").kind == "opt_out"
