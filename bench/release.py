"""The release of scheduled messages: N messages due in one minute, under in-process moto.

The messages are spread over LOCATIONS locations (each within its daily limit), their contacts
opted in, and scheduled as the send gate will schedule them (`smsgate.services.scheduling`).
The release then runs as in AWS: the scheduled run releases what it releases itself and hands
the other minute-shards to the release queue, whose messages are then released one by one. Every
AWS request of the release is counted (bench/aws_calls.py); the set-up is not.

The time the release takes in AWS is not moto's wall time: the chunks run in parallel, at most
the template's ReleaseMaxConcurrency at once. It is estimated from the measured time of each
chunk, the chunks laid on that many workers in the order they were queued (each taking the
next chunk when it is free), after the scheduled run itself. Bigger than the measured size,
the figures are extrapolated: each minute-shard holds proportionally more messages, the number
of chunks stays at most one per shard, so each chunk's time is scaled by the ratio. moto's time
per request is its own CPU on this machine; a model of AWS beside it takes each request of a
chunk as AWS_REQUEST_SECONDS (an assumption), the chunks laid on workers the same way.

    SMSGATE_BENCH_RELEASE=2000 python -m bench.release
"""

import heapq
import io
import json
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import aws_calls
from bench.gate import BODY, Gate, gate_stack, recipient, sender_of

# moto answers a request in milliseconds of CPU: 5,000 messages keep the bench within minutes.
MEASURED = 5_000
TARGET = 100_000
LOCATIONS = 20
# A model of AWS beside moto's wall time: each request of a chunk, one after the other, as long
# as an in-region DynamoDB or SQS request at the median (an assumption, not a measurement).
AWS_REQUEST_SECONDS = 0.005


def template_concurrency() -> int:
    from local_stack.stack import load_template

    return int(load_template()["Parameters"]["ReleaseMaxConcurrency"]["Default"])


