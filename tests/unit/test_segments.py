"""Segments and encoding (docs/policy.md#segments)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.policy import count_segments
from smsgate.policy.segments import GSM7_BASIC, GSM7_EXTENSION


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("€" * 80, ("GSM-7", 1)),  # two septets each: 160
        ("€" * 81, ("GSM-7", 2)),
        ("^" * 80, ("GSM-7", 1)),
        ("a" * 159 + "^", ("GSM-7", 2)),  # 161 septets
        ("ж" * 70, ("UCS-2", 1)),
        ("ж" * 71, ("UCS-2", 2)),
        ("ж" * 134, ("UCS-2", 2)),
        ("ж" * 135, ("UCS-2", 3)),
        ("😀" * 35, ("UCS-2", 1)),  # a surrogate pair each: 70 code units
        ("😀" * 36, ("UCS-2", 2)),
        ("Hello 😀", ("UCS-2", 1)),
        ("", ("GSM-7", 0)),
    ],
)
def test_known_cases(body: str, expected: tuple[str, int]) -> None:
    assert count_segments(body) == expected


def test_an_extension_character_is_not_split_across_segments() -> None:
    # 152 septets then '€' (2): the second concatenated segment must start with the escape.
    body = "a" * 152 + "€" + "a" * 10
    assert count_segments(body) == ("GSM-7", 2)
    assert count_segments("a" * 152 + "€" * 77) == ("GSM-7", 3)  # 152+154 septets, no split


def test_a_surrogate_pair_is_not_split_across_segments() -> None:
    assert count_segments("ж" * 66 + "😀" + "ж" * 10) == ("UCS-2", 2)
    assert count_segments("ж" * 66 + "😀" * 34) == ("UCS-2", 3)  # 66 + 68 units, the pair moves


gsm_text = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), min_size=1, max_size=700)


@given(gsm_text, gsm_text)
def test_segments_of_a_concatenation_add_up_within_one(first: str, second: str) -> None:
    _, a = count_segments(first)
    _, b = count_segments(second)
    _, joined = count_segments(first + second)
    assert max(a, b) <= joined <= a + b + 1


@given(st.text(min_size=1, max_size=500))
def test_more_text_never_needs_fewer_segments(body: str) -> None:
    assert count_segments(body)[1] <= count_segments(body + body[-1])[1]
