"""Quality and cost of the content policy (docs/content-policy.md) on the labelled set.

    python -m bench.content_quality

Precision on ordinary messages is the share of them that pass; recall per category and per
evasion trick is the share of labelled cases that get the expected code and category.
"""

import json
import time
import unicodedata
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

from smsgate.policy.content import CATEGORIES, OPT_OUT_PHRASING, check_content

EVAL_SET = Path(__file__).resolve().parent.parent / "tests" / "unit" / "content_eval" / "messages.jsonl"
TIMING_ROUNDS = 20


def load_messages(path: Path = EVAL_SET) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def evaluate(path: Path = EVAL_SET) -> dict[str, Any]:
    messages = load_messages(path)
    ordinary = passed = 0
    expected_by_category: dict[str, int] = defaultdict(int)
    caught_by_category: dict[str, int] = defaultdict(int)
    flagged_by_category: dict[str, int] = defaultdict(int)
    correct_flags_by_category: dict[str, int] = defaultdict(int)
    expected_by_trick: dict[str, int] = defaultdict(int)
    caught_by_trick: dict[str, int] = defaultdict(int)
    failures: list[dict[str, Any]] = []
    for message in messages:
        verdict = check_content(message["text"])
        expected = message["expected"]
        got = None if verdict is None else {"code": verdict.code, "category": verdict.category}
        if verdict is not None:
            flagged_by_category[verdict.category] += 1
            if expected is not None and expected["category"] == verdict.category:
                correct_flags_by_category[verdict.category] += 1
        if expected is None:
            ordinary += 1
            passed += verdict is None
        else:
            expected_by_category[expected["category"]] += 1
            caught_by_category[expected["category"]] += got == expected
            trick = message.get("trick", "plain")
            expected_by_trick[trick] += 1
            caught_by_trick[trick] += got == expected
        if got != expected:
            failures.append(
                {"text": message["text"], "expected": expected, "got": got, "note": message["note"]}
            )
    categories = {
        category: {
            "count": expected_by_category[category],
            "caught": caught_by_category[category],
            "recall": _ratio(caught_by_category[category], expected_by_category[category]),
            "precision": _ratio(correct_flags_by_category[category], flagged_by_category[category]),
        }
        for category in (*CATEGORIES, OPT_OUT_PHRASING)
    }
    tricks = {
        trick: {
            "count": count,
            "caught": caught_by_trick[trick],
            "recall": _ratio(caught_by_trick[trick], count),
        }
        for trick, count in sorted(expected_by_trick.items())
    }
    return {
        "messages": len(messages),
        "ordinary": {"count": ordinary, "passed": passed, "precision": _ratio(passed, ordinary)},
        "categories": categories,
        "tricks": tricks,
        "mean_check_us": _mean_check_us([message["text"] for message in messages]),
        "failures": failures,
    }


def _mean_check_us(bodies: list[str]) -> float:
    started = time.perf_counter_ns()
    for _ in range(TIMING_ROUNDS):
        for body in bodies:
            check_content(body)
    return (time.perf_counter_ns() - started) / (TIMING_ROUNDS * len(bodies)) / 1000


def homoglyph_table_from_package() -> dict[str, str]:
    """The lookalike table `smsgate.policy.content.HOMOGLYPHS` embeds, rebuilt from the Unicode
    confusables data of `confusable_homoglyphs`: letters of other scripts, stable under NFKC,
    that look like one Latin letter."""
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    targets: dict[str, set[str]] = defaultdict(set)
    for character, homoglyphs in data.items():
        source = character.casefold()
        if len(character) != 1 or character.isascii() or len(source) != 1 or source.isascii():
            continue
        if unicodedata.normalize("NFKC", character) != character or not unicodedata.category(
            character
        ).startswith("L"):
            continue
        for homoglyph in homoglyphs:
            latin = homoglyph["c"].casefold()
            if len(latin) == 1 and latin.isascii() and latin.isalpha():
                targets[source].add(latin)
    targets["\u03bd"] = {"v"}  # Greek nu reads as "v", not the "n" the data also lists
    table: dict[str, list[str]] = defaultdict(list)
    for source, latin in sorted(targets.items()):
        table[min(latin)].append(source)
    return {latin: "".join(sorted(sources)) for latin, sources in sorted(table.items())}


def main() -> None:
    report = evaluate()
    ordinary = report["ordinary"]
    print(f"messages: {report['messages']}    mean check_content: {report['mean_check_us']:.1f} µs")
    print(
        f"ordinary passed (precision): {ordinary['passed']}/{ordinary['count']} = {ordinary['precision']:.3f}"
    )
    print(f"{'category':<18}{'count':>7}{'caught':>8}{'recall':>8}{'precision':>11}")
    for category, row in report["categories"].items():
        print(
            f"{category:<18}{row['count']:>7}{row['caught']:>8}{row['recall']:>8.3f}{row['precision']:>11.3f}"
        )
    print(f"{'trick':<18}{'count':>7}{'caught':>8}{'recall':>8}")
    for trick, row in report["tricks"].items():
        print(f"{trick:<18}{row['count']:>7}{row['caught']:>8}{row['recall']:>8.3f}")
    for failure in report["failures"]:
        print(
            f"MISS {failure['note']}: {failure['text']!r} expected {failure['expected']} got {failure['got']}"
        )


if __name__ == "__main__":
    main()