def _schedule(gate: Gate, messages_count: int, due: datetime) -> list[str]:
    from smsgate.models.entities import Message, StatusChange
    from smsgate.models.schedule import ScheduledMessage
    from smsgate.services.scheduling import schedule_messages

    ids: list[str] = []
    per_location = -(-messages_count // LOCATIONS)
    for number in range(LOCATIONS):
        location_id = f"bench-release-{number:02d}"
        phones = [recipient(number * per_location + index) for index in range(per_location)]
        phones = phones[: max(0, messages_count - number * per_location)]
        if not phones:
            break
        gate.new_location(location_id)
        gate.opt_in(location_id, phones)
        rows, entries = [], []
        for phone in phones:
            message_id = f"{location_id}-{phone[-5:]}"
            scheduled = StatusChange(status="scheduled", at=due - timedelta(hours=1), reason="send_at")
            rows.append(
                Message(
                    message_id=message_id,
                    location_id=location_id,
                    from_number=sender_of(location_id),
                    to=phone,
                    body=BODY,
                    kind="bulk",
                    segments=1,
                    encoding="GSM-7",
                    status="scheduled",
                    created_at=scheduled.at,
                    scheduled_for=due,
                    history=(scheduled,),
                )
            )
            entries.append(
                ScheduledMessage(
                    message_id=message_id,
                    location_id=location_id,
                    from_number=sender_of(location_id),
                    to=phone,
                    body=BODY,
                    kind="bulk",
                    segments=1,
                    due_at=due,
                    reason="send_at",
                )
            )
        schedule_messages(rows, entries)
        ids += [row.message_id for row in rows]
    return ids


def makespan(first_seconds: float, chunk_seconds: list[float], workers: int) -> float:
    """When the last chunk ends, the chunks started in order on `workers` parallel workers once
    the scheduled run (`first_seconds`) has queued them."""
    free_at = [first_seconds] * max(1, workers)
    heapq.heapify(free_at)
    end = first_seconds
    for seconds in chunk_seconds:
        start = heapq.heappop(free_at)
        heapq.heappush(free_at, start + seconds)
        end = max(end, start + seconds)
    return end


def measure(messages_count: int = MEASURED, target: int = TARGET) -> dict[str, Any]:
    """Schedule `messages_count` messages due in one minute and release them; the figures, and
    their extrapolation to `target` messages."""
    from smsgate.dal import clients, schedule
    from smsgate.services.scheduling import release_chunk, run_release
    from smsgate.settings import get_settings

    due = schedule.minute_of(datetime.now(UTC)) + timedelta(minutes=2)
    with gate_stack() as gate:
        ids = _schedule(gate, messages_count, due)
        schedule.advance_release_cursor(due - timedelta(minutes=1))
        queue_url = get_settings().release_queue_url
        run_at = due + timedelta(seconds=1)
        chunk_seconds: list[float] = []
        chunk_requests: list[int] = []
        with aws_calls.recording() as recorder, redirect_stdout(io.StringIO()):
            started = time.perf_counter()
            report = run_release(run_at)
            first_seconds = time.perf_counter() - started
            first_requests = recorder.requests
            chunk_reports = []
            while True:
                # Lambda's event source mapping receives and deletes the chunks: counted too, as
                # they are billed (a few per minute, whatever the number of messages).
                received = clients.sqs().receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
                batch = received.get("Messages", [])
                if not batch:
                    break
                for message in batch:
                    chunk_started, requests_before = time.perf_counter(), recorder.requests
                    chunk_reports.append(release_chunk(json.loads(message["Body"]), run_at))
                    chunk_seconds.append(time.perf_counter() - chunk_started)
                    chunk_requests.append(recorder.requests - requests_before)
                    clients.sqs().delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            sequential_seconds = time.perf_counter() - started
        released = report["released"] + sum(chunk["released"] for chunk in chunk_reports)
        failed = report["failed"] + sum(chunk["failed"] for chunk in chunk_reports)
    concurrency = template_concurrency()
    scale = target / max(messages_count, 1)
    per = max(released, 1)
    return {
        "scheduled": len(ids),
        "released": released,
        "failed": failed,
        "locations": LOCATIONS,
        "shards": schedule.SHARDS,
        "inline_released": report["released"],
        "chunks": len(chunk_seconds),
        "aws_requests": recorder.requests,
        "aws_requests_per_released_message": recorder.requests / per,
        "requests_by_operation": recorder.by_operation(),
        "write_units_per_message": recorder.write_units / per,
        "read_units_per_message": recorder.read_units / per,
        "sqs_billed_requests_per_message": recorder.sqs_billed_requests / per,
        "scheduled_run_seconds": first_seconds,
        "chunk_seconds_max": max(chunk_seconds, default=0.0),
        "sequential_seconds": sequential_seconds,
        "concurrency": concurrency,
        "release_seconds_at_concurrency": makespan(first_seconds, chunk_seconds, concurrency),
        "target": target,
        "extrapolated": target != messages_count,
        "release_seconds_at_concurrency_for_target": makespan(
            first_seconds, [seconds * scale for seconds in chunk_seconds], concurrency
        ),
        "aws_request_seconds_assumed": AWS_REQUEST_SECONDS,
        "modeled_aws_seconds_for_target": makespan(
            first_requests * AWS_REQUEST_SECONDS,
            [requests * scale * AWS_REQUEST_SECONDS for requests in chunk_requests],
            concurrency,
        ),
        "note": "moto in process: per-request latency is moto's CPU, not DynamoDB's network round trip",
    }


def rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows for bench/__main__.py's table."""
    measured = f"{result['released']} released of {result['scheduled']}"
    target = f"{result['target']:,}" + (" (extrapolated)" if result["extrapolated"] else "")
    return [
        (
            "release: AWS requests / released message",
            f"{result['aws_requests_per_released_message']:.2f}",
            "",
            f"{measured}; {result['locations']} locations, {result['shards']} shards; "
            f"{result['chunks']} chunks fanned out",
        ),
        (
            "release: time at the template's concurrency",
            f"{result['release_seconds_at_concurrency']:.1f} s",
            f"{result['release_seconds_at_concurrency_for_target']:.1f} s",
            f"{result['scheduled']:,} measured / {target}; ReleaseMaxConcurrency {result['concurrency']}; "
            f"scheduled run {result['scheduled_run_seconds']:.1f} s, longest chunk "
            f"{result['chunk_seconds_max']:.1f} s (moto)",
        ),
        (
            "release: modeled time in AWS",
            "",
            f"{result['modeled_aws_seconds_for_target']:.1f} s",
            f"{target}: the chunks' requests one after the other at "
            f"{result['aws_request_seconds_assumed'] * 1000:.0f} ms each (assumed), same concurrency",
        ),
    ]


def main() -> None:
    import os

    result = measure(int(os.environ.get("SMSGATE_BENCH_RELEASE", str(MEASURED))))
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
