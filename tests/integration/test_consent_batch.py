"""Consent import in batches and the ledger's export (docs/operations.md#importing-consent-from-a-csv),
through the send_gate handler."""

import csv
import io
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from local_stack.api_server import http_api_event
from local_stack.lambdas import LocalContext, load_handler
from smsgate.models.entities import Dnd
from tests.integration import stored
from tests.integration.conftest import LOCATION, ROOT, ApiCall, route_for

BATCH = f"/v1/locations/{LOCATION}/contacts/consent:batch"
RawCall = Callable[[str], tuple[int, str, dict[str, str]]]


def row(n: int, **overrides: Any) -> dict[str, Any]:
    """A good row for the n-th contact (UK numbers: no 10DLC question arises)."""
    return {
        "phone": f"+4479111{n:05d}",
        "source": "web_form",
        "evidence": f"booking form checkbox, session {n}",
        "captured_at": "2024-05-01T10:00:00Z",
        **overrides,
    }


@pytest.fixture
def raw_get(stack: Any) -> RawCall:
    """GET a path from the send_gate handler and keep the body as text (CSV, JSON lines)."""
    handler = load_handler(ROOT / "functions" / "send_gate", uuid.uuid4().hex)

    def call(path: str) -> tuple[int, str, dict[str, str]]:
        raw_path, _, query = path.partition("?")
        route, parameters = route_for("GET", raw_path)
        event = http_api_event("GET", raw_path, query, {}, b"", route, parameters, "127.0.0.1")
        result = handler(event, LocalContext(function_name="send_gate"))
        return result["statusCode"], result.get("body") or "", result.get("headers") or {}

    return call


def ledger_size(send_gate: ApiCall, phone: str) -> int:
    status, contact, _ = send_gate("GET", f"/v1/locations/{LOCATION}/contacts/{phone.replace('+', '%2B')}")
    assert status == 200, contact
    return len(contact["ledger"])


def test_rows_are_validated_one_by_one_as_the_single_call_does(send_gate: ApiCall, location) -> None:
    location()
    rows: list[Any] = [
        row(1),
        row(2, phone="+1202"),
        row(3, source=""),
        row(4, source="purchased list from LeadsCo"),
        row(5, captured_at=None),
        row(6, colour="blue"),
        row(7, evidence="x" * 2001),
        "not an object",
        row(9, evidence=None),
    ]

    status, answer, _ = send_gate("POST", BATCH, {"rows": rows})

    assert status == 200, answer
    assert (answer["recorded"], answer["unchanged"], answer["rejected"]) == (2, 0, 7)
    by_row = {result["row"]: result for result in answer["results"]}
    assert [by_row[i]["status"] for i in range(len(rows))] == [
        "recorded",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "recorded",
    ]
    assert by_row[0]["phone"] == "+447911100001"
    assert by_row[1] == {
        "row": 1,
        "phone": "+1202",
        "status": "rejected",
        "code": "VALIDATION_ERROR",
        "message": by_row[1]["message"],
    }
    assert "phone" in by_row[1]["message"]
    assert by_row[3]["code"] == "NO_CONSENT"
    assert "bought, sold or exchanged" in by_row[3]["message"]
    assert "captured_at" in by_row[4]["message"]
    assert "colour" in by_row[5]["message"]
    assert by_row[7]["phone"] is None

    status, contact, _ = send_gate("GET", f"/v1/locations/{LOCATION}/contacts/%2B447911100001")
    assert contact["consent"] == {
        "state": "opted_in",
        "source": "web_form",
        "captured_at": "2024-05-01T10:00:00Z",
    }
    [line] = contact["ledger"]
    assert (line["action"], line["evidence"], line["actor"]) == (
        "opt_in",
        "booking form checkbox, session 1",
        "api",
    )


def test_a_bought_list_is_recorded_nowhere(send_gate: ApiCall, location) -> None:
    location()
    _, answer, _ = send_gate(
        "POST", BATCH, {"rows": [row(1, source="bought_list"), row(2, source="list vendor")]}
    )

    assert [r["code"] for r in answer["results"]] == ["NO_CONSENT", "NO_CONSENT"]
    _, contact, _ = send_gate("GET", f"/v1/locations/{LOCATION}/contacts/%2B447911100001")
    assert contact["consent"]["state"] == "none"
    assert contact["ledger"] == []


