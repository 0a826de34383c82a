"""The operators' CLI against the local stack (docs/operations.md#importing-consent-from-a-csv): 10,000
opt-ins imported from a CSV with bad rows, interrupted and resumed, imported again (nothing changes),
exported back and compared."""

import csv
import io
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from smsgate_cli.api import Api
from smsgate_cli.consent_file import Checkpoint, ImportTally, file_digest, import_csv
from smsgate_cli.main import app
from tests.e2e.conftest import LocalStack, sending_numbers

pytestmark = pytest.mark.e2e

ROWS = 10_000


class Interrupted(Exception):
    pass


def consent_csv(path: Path) -> tuple[set[tuple[str, str, str, str]], dict[int, str]]:
    """10,000 rows (UK mobiles), 30 of them bad: the good rows as (phone, source, evidence,
    captured_at) and the bad ones' CSV line → the code the API gives them."""
    good: set[tuple[str, str, str, str]] = set()
    bad: dict[int, str] = {}
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["phone", "source", "evidence", "captured_at"])
        for n in range(ROWS):
            line = n + 2
            phone, source = f"+447{911000000 + n}", "web_form"
            evidence, captured_at = (
                f"booking form checkbox, session {n}",
                f"2024-05-{1 + n % 28:02d}T10:00:00Z",
            )
            if n % 1000 == 7:
                phone, bad[line] = "+1202", "VALIDATION_ERROR"
            elif n % 1000 == 13:
                source, bad[line] = "purchased list", "NO_CONSENT"
            elif n % 1000 == 21:
                captured_at, bad[line] = "", "VALIDATION_ERROR"
            else:
                good.add((phone, source, evidence, captured_at))
            writer.writerow([phone, source, evidence, captured_at])
    return good, bad


@pytest.fixture
def operator_location(local_stack: LocalStack) -> Iterator[str]:
    """A location whose contacts are removed afterwards: moto copies a whole table on every
    TransactWriteItems, and 20,000 more items would slow every later consent call."""
    location_id = f"cli-{uuid.uuid4().hex[:8]}"
    answer = local_stack.call(
        "PUT", f"/v1/locations/{location_id}", {"name": "Operator CLI Clinic", "numbers": sending_numbers()}
    )
    assert answer.status_code == 201, answer.text
    yield location_id
    state = json.loads(local_stack.state_file.read_text())
    table = boto3.resource("dynamodb", endpoint_url=local_stack.aws_endpoint).Table(
        state["environment"]["CONTACTS_TABLE"]
    )
    query: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": f"LOC#{location_id}"},
        "ProjectionExpression": "pk, sk",
    }
    with table.batch_writer() as batch:
        while True:
            page = table.query(**query)
            for key in page["Items"]:
                batch.delete_item(Key=key)
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_import_10000_rows_resume_rerun_and_export(
    local_stack: LocalStack, operator_location: str, tmp_path: Path
) -> None:
    source = tmp_path / "consents.csv"
    good, bad = consent_csv(source)
    rejects = tmp_path / "consents.csv.rejects.csv"
    cli = ["--api", local_stack.base_url]
    started = time.monotonic()

    # An import interrupted after two calls leaves its checkpoint behind ...
    checkpoint = Checkpoint(tmp_path / "consents.csv.checkpoint", operator_location, file_digest(source))

    def stop_after_two_calls(tally: ImportTally) -> None:
        if tally.done == 1000:
            raise Interrupted

    with pytest.raises(Interrupted):
        import_csv(
            Api(local_stack.base_url), operator_location, source, rejects, checkpoint, stop_after_two_calls
        )
    assert json.loads(checkpoint.path.read_text())["done"] == 1000

    # ... and the same command carries on after it, showing its progress.
    first = CliRunner().invoke(app, [*cli, "consent", "import", operator_location, str(source)])

    assert first.exit_code == 0, first.output
    assert "resumed after row 1000" in first.output
    assert "1500/10000 rows" in first.output
    assert "10000/10000 rows" in first.output
    assert not checkpoint.path.exists()
    with rejects.open() as found:
        rejected = list(csv.DictReader(found))
    assert {int(r["line"]): r["code"] for r in rejected} == bad
    assert all(r["message"] for r in rejected)
    assert re.search(r"recorded\W+unchanged\W+rejected\W+9970\W+0\W+30\W", first.output), first.output

    second = CliRunner().invoke(app, [*cli, "consent", "import", operator_location, str(source)])

    assert second.exit_code == 0, second.output
    assert "resumed" not in second.output
    assert re.search(r"recorded\W+unchanged\W+rejected\W+0\W+9970\W+30\W", second.output), second.output

    exported_file = tmp_path / "ledger.csv"
    export = CliRunner().invoke(app, [*cli, "consent", "export", operator_location, "-o", str(exported_file)])

    assert export.exit_code == 0, export.output
    exported = list(csv.DictReader(io.StringIO(exported_file.read_text())))
    assert len(exported) == len(good)
    assert {(e["phone"], e["source"], e["evidence"], e["captured_at"]) for e in exported} == good
    assert {e["location_id"] for e in exported} == {operator_location}

    elapsed = time.monotonic() - started
    print(f"10,000 rows: import, re-import and export in {elapsed:.1f} s")


def test_the_other_commands_show_what_the_api_answers(
    local_stack: LocalStack, operator_location: str
) -> None:
    cli = ["--api", local_stack.base_url]
    phone = "+447911555001"
    local_stack.call(
        "PUT",
        f"/v1/locations/{operator_location}/contacts/%2B447911555001/consent",
        {"source": "paper_form", "evidence": "signed at the front desk"},
    )

    listed = CliRunner().invoke(app, [*cli, "locations", "--json"])
    assert listed.exit_code == 0, listed.output
    assert operator_location in {found["location_id"] for found in json.loads(listed.output)}

    usage = CliRunner().invoke(app, [*cli, "usage", operator_location, "--json"])
    assert json.loads(usage.output)["limit"] == 250
    health = CliRunner().invoke(app, [*cli, "health", operator_location])
    assert health.exit_code == 0, health.output
    assert "opt_out_rate" in health.output

    contact = CliRunner().invoke(app, [*cli, "contact", operator_location, phone])
    assert contact.exit_code == 0, contact.output
    assert "paper_form" in contact.output
    as_json = CliRunner().invoke(app, [*cli, "contact", operator_location, phone, "--json"])
    assert json.loads(as_json.output)["ledger"][0]["evidence"] == "signed at the front desk"

    missing = CliRunner().invoke(app, [*cli, "usage", "no-such-location"])
    assert missing.exit_code == 1
    assert "LOCATION_NOT_FOUND" in missing.output

    jsonl = CliRunner().invoke(app, [*cli, "consent", "export", operator_location, "--format", "jsonl"])
    assert [json.loads(line)["phone"] for line in jsonl.output.splitlines()] == [phone]
