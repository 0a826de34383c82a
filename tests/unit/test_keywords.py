"""Inbound keywords (docs/policy.md#opt-out-keywords)."""

import pytest

from smsgate.policy import classify_reply

OPT_OUT = [
    "STOP",
    "STOPALL",
    "STOP ALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
    "OPT OUT",
    "OPT-OUT",
    "REMOVE",
    "ARRET",
    "TD",
]


def variants(word: str) -> list[str]:
    return [
        word,
        word.lower(),
        word.title(),
        f"  {word}  ",
        f"{word}!",
        f"{word}.",
        f" {word.lower()}!! ",
        f"{word}?",
        f"\t{word}\n",
    ]


@pytest.mark.parametrize("word", OPT_OUT)
def test_opt_out_keywords_in_every_variant(word: str) -> None:
    for text in variants(word):
        assert classify_reply(text) == "opt_out", text


@pytest.mark.parametrize("word", ["START", "YES", "UNSTOP"])
def test_opt_in_keywords(word: str) -> None:
    for text in variants(word):
        assert classify_reply(text) == "opt_in", text


@pytest.mark.parametrize("word", ["HELP", "INFO"])
def test_help_keywords(word: str) -> None:
    for text in variants(word):
        assert classify_reply(text) == "help", text


def test_french_accent_and_inner_spacing() -> None:
    assert classify_reply("Arrêt") == "opt_out"
    assert classify_reply("stop   all") == "opt_out"
    assert classify_reply("sToP") == "opt_out"


@pytest.mark.parametrize(
    "text",
    [
        "Stop by tomorrow?",
        "yes please book me",
        "stopped",
        "help me with my booking",
        "",
        "   ",
        "🙂",
        "STOP STOP",
    ],
)
def test_other_messages_are_conversation(text: str) -> None:
    assert classify_reply(text) is None