def test_at_most_500_rows_a_call_and_a_rerun_changes_nothing(send_gate: ApiCall, location) -> None:
    location()
    too_many = send_gate("POST", BATCH, {"rows": [row(n) for n in range(501)]})
    assert too_many[0] == 400
    assert too_many[1]["error"]["code"] == "VALIDATION_ERROR"
    assert ledger_size(send_gate, row(0)["phone"]) == 0

    rows = [row(n) for n in range(500)]
    status, first, _ = send_gate("POST", BATCH, {"rows": rows})
    assert status == 200
    assert (first["recorded"], first["unchanged"], first["rejected"]) == (500, 0, 0)
    _, before, _ = send_gate("GET", f"/v1/locations/{LOCATION}/contacts/%2B447911100007")

    _, again, _ = send_gate("POST", BATCH, {"rows": rows})

    assert (again["recorded"], again["unchanged"], again["rejected"]) == (0, 500, 0)
    assert {r["status"] for r in again["results"]} == {"unchanged"}
    _, after, _ = send_gate("GET", f"/v1/locations/{LOCATION}/contacts/%2B447911100007")
    assert after == before
    assert len(after["ledger"]) == 1


def test_the_same_row_twice_in_a_call_is_recorded_once_and_a_new_source_adds_a_line(
    send_gate: ApiCall, location
) -> None:
    location()
    later = row(1, source="paper_form", captured_at="2024-06-01T09:00:00+02:00")

    _, answer, _ = send_gate("POST", BATCH, {"rows": [row(1), row(1), later]})

    assert [r["status"] for r in answer["results"]] == ["recorded", "unchanged", "recorded"]
    _, contact, _ = send_gate("GET", f"/v1/locations/{LOCATION}/contacts/%2B447911100001")
    assert len(contact["ledger"]) == 2
    # The contact's consent is the one captured last.
    assert contact["consent"]["source"] == "paper_form"
    assert contact["consent"]["captured_at"] == "2024-06-01T07:00:00Z"


def test_a_contact_with_more_lines_than_one_transaction_holds_gets_every_line_and_the_newest_consent(
    send_gate: ApiCall, location
) -> None:
    # Whole contacts go in transactions of up to 100 actions: the consent and 150 lines are 151.
    location()
    rows = [
        row(1, evidence=f"signed form {n}", captured_at=f"2024-05-01T10:{n // 60:02d}:{n % 60:02d}Z")
        for n in range(150)
    ]
    rows += [row(n) for n in range(2, 60)]

    status, answer, _ = send_gate("POST", BATCH, {"rows": rows})

    assert status == 200
    assert (answer["recorded"], answer["unchanged"], answer["rejected"]) == (208, 0, 0)
    assert ledger_size(send_gate, row(1)["phone"]) == 150
    assert all(ledger_size(send_gate, row(n)["phone"]) == 1 for n in (2, 30, 59))
    _, contact, _ = send_gate("GET", f"/v1/locations/{LOCATION}/contacts/%2B447911100001")
    assert contact["consent"]["captured_at"] == "2024-05-01T10:02:29Z"


def test_an_import_records_consent_but_never_lifts_a_dnd(send_gate: ApiCall, location) -> None:
    location()
    stored.set_dnd(
        LOCATION,
        row(1)["phone"],
        Dnd(state="permanent", reason="STOP", since=datetime(2024, 6, 1, tzinfo=UTC)),
    )

    _, answer, _ = send_gate("POST", BATCH, {"rows": [row(1), row(2)]})

    assert answer["recorded"] == 2
    _, contact, _ = send_gate("GET", f"/v1/locations/{LOCATION}/contacts/%2B447911100001")
    assert contact["dnd"]["state"] == "permanent"
    assert contact["consent"]["source"] == "web_form"
    assert len(contact["ledger"]) == 1


