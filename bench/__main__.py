"""`make bench`: every benchmark, one printed table and bench/results.json.

Sizes are environment variables, so a quick look takes seconds:

    SMSGATE_BENCH_RECIPIENTS   recipients of the bulk (5000)
    SMSGATE_BENCH_NAIVE        recipients sent one `POST /v1/messages` each (200)
    SMSGATE_BENCH_DECISIONS    single messages through the handler for decisions/s (100)
    SMSGATE_BENCH_IMPORT_RUNS  rounds of cold imports, the fastest of each kept (7)
    SMSGATE_BENCH_IMPORT_RUNS_WITHOUT_BYTECODE  rounds of them with no bytecode at all (2)
    SMSGATE_BENCH_PACING_SECONDS  seconds each pacing run sends for (10)
    SMSGATE_BENCH_RELEASE      scheduled messages due in one minute, released (5000; the
                               release time is extrapolated to 100,000: bench/release.py)
    SMSGATE_BENCH_LATENCY_SENDS  accepted and refused single sends over HTTP on the local stack, and
                               in-process for where their time goes (50)
"""

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import decisions, gate, http_latency, imports, pacing, release, replies, send_breakdown
from bench.content_quality import evaluate
from bench.content_quality import main as print_content_quality

RESULTS = Path(__file__).resolve().parent / "results.json"
REQUESTS_GOAL = 0.5
# us-east-1 on-demand prices assumed on 2026-11-23 (dollars per million units or requests).
PRICES = {
    "dynamodb_write_per_million": 0.625,
    "dynamodb_read_per_million": 0.125,
    "sqs_per_million": 0.40,
}
PRICES_ASSUMED_ON = "2026-11-23"


