"""Consent: an opt-in recorded one at a time, a batch import with an answer per row, and the
ledger exported for an audit: consent must be logged and tracked."""

import base64
import binascii
import csv
import hashlib
import io
import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError

from smsgate.dal import consent as store
from smsgate.dal import contacts, locations
from smsgate.errors import SmsgateError
from smsgate.models.entities import ConsentEntry
from smsgate.models.location_requests import ConsentRequest, ConsentRow
from smsgate.models.location_views import ConsentBatchAnswer, ContactView
from smsgate.models.moments import as_utc
from smsgate.policy.consent import future_capture, is_acquired_list
from smsgate.reasons import ReasonCode
from smsgate.services.contacts import contact_view

ExportFormat = Literal["csv", "jsonl"]
EXPORT_FIELDS = (
    "location_id",
    "phone",
    "entry_id",
    "action",
    "source",
    "evidence",
    "captured_at",
    "recorded_at",
    "actor",
)


def refuse_acquired_list(source: str) -> None:
    """Consent from a bought, sold or exchanged list never counts (docs/policy.md#consent)."""
    if is_acquired_list(source):
        raise SmsgateError(
            ReasonCode.NO_CONSENT,
            "Consent cannot be bought, sold or exchanged: a purchased or shared list is not an opt-in.",
            details={"source": source},
        )


def refuse_future_capture(captured_at: datetime | None, now: datetime) -> None:
    """A consent cannot have been captured after now (docs/api.md#consent-time)."""
    problem = future_capture(captured_at, now) if captured_at is not None else None
    if problem is not None:
        raise SmsgateError(
            ReasonCode.VALIDATION_ERROR,
            f"captured_at: {problem}",
            details={"fields": [{"field": "captured_at", "problem": problem}]},
        )


def record_consent(
    location_id: str, phone: str, request: ConsentRequest, actor: str, now: datetime
) -> ContactView:
    """Record an opt-in in the ledger; bought, sold or exchanged lists never count."""
    locations.require_location(location_id)
    refuse_acquired_list(request.source)
    refuse_future_capture(request.captured_at, now)
    entry = ConsentEntry(
        entry_id=str(uuid.uuid4()),
        action="opt_in",
        source=request.source,
        evidence=request.evidence,
        captured_at=as_utc(request.captured_at or now),
        recorded_at=now,
        actor=actor,
    )
    store.record_consent(location_id, phone, entry, "opted_in")
    return contact_view(contacts.get_contact(location_id, phone))


def import_entry_id(row: ConsentRow) -> str:
    """The same row always names the same ledger line: a digest of what it says."""
    evidence = hashlib.sha256((row.evidence or "").encode()).hexdigest()
    text = "\n".join((row.phone, row.source, as_utc(row.captured_at).isoformat(), evidence))
    return "import-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'row'}: {error['msg']}" for error in exc.errors()
    )


def _raw_phone(raw: Any) -> str | None:
    phone = raw.get("phone") if isinstance(raw, dict) else None
    return phone if isinstance(phone, str) else None


def import_consents(location_id: str, rows: list[Any], actor: str, now: datetime) -> ConsentBatchAnswer:
    """Validate each row as the single consent call does and record the new ones; answer
    `{results: [{row, phone, status, code?, message?}], recorded, unchanged, rejected}` where
    `row` is the row's index in the request."""
    locations.require_location(location_id)
    results: list[dict[str, Any]] = []
    lines: dict[str, tuple[int, str, ConsentEntry]] = {}
    for index, raw in enumerate(rows):
        try:
            row = ConsentRow.model_validate(raw)
            refuse_acquired_list(row.source)
            refuse_future_capture(row.captured_at, now)
        except ValidationError as exc:
            results.append(_rejected(index, _raw_phone(raw), ReasonCode.VALIDATION_ERROR, _problems(exc)))
            continue
        except SmsgateError as refusal:
            results.append(_rejected(index, _raw_phone(raw), refusal.code, refusal.message))
            continue
        entry = ConsentEntry(
            entry_id=import_entry_id(row),
            action="opt_in",
            source=row.source,
            evidence=row.evidence,
            captured_at=as_utc(row.captured_at),
            recorded_at=now,
            actor=actor,
        )
        # The same row twice in one call is recorded once.
        status = "unchanged" if entry.entry_id in lines else "recorded"
        lines.setdefault(entry.entry_id, (index, row.phone, entry))
        results.append({"row": index, "phone": row.phone, "status": status})
    candidates = [(phone, entry) for _, phone, entry in lines.values()]
    found = store.recorded_ledger_lines(location_id, candidates)
    for index, _, entry in lines.values():
        if entry.entry_id in found:
            results[index]["status"] = "unchanged"
    new = [(phone, entry) for _, phone, entry in lines.values() if entry.entry_id not in found]
    if new:
        store.import_consents(location_id, new, "opted_in")
    tally = {status: sum(1 for r in results if r["status"] == status) for status in ("recorded", "unchanged")}
    return ConsentBatchAnswer.model_validate(
        {
            "results": results,
            "recorded": tally["recorded"],
            "unchanged": tally["unchanged"],
            "rejected": len(results) - tally["recorded"] - tally["unchanged"],
        }
    )


def _rejected(index: int, phone: str | None, code: ReasonCode, message: str) -> dict[str, Any]:
    return {"row": index, "phone": phone, "status": "rejected", "code": str(code), "message": message}


# --- export --------------------------------------------------------------------------------------


def encode_cursor(location_id: str, sort_key: str) -> str:
    text = json.dumps({"location_id": location_id, "after": sort_key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(location_id: str, phone: str | None, cursor: str) -> str:
    """The sort key a cursor continues after; VALIDATION_ERROR for one this export did not issue."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = data["after"]
        ok = data["location_id"] == location_id and isinstance(after, str)
    except (binascii.Error, ValueError, KeyError, TypeError):
        ok = False
    if not ok or not after.startswith(f"LEDGER#{phone}#" if phone else "LEDGER#"):
        raise SmsgateError(ReasonCode.VALIDATION_ERROR, "cursor: not a cursor of this export")
    return str(after)


def _export_rows(location_id: str, lines: Iterable[tuple[str, ConsentEntry]]) -> list[dict[str, Any]]:
    return [
        {"location_id": location_id, "phone": phone, **entry.model_dump(mode="json")}
        for phone, entry in lines
    ]


def render(rows: list[dict[str, Any]], export_format: ExportFormat) -> str:
    """CSV with its header on every page (each page stands alone), or JSON lines."""
    if export_format == "jsonl":
        return "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def export_page(
    location_id: str, phone: str | None, export_format: ExportFormat, limit: int, cursor: str | None
) -> tuple[str, str | None]:
    """One page of the ledger rendered as `export_format`, and the cursor of the next page
    (None on the last one). One DynamoDB Query per page, never the whole ledger at once."""
    locations.require_location(location_id)
    after = decode_cursor(location_id, phone, cursor) if cursor else None
    lines, last = store.ledger_page(location_id, phone, limit, after)
    next_cursor = encode_cursor(location_id, last) if last else None
    return render(_export_rows(location_id, lines), export_format), next_cursor
