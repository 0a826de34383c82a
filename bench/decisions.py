"""Gate decisions per second per core for single messages, on a fixed corpus.

The corpus is the labelled content set (tests/unit/content_eval/messages.jsonl: ordinary
messages and prohibited or evasive ones), so a decision is an acceptance or a refusal.

- policy alone: the pure functions of `smsgate.policy` in the gate's order (docs/policy.md#the-gate-order:
  sender, suspension, registration, DND, consent, content, snowshoe fingerprint, decoration,
  segments, daily limit), on in-memory entities;
- with storage: `POST /v1/messages` through the send_gate handler under in-process moto.

CPU time is `time.process_time()` of this single-threaded process, so decisions per CPU second
are decisions per second per core; with storage it includes moto's own work in this process
(the emulated DynamoDB and SQS), which a deployed gate does not pay. Wall time
(`time.perf_counter()`) is reported beside it.

    python -m bench.decisions
"""

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.content_quality import load_messages
from bench.gate import OLD_ACCOUNT, SENDER, gate_stack, recipient, sender_of

KINDS = ("workflow", "conversation", "bulk", "campaign")
POLICY_ROUNDS = 10
STORAGE_CONTACTS = 50


def corpus() -> list[str]:
    return [str(message["text"]) for message in load_messages()]


def _policy_chain(now: datetime) -> Any:
    from smsgate.models.entities import Consent, Contact, Location
    from smsgate.policy import gate
    from smsgate.policy.decoration import decorate, needs_introduction
    from smsgate.policy.fingerprint import snowshoe_keys
    from smsgate.policy.limits import counter_day, daily_limit
    from smsgate.policy.refusal import Refusal
    from smsgate.policy.registration import check_registration, content_use_case
    from smsgate.policy.segments import count_segments

    location = Location(
        location_id="bench", name="Bright Smiles Dental", created_at=OLD_ACCOUNT, numbers=(SENDER,)
    )
    contact = Contact(
        location_id="bench",
        phone=recipient(0),
        consent=Consent(state="opted_in", source="web_form", captured_at=now - timedelta(days=30)),
    )
    window = timedelta(hours=24)

    def decide(body: str, kind: str) -> str:
        checks: tuple[Callable[[], Refusal | None], ...] = (
            lambda: gate.check_sender(location, SENDER),
            lambda: gate.check_suspension(location, now),
            lambda: check_registration(location, SENDER, contact.phone),
            lambda: gate.check_dnd(contact),
            lambda: gate.check_consent(contact, kind, now, window),
            lambda: gate.check_content_policy(body, content_use_case(location.campaign)),
        )
        for check in checks:
            refusal = check()
            if refusal is not None:
                return str(refusal.code)
        snowshoe_keys(body)
        final = decorate(body, location) if needs_introduction(contact, kind) else body
        _, segments = count_segments(final)
        refusal = gate.check_segments(segments)
        if refusal is not None:
            return str(refusal.code)
        daily_limit(location.created_at, now)
        counter_day(now)
        return "accepted"

    return decide


def policy_alone(bodies: list[str], rounds: int = POLICY_ROUNDS) -> dict[str, Any]:
    decide = _policy_chain(datetime.now(UTC))
    outcomes: Counter[str] = Counter()
    cpu_started, started = time.process_time(), time.perf_counter()
    for _ in range(rounds):
        for index, body in enumerate(bodies):
            outcomes[decide(body, KINDS[index % len(KINDS)])] += 1
    cpu, wall = time.process_time() - cpu_started, time.perf_counter() - started
    decisions = rounds * len(bodies)
    return {
        "decisions": decisions,
        "outcomes": dict(outcomes.most_common()),
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "per_second_per_core": decisions / cpu if cpu else 0.0,
        "per_second_wall": decisions / wall if wall else 0.0,
    }


def with_storage(bodies: list[str], contacts: int = STORAGE_CONTACTS) -> dict[str, Any]:
    location_id = "bench-decisions"
    phones = [recipient(index) for index in range(contacts)]
    outcomes: Counter[str] = Counter()
    with gate_stack() as gate:
        gate.new_location(location_id)
        gate.opt_in(location_id, phones)
        cpu_started, started = time.process_time(), time.perf_counter()
        for index, body in enumerate(bodies):
            request = {
                "location_id": location_id,
                "from": sender_of(location_id),
                "to": phones[index % contacts],
                "body": body,
                "kind": KINDS[index % len(KINDS)],
            }
            answer = gate.call("POST", "/v1/messages", request)
            outcomes["accepted" if answer.status == 202 else str(answer.body["error"]["code"])] += 1
        cpu, wall = time.process_time() - cpu_started, time.perf_counter() - started
    return {
        "decisions": len(bodies),
        "outcomes": dict(outcomes.most_common()),
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "per_second_per_core": len(bodies) / cpu if cpu else 0.0,
        "per_second_wall": len(bodies) / wall if wall else 0.0,
    }


def measure(storage_decisions: int | None = None, policy_rounds: int = POLICY_ROUNDS) -> dict[str, Any]:
    bodies = corpus()
    stored = bodies[:storage_decisions] if storage_decisions else bodies
    return {
        "corpus": len(bodies),
        "clock": "process_time (CPU seconds of this process, one thread); wall from perf_counter",
        "policy_alone": policy_alone(bodies, policy_rounds),
        "with_storage": with_storage(stored),
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(os.environ.get("SMSGATE_BENCH_DECISIONS", "100")), 2), indent=2))