def _size(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def run() -> dict[str, Any]:
    compared = gate.compare(
        _size("SMSGATE_BENCH_RECIPIENTS", gate.BULK_RECIPIENTS), _size("SMSGATE_BENCH_NAIVE", 200)
    )
    for path in ("bulk", "naive"):
        compared[path]["cost_per_million_messages"] = gate.cost_per_million(compared[path], PRICES)
    bulk, naive = compared["bulk"], compared["naive"]
    compared["ratios"]["cost_naive_over_bulk"] = (
        naive["cost_per_million_messages"]["total"] / bulk["cost_per_million_messages"]["total"]
    )
    compared["bulk"]["meets_goal"] = bulk["aws_requests_per_message"] <= REQUESTS_GOAL
    return {
        "measured_at": datetime.now(UTC).isoformat(),
        "python": platform.python_version(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cpus": os.cpu_count(),
            "note": "shared with other work: wall times are noisy, compare ratios from one run",
        },
        "prices": {**PRICES, "region": "us-east-1", "on_demand": True, "assumed_on": PRICES_ASSUMED_ON},
        "gate": compared,
        "decisions": decisions.measure(_size("SMSGATE_BENCH_DECISIONS", 100)),
        "http_latency": http_latency.measure(_size("SMSGATE_BENCH_LATENCY_SENDS", http_latency.SENDS)),
        "send_breakdown": send_breakdown.measure(_size("SMSGATE_BENCH_LATENCY_SENDS", send_breakdown.SENDS)),
        "imports": imports.measure(
            _size("SMSGATE_BENCH_IMPORT_RUNS", imports.RUNS),
            _size("SMSGATE_BENCH_IMPORT_RUNS_WITHOUT_BYTECODE", imports.RUNS_WITHOUT_BYTECODE),
        ),
        "release": release.measure(_size("SMSGATE_BENCH_RELEASE", release.MEASURED)),
    }


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, bulk or value, naive or comparison, note) for the printed table."""
    bulk, naive, ratios = results["gate"]["bulk"], results["gate"]["naive"], results["gate"]["ratios"]
    bulk_cost, naive_cost = bulk["cost_per_million_messages"], naive["cost_per_million_messages"]
    decided = results["decisions"]
    latency = results["http_latency"]
    cold = results["imports"]
    table = [
        (
            "recipients (accepted)",
            f"{bulk['recipients']} ({bulk['accepted']})",
            f"{naive['recipients']} ({naive['accepted']})",
            "",
        ),
        (
            "AWS requests / accepted message",
            f"{bulk['aws_requests_per_message']:.3f}",
            f"{naive['aws_requests_per_message']:.3f}",
            f"goal ≤ {REQUESTS_GOAL}: {'met' if bulk['meets_goal'] else 'NOT met'}; "
            f"naive/bulk ×{ratios['requests_per_message_naive_over_bulk']:.1f}",
        ),
        (
            "AWS requests in all",
            str(bulk["aws_requests"]),
            str(naive["aws_requests"]),
            "every botocore call, SQS and SNS included",
        ),
        (
            "counter writes (daily limit)",
            str(bulk["counter_writes"]),
            str(naive["counter_writes"]),
            "requests writing the daily counter (UpdateItem or a send's transaction)",
        ),
        (
            "wall time (in-process moto)",
            f"{bulk['wall_seconds']:.2f} s",
            f"{naive['wall_seconds']:.2f} s",
            f"per message naive/bulk ×{ratios['wall_per_message_naive_over_bulk']:.1f}",
        ),
        (
            "DynamoDB WCU / message",
            f"{bulk['write_units_per_message']:.2f}",
            f"{naive['write_units_per_message']:.2f}",
            "from item sizes, DynamoDB rules",
        ),
        (
            "DynamoDB RCU / message",
            f"{bulk['read_units_per_message']:.2f}",
            f"{naive['read_units_per_message']:.2f}",
            "strongly consistent reads",
        ),
        (
            "SQS billed requests / message",
            f"{bulk['sqs_billed_requests_per_message']:.2f}",
            f"{naive['sqs_billed_requests_per_message']:.2f}",
            "64 KB chunks",
        ),
        (
            "$ per million gated messages",
            f"{bulk_cost['total']:.2f}",
            f"{naive_cost['total']:.2f}",
            f"naive/bulk ×{ratios['cost_naive_over_bulk']:.1f}; DynamoDB + SQS, on-demand us-east-1",
        ),
        (
            "single send over HTTP, accepted / refused",
            f"{latency['accepted_median_ms']:.1f} ms",
            f"{latency['refused_median_ms']:.1f} ms",
            f"median of {latency['sends_each']} each on the local stack; accepted/refused "
            f"×{latency['accepted_over_refused']:.2f}, goal ≤ {latency['goal']:.0f}: "
            f"{'met' if latency['meets_goal'] else 'NOT met'}",
        ),
        *send_breakdown.rows(results["send_breakdown"]),
        (
            "decisions / s / core, policy alone",
            f"{decided['policy_alone']['per_second_per_core']:,.0f}",
            "",
            f"{decided['policy_alone']['decisions']} decisions, process_time",
        ),
        (
            "decisions / s / core, with storage",
            f"{decided['with_storage']['per_second_per_core']:,.1f}",
            "",
            f"{decided['with_storage']['decisions']} handler calls under moto, "
            "process_time (moto's CPU included)",
        ),
        (
            "cold import boto3",
            f"{cold['boto3_ms']:.0f} ms",
            "",
            f"baseline, same run; {_without_bytecode(cold['boto3_without_bytecode_ms'])}",
        ),
    ]
    table += release.rows(results["release"])
    for name, frame in cold["frames"].items():
        table.append(
            (
                f"cold import frame {name}",
                f"{frame['import_ms']:.0f} ms",
                f"+{frame['added_over_boto3_ms']:.0f} ms",
                "settings, observability, the trigger's powertools utility; no smsgate code beyond",
            )
        )
    for name, handler in cold["handlers"].items():
        heaviest = ", ".join(f"{each['package']} {each['self_ms']:.0f}" for each in handler["heaviest"][:4])
        table.append(
            (
                f"cold import {name}",
                f"{handler['import_ms']:.0f} ms",
                f"+{handler['added_over_boto3_ms']:.0f} ms",
                f"own modules {handler['own_modules_ms']:.0f} ms over frame {handler['frame']}: "
                f"{'within' if handler['within_budget'] else 'OVER'} {imports.OWN_COST_BUDGET_MS:.0f} ms "
                f"(fastest import − frame's {handler['added_over_frame_ms']:.0f} ms); "
                f"{_without_bytecode(handler['import_without_bytecode_ms'])}; heaviest (ms): {heaviest}",
            )
        )
    return table


def _without_bytecode(import_ms: float | None) -> str:
    return "without bytecode: not measured" if import_ms is None else f"without bytecode {import_ms:.0f} ms"


def print_table(results: dict[str, Any]) -> None:
    table = rows(results)
    header = ("figure", "bulk / value", "naive / added", "note")
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(row[column]) for row in [header, *table]) for column in range(4)]
        for row in [header, *table]:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        return
    printed = Table(title=f"smsgate bench — {results['measured_at']} — Python {results['python']}")
    for column in header:
        printed.add_column(column, overflow="fold")
    for row in table:
        printed.add_row(*row)
    Console(width=200).print(printed)


def main() -> None:
    print_content_quality()
    print()
    reply_reader = replies.evaluate()
    replies.print_report(reply_reader)
    results = run()
    results["content_quality"] = evaluate()
    results["reply_reader"] = reply_reader
    results["pacing"] = pacing.measure()
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    print()
    print_table(results)
    print()
    imports.print_goal(results["imports"])
    print()
    pacing.print_table(results["pacing"])
    print(f"\nwritten: {RESULTS}")


if __name__ == "__main__":
    main()