def test_unknown_location_and_empty_batch(send_gate: ApiCall, stack) -> None:
    status, answer, _ = send_gate("POST", "/v1/locations/nobody/contacts/consent:batch", {"rows": [row(1)]})
    assert (status, answer["error"]["code"]) == (404, "LOCATION_NOT_FOUND")
    status, answer, _ = send_gate("POST", BATCH, {"rows": []})
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")


def export_all(raw_get: RawCall, query: str) -> tuple[list[str], int]:
    """Every page of an export (following X-Next-Cursor): the pages' bodies and the page count."""
    pages: list[str] = []
    cursor = ""
    while True:
        status, body, headers = raw_get(f"/v1/locations/{LOCATION}/consent?{query}{cursor}")
        assert status == 200, body
        pages.append(body)
        if "X-Next-Cursor" not in headers:
            return pages, len(pages)
        cursor = f"&cursor={headers['X-Next-Cursor']}"


def test_export_pages_through_the_ledger_as_csv_and_json_lines(
    send_gate: ApiCall, raw_get: RawCall, location
) -> None:
    location()
    rows = [row(n, captured_at=f"2024-05-0{1 + n % 3}T10:00:00Z") for n in range(25)]
    send_gate("POST", BATCH, {"rows": rows})
    send_gate("PUT", f"/v1/locations/{LOCATION}/contacts/%2B447911100003/consent", {"source": "keyword"})

    pages, count = export_all(raw_get, "format=csv&limit=10")

    assert count >= 3
    exported = [line for page in pages for line in csv.DictReader(io.StringIO(page))]
    assert len(exported) == 26
    assert list(exported[0]) == [
        "location_id",
        "phone",
        "entry_id",
        "action",
        "source",
        "evidence",
        "captured_at",
        "recorded_at",
        "actor",
    ]
    imported = {(r["phone"], r["source"], r["evidence"], r["captured_at"]) for r in rows}
    assert imported <= {(e["phone"], e["source"], e["evidence"], e["captured_at"]) for e in exported}

    pages, _ = export_all(raw_get, "format=jsonl&limit=7")
    as_json = [json.loads(line) for page in pages for line in page.splitlines()]
    assert [(e["phone"], e["entry_id"]) for e in as_json] == [(e["phone"], e["entry_id"]) for e in exported]

    pages, count = export_all(raw_get, "format=jsonl&phone=%2B447911100003")
    assert count == 1
    assert {json.loads(line)["source"] for line in pages[0].splitlines()} == {"web_form", "keyword"}


def test_export_refuses_a_foreign_cursor_and_an_unknown_format(raw_get: RawCall, location) -> None:
    location()
    status, body, _ = raw_get(f"/v1/locations/{LOCATION}/consent?cursor=bm90LWEtY3Vyc29y")
    assert (status, json.loads(body)["error"]["code"]) == (400, "VALIDATION_ERROR")
    status, body, _ = raw_get(f"/v1/locations/{LOCATION}/consent?format=xml")
    assert (status, json.loads(body)["error"]["code"]) == (400, "VALIDATION_ERROR")
    status, body, headers = raw_get(f"/v1/locations/{LOCATION}/consent?format=csv")
    assert status == 200
    assert body.splitlines() == [
        "location_id,phone,entry_id,action,source,evidence,captured_at,recorded_at,actor"
    ]
    assert "X-Next-Cursor" not in headers


def test_locations_are_listed_a_page_at_a_time(send_gate: ApiCall, location) -> None:
    for n in range(5):
        location(location_id=f"loc-list-{n}", numbers=())
    seen: list[str] = []
    cursor = ""
    while True:
        status, page, _ = send_gate("GET", f"/v1/locations?limit=2{cursor}")
        assert status == 200, page
        assert len(page["locations"]) <= 2
        seen += [found["location_id"] for found in page["locations"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == [f"loc-list-{n}" for n in range(5)]
    status, page, _ = send_gate("GET", "/v1/locations?limit=1")
    assert page["locations"][0]["status"] == "active"
    assert set(page["locations"][0]) == {
        "location_id",
        "name",
        "created_at",
        "status",
        "suspended_until",
        "numbers",
    }
