"""Precision and recall of the reply reader on the labelled replies (docs/inbound.md#measured).

    python -m bench.replies

The set (tests/data/replies.jsonl) holds keyword replies as phones and people decorate them,
free-text revocations, ordinary sentences that contain a keyword's word, and other
conversation, each labelled with what the contact asks. Every reply is read in both revocation
modes: `reasonable_means` (the default) for every goal, `keywords` for the keyword replies.
"""

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any, Final

from smsgate.models.vocabulary import RevocationMode
from smsgate.policy.revocation import read_reply

LABELLED_SET: Final = Path(__file__).resolve().parent.parent / "tests" / "data" / "replies.jsonl"
CLASSES: Final = ("opt_out", "opt_in", "help", "conversation")
GOALS: Final = {
    "keyword_recall": 1.0,
    "keyword_recall_keywords_mode": 1.0,
    "revocation_recall": 0.95,
    "conversation_precision": 0.99,
    "conversation_kept": 0.99,
}
TIMING_ROUNDS: Final = 20


def load_replies(path: Path = LABELLED_SET) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def _read(text: str, mode: RevocationMode) -> str:
    return read_reply(text, mode).kind or "conversation"


def evaluate(path: Path = LABELLED_SET) -> dict[str, Any]:
    replies = load_replies(path)
    predicted = [_read(reply["text"], "reasonable_means") for reply in replies]
    labelled: Counter[str] = Counter(reply["label"] for reply in replies)
    read_as: Counter[str] = Counter(predicted)
    right: Counter[str] = Counter(
        reply["label"] for reply, got in zip(replies, predicted, strict=True) if got == reply["label"]
    )
    classes = {
        name: {
            "count": labelled[name],
            "predicted": read_as[name],
            "correct": right[name],
            "precision": _ratio(right[name], read_as[name]),
            "recall": _ratio(right[name], labelled[name]),
        }
        for name in CLASSES
    }
    groups: dict[str, dict[str, float | int]] = {}
    for group in sorted({reply["group"] for reply in replies}):
        members = [
            (reply, got) for reply, got in zip(replies, predicted, strict=True) if reply["group"] == group
        ]
        correct = sum(got == reply["label"] for reply, got in members)
        groups[group] = {"count": len(members), "correct": correct, "recall": _ratio(correct, len(members))}
    keyword_replies = [reply for reply in replies if reply["group"] == "keyword"]
    keywords_mode = sum(_read(reply["text"], "keywords") == reply["label"] for reply in keyword_replies)
    conversation = [
        (reply, got)
        for reply, got in zip(replies, predicted, strict=True)
        if reply["label"] == "conversation"
    ]
    figures = {
        "keyword_recall": groups.get("keyword", {}).get("recall", 1.0),
        "keyword_recall_keywords_mode": _ratio(keywords_mode, len(keyword_replies)),
        "revocation_recall": groups.get("revocation", {}).get("recall", 1.0),
        "conversation_precision": classes["conversation"]["precision"],
        "conversation_kept": _ratio(sum(got == "conversation" for _, got in conversation), len(conversation)),
    }
    failures = [
        {"text": reply["text"], "group": reply["group"], "expected": reply["label"], "got": got}
        for reply, got in zip(replies, predicted, strict=True)
        if got != reply["label"]
    ]
    return {
        "replies": len(replies),
        "classes": classes,
        "groups": groups,
        "goals": {
            name: {"value": figures[name], "goal": goal, "met": figures[name] >= goal}
            for name, goal in GOALS.items()
        },
        "mean_read_us": _mean_read_us([reply["text"] for reply in replies]),
        "failures": failures,
    }


def _mean_read_us(bodies: list[str]) -> float:
    started = time.perf_counter_ns()
    for _ in range(TIMING_ROUNDS):
        for body in bodies:
            read_reply(body)
    return (time.perf_counter_ns() - started) / (TIMING_ROUNDS * len(bodies)) / 1000


def print_report(report: dict[str, Any]) -> None:
    replies, mean_us = report["replies"], report["mean_read_us"]
    print(f"reply reader: {replies} labelled replies    mean read_reply: {mean_us:.1f} µs")
    print(f"{'class':<14}{'count':>7}{'read as':>9}{'correct':>9}{'precision':>11}{'recall':>8}")
    for name, row in report["classes"].items():
        print(
            f"{name:<14}{row['count']:>7}{row['predicted']:>9}{row['correct']:>9}"
            f"{row['precision']:>11.3f}{row['recall']:>8.3f}"
        )
    print(f"{'group':<14}{'count':>7}{'correct':>9}{'recall':>8}")
    for name, row in report["groups"].items():
        print(f"{name:<14}{row['count']:>7}{row['correct']:>9}{row['recall']:>8.3f}")
    for name, goal in report["goals"].items():
        verdict = "met" if goal["met"] else "NOT met"
        print(f"goal {name:<30} {goal['value']:.3f} (≥ {goal['goal']:.2f}): {verdict}")
    for failure in report["failures"]:
        expected, got = failure["expected"], failure["got"]
        print(f"  miss [{failure['group']}] expected {expected}, read {got}: {failure['text']!r}")


def main() -> None:
    print_report(evaluate())


if __name__ == "__main__":
    main()
