"""The reply reader: one normaliser and one matcher for opt-out, opt-in and HELP
(docs/inbound.md#how-a-reply-is-read)."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.models.vocabulary import ReplyKind
from smsgate.policy import classify_reply
from smsgate.policy.keywords import HELP_KEYWORDS, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS
from smsgate.policy.normalise import normalise_reply
from smsgate.policy.revocation import read_reply

KEYWORDS: list[tuple[str, ReplyKind]] = [
    *((word, "opt_out") for word in sorted(OPT_OUT_KEYWORDS)),
    *((word, "opt_in") for word in sorted(OPT_IN_KEYWORDS)),
    *((word, "help") for word in sorted(HELP_KEYWORDS)),
]


def _is_decoration(char: str) -> bool:
    # A symbol that is a letter in a frame (Ⓢ) or NFKC-folds to letters or digits (™ → TM) is
    # writing, not decoration; everything else of the classes below is.
    folded = unicodedata.normalize("NFKC", char)
    return not any(each.isalnum() for each in folded)


# Every class a decoration comes from: each Unicode punctuation class, each symbol class (emoji
# are So and Sk), spaces, controls such as tab and line feed.
PUNCTUATION_AND_SYMBOLS = st.characters(
    categories=["Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs"]
).filter(_is_decoration)
EMOJI = st.sampled_from(
    ["🛑", "😡", "👍🏽", "🙏", "❤️", "✋🏻", "🚫", "‼️", "👨‍👩‍👧", "🇺🇸", "⃣", "☺", "💯", ":)", ":-("]
)
# An ASCII smiley that ends in a letter or digit stands apart from the word (":Dstop" is no
# keyword), but may follow it directly ("STOP:D").
EMOTICONS = st.sampled_from([" :D ", " ;P ", " <3 ", " xD ", " :3 ", " XD ", " o_O "])
INVISIBLE = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\ufe0f"])
WHITE = st.sampled_from([" ", "\t", "\n", "\u00a0", "\u3000", "  "])
DECORATION = st.lists(st.one_of(PUNCTUATION_AND_SYMBOLS, EMOJI, EMOTICONS, WHITE), max_size=4).map("".join)


def _written(word: str, cases: list[bool], wide: list[bool]) -> str:
    """The keyword with each letter's case and width as a phone might give it."""
    letters = []
    for index, plain in enumerate(word):
        char = plain.upper() if cases[index % len(cases)] else plain.lower()
        if wide[index % len(wide)] and "!" <= char <= "~":
            char = chr(ord(char) + 0xFEE0)
        letters.append(char)
    return "".join(letters)


@given(
    keyword=st.sampled_from(KEYWORDS),
    before=DECORATION,
    after=DECORATION,
    invisible=st.lists(INVISIBLE, max_size=2),
    cases=st.lists(st.booleans(), min_size=1, max_size=4),
    wide=st.lists(st.booleans(), min_size=1, max_size=3),
)
def test_a_keyword_reads_the_same_whatever_surrounds_it(
    keyword: tuple[str, ReplyKind],
    before: str,
    after: str,
    invisible: list[str],
    cases: list[bool],
    wide: list[bool],
) -> None:
    word, kind = keyword
    written = _written(word, cases, wide)
    # Invisible characters may sit anywhere, inside the word too.
    for position, char in enumerate(invisible):
        cut = (position * 2 + 1) % (len(written) + 1)
        written = written[:cut] + char + written[cut:]
    reply = f"{before}{written}{after}"

    assert classify_reply(reply) == kind, ascii(reply)
    for mode in ("keywords", "reasonable_means"):
        assert read_reply(reply, mode).kind == kind, ascii(reply)


@given(separator=st.one_of(PUNCTUATION_AND_SYMBOLS, WHITE, st.sampled_from(["_", "-", "‐", "—", "/", "·"])))
def test_words_of_a_two_word_keyword_may_be_split_by_any_separator(separator: str) -> None:
    assert classify_reply(f"STOP{separator}ALL") == "opt_out", ascii(separator)
    assert classify_reply(f"opt{separator}out") == "opt_out", ascii(separator)


