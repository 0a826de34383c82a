"""The threshold audit on the local stack (docs/audit.md).

A location sends 20 messages through the HTTP API; the simulated carrier answers the three to
numbers ending in 3004 and 3005 `undelivered` (15 % errors, over the 12.5 % suspension threshold of
docs/policy.md#audit-thresholds).
`make audit` (`python -m local_stack.audit_once`) runs the audit once against this stack, found
through its state file; the stack was started with a minimum sample of 20 (conftest).
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.e2e.conftest import LocalStack, poll

ROOT = Path(__file__).resolve().parents[2]
# Three numbers, so that 20 sends at about one message per second per number go out quickly
# (and no more than three numbers send the same body: docs/policy.md#snowshoeing).
NUMBERS = ["+12025557301", "+12025557302", "+12025557303"]
UNDELIVERED = ["+447911113004", "+447911123005", "+447911133004"]
DELIVERED = [f"+4479111{index:03d}43" for index in range(17)]


def quoted(phone: str) -> str:
    return phone.replace("+", "%2B")


def send(stack: LocalStack, location_id: str, index: int, to: str) -> Any:
    return stack.call(
        "POST",
        "/v1/messages",
        {
            "location_id": location_id,
            "from": NUMBERS[index % len(NUMBERS)],
            "to": to,
            "body": "Your appointment is confirmed for Monday.",
            "kind": "workflow",
        },
    )


def make_audit(stack: LocalStack) -> dict[str, Any]:
    """`make audit`: the audit once, as its own process, against the running stack."""
    done = subprocess.run(
        [sys.executable, "-m", "local_stack.audit_once"],
        cwd=ROOT,
        env={**os.environ, "SMSGATE_STATE_FILE": str(stack.state_file)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The report is printed last, indented; the handler's JSON log lines come before it.
    lines = done.stdout.splitlines()
    start = max(index for index, line in enumerate(lines) if line == "{")
    report: dict[str, Any] = json.loads("\n".join(lines[start:]))
    return report


def test_undelivered_receipts_over_the_threshold_suspend_the_location_and_sends_are_refused(
    local_stack: LocalStack,
) -> None:
    location_id = f"audit-{uuid.uuid4().hex[:8]}"
    created = local_stack.call(
        "PUT",
        f"/v1/locations/{location_id}",
        {"name": "Audit Dental", "numbers": NUMBERS, "created_at": "2023-01-01T00:00:00Z"},
    )
    assert created.status_code == 201, created.text
    contacts = UNDELIVERED + DELIVERED
    for index, contact in enumerate(contacts):
        consent = local_stack.call(
            "PUT", f"/v1/locations/{location_id}/contacts/{quoted(contact)}/consent", {"source": "web form"}
        )
        assert consent.status_code == 200, consent.text
        answer = send(local_stack, location_id, index, contact)
        assert answer.status_code == 202, answer.text

    def receipts_applied() -> dict[str, Any] | None:
        health: dict[str, Any] = local_stack.call("GET", f"/v1/locations/{location_id}/health").json()
        done = health["sent"] == 20 and health["delivered"] + health["undelivered"] == 20
        return health if done else None

    health = poll(receipts_applied, timeout=120, interval=0.5)
    assert (health["undelivered"], health["error_rate"], health["verdict"]) == (3, 0.15, "suspension")
    assert (health["status"], health["min_sample"]) == ("active", 20)
    assert health["errors_by_code"] == {"30004": 2, "30005": 1}

    report = make_audit(local_stack)

    assert report["suspended"] >= 1
    assert report["audited"] >= 1
    health = local_stack.call("GET", f"/v1/locations/{location_id}/health").json()
    assert health["status"] == "suspended"
    assert health["suspended_until"] is not None
    refused = send(local_stack, location_id, 0, DELIVERED[0])
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "LOCATION_SUSPENDED"

    # Once per window: a second run neither suspends again nor warns.
    again = make_audit(local_stack)
    assert again["suspended"] == 0

    lifted = local_stack.call("DELETE", f"/v1/locations/{location_id}/suspension")
    assert lifted.status_code == 200, lifted.text
    assert (lifted.json()["status"], lifted.json()["suspended_until"]) == ("active", None)
    accepted = send(local_stack, location_id, 1, DELIVERED[1])
    assert accepted.status_code == 202, accepted.text