@pytest.mark.parametrize(
    "reply",
    [
        "\u0405\u0422\u041e\u0420",  # Cyrillic ЅТОР
        "ѕtop",  # one Cyrillic letter
        "\u03a4D",  # Greek Tau + D
        "ＳＴＯＰ",  # full width
        "𝐒𝐓𝐎𝐏",  # mathematical bold
        "ⓈⓉⓄⓅ",  # circled letters
        "S\u200bT\u200bO\u200bP",  # zero-width spaces inside
        "Unsubscr\u0456be",  # Ukrainian i
    ],
)
def test_look_alike_and_compatibility_letters_read_as_the_opt_out_they_show(reply: str) -> None:
    assert classify_reply(reply) == "opt_out"


def test_full_width_opt_in_and_help_count_but_look_alike_letters_do_not() -> None:
    # Full width is the same letter in another form; Cyrillic look-alikes never lift a DND
    # (docs/inbound.md#look-alike-letters).
    assert classify_reply("ＳＴＡＲＴ") == "opt_in"
    assert classify_reply("ｈｅｌｐ") == "help"
    assert classify_reply("\u0423\u0415\u0405") is None  # Cyrillic УЕЅ
    assert classify_reply("\u0405\u0422\u0410\u0420\u0422") is None  # Cyrillic ЅТАРТ
    assert classify_reply("НЕLР") is None  # Cyrillic Н, Е


@pytest.mark.parametrize(
    "reply",
    [
        "bus stop",
        "Is the bus stop on Main?",
        "I can't stop laughing 😂",
        "don't stop the reminders",
        "Please don't stop the reminders, they help",
        "cancel my appointment",
        "Can I cancel my appointment for Tuesday?",
        "when does it end?",
        "When does the sale end",
        "I quit my job so I need a new plan",
        "remove the onions please",
        "yes please book me for 3",
        "help me find the address",
        "I need info on pricing",
        "start time is 9?",
        "Stop by whenever",
        "stopped by earlier but you were closed",
        "I'll stop at the pharmacy first",
        "the end of the month works",
        "Did you cancel the order?",
        "Why did you stop texting me?",
        "I don't want to unsubscribe",
        "Never stop!",
        "stop sign on the corner is broken",
        "can you remove the late fee",
        "I don't want to miss the reminders",
        "We don't want them to cancel",
        "I have the wrong number for your office, what is it?",
    ],
)
def test_ordinary_sentences_with_a_keyword_word_stay_conversation(reply: str) -> None:
    assert read_reply(reply).kind is None
    assert read_reply(reply, "keywords").kind is None


@pytest.mark.parametrize(
    "reply",
    [
        "I don't want these texts",
        "I don't want any more messages",
        "I no longer want to receive messages from you",
        "I do not wish to receive further communications",
        "I don’t want to receive these texts anymore",
        "I do not want to be contacted",
        "I'd rather not get these messages",
        "Don't send me any more texts",
        "Do not text this number",
        "Not interested, thanks",
        "Sorry, wrong number",
        "Please discontinue these messages",
        "enough with the texts",
        "Lose my number",
        "«Stop» 😡",
        "STOP — wrong person",
    ],
)
def test_revocation_sentences_in_the_negative_form_are_opt_outs(reply: str) -> None:
    assert read_reply(reply).kind == "opt_out"
    assert read_reply(reply, "keywords").kind in (None, "opt_out")


def test_the_normaliser_joins_apostrophes_and_separates_the_rest() -> None:
    assert normalise_reply("Don’t  STOP—ALL!!") == "dont stop all"
    assert normalise_reply("Arrêt.") == "arret"
    assert normalise_reply("🙂") == ""
    assert normalise_reply("STOP:D") == "stop"
    assert normalise_reply("yes <3") == "yes"


def test_the_labelled_set_is_large_enough_and_the_reader_meets_its_goals() -> None:
    # The figures are bench/replies.py's to print; this keeps a regression from reaching main.
    from bench.replies import evaluate, load_replies

    replies = load_replies()
    groups = {
        group: sum(reply["group"] == group for reply in replies) for group in ("revocation", "keyword_word")
    }
    assert len(replies) >= 400
    assert min(groups.values()) >= 100
    report = evaluate()
    assert {name for name, goal in report["goals"].items() if not goal["met"]} == set()
