"""Consent files: a CSV imported 500 rows a call, resumable, and the ledger exported page by page.

The CSV has a header naming at least `phone` and `source`; `evidence` and `captured_at` are
read when present. Rows the API rejects go to a rejects file (the CSV's line, the row, the code
and the message). After each call the API answered, a checkpoint file records how many rows are
done, so that an interrupted import started again with the same file carries on after them; it is
removed when the import ends. Importing the same rows again changes nothing (`unchanged`).
"""

import csv
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from smsgate_cli.api import Api, path_part

BATCH_ROWS = 500  # the API's cap (smsgate.models.location_requests.CONSENT_BATCH_MAX_ROWS)
COLUMNS = ("phone", "source", "evidence", "captured_at")
REJECTS_HEADER = ("line", *COLUMNS, "code", "message")


@dataclass
class ImportTally:
    rows: int = 0
    done: int = 0
    recorded: int = 0
    unchanged: int = 0
    rejected: int = 0
    resumed_from: int = 0


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row of the CSV; empty cells are left out."""
    with path.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        missing = {"phone", "source"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: the header must name {', '.join(sorted(missing))}")
        for values in reader:
            yield (
                reader.line_num,
                {key: value for key in COLUMNS if (value := (values.get(key) or "").strip())},
            )


def count_rows(path: Path) -> int:
    return sum(1 for _ in read_rows(path))


class Checkpoint:
    """`<file>.checkpoint`: which file (by digest), for which location, how many rows are done."""

    def __init__(self, path: Path, location_id: str, digest: str) -> None:
        self.path, self.location_id, self.digest = path, location_id, digest

    def load(self) -> ImportTally | None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        if data.get("location_id") != self.location_id or data.get("sha256") != self.digest:
            return None
        return ImportTally(**{key: int(data[key]) for key in ("done", "recorded", "unchanged", "rejected")})

    def save(self, tally: ImportTally) -> None:
        state = {
            "location_id": self.location_id,
            "sha256": self.digest,
            "done": tally.done,
            "recorded": tally.recorded,
            "unchanged": tally.unchanged,
            "rejected": tally.rejected,
        }
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        temporary.write_text(json.dumps(state))
        os.replace(temporary, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _batches(path: Path, skip: int) -> Iterator[list[tuple[int, dict[str, str]]]]:
    batch: list[tuple[int, dict[str, str]]] = []
    for index, numbered in enumerate(read_rows(path)):
        if index < skip:
            continue
        batch.append(numbered)
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_rejects(
    out: TextIO, batch: list[tuple[int, dict[str, str]]], results: list[dict[str, Any]]
) -> None:
    writer = csv.writer(out, lineterminator="\n")
    for result in results:
        if result["status"] == "rejected":
            line, values = batch[result["row"]]
            writer.writerow(
                [line, *(values.get(key, "") for key in COLUMNS), result["code"], result["message"]]
            )
    out.flush()


def import_csv(
    api: Api,
    location_id: str,
    path: Path,
    rejects: Path,
    checkpoint: Checkpoint,
    on_batch: Callable[[ImportTally], None],
    restart: bool = False,
) -> ImportTally:
    """Send the CSV's rows 500 a call; `on_batch` is told the running tally after each call."""
    resumed = None if restart else checkpoint.load()
    tally = resumed or ImportTally()
    tally.rows = count_rows(path)
    tally.resumed_from = tally.done
    with rejects.open("a" if resumed else "w", newline="", encoding="utf-8") as out:
        if not resumed:
            csv.writer(out, lineterminator="\n").writerow(REJECTS_HEADER)
        on_batch(tally)
        for batch in _batches(path, tally.done):
            answer = api.request(
                "POST",
                f"/v1/locations/{path_part(location_id)}/contacts/consent:batch",
                {"rows": [values for _, values in batch]},
            ).json()
            _write_rejects(out, batch, answer["results"])
            tally.done += len(batch)
            tally.recorded += answer["recorded"]
            tally.unchanged += answer["unchanged"]
            tally.rejected += answer["rejected"]
            checkpoint.save(tally)
            on_batch(tally)
    checkpoint.clear()
    return tally


def export_pages(
    api: Api, location_id: str, export_format: str, phone: str | None, page_size: int
) -> Iterator[str]:
    """The ledger page by page, following X-Next-Cursor; a CSV's header only once."""
    params: dict[str, str | int] = {"format": export_format, "limit": page_size}
    if phone:
        params["phone"] = phone
    first = True
    while True:
        answer = api.request("GET", f"/v1/locations/{path_part(location_id)}/consent", params=params)
        body = answer.text
        if export_format == "csv" and not first:
            body = body.split("\n", 1)[1] if "\n" in body else ""
        first = False
        yield body
        cursor = answer.headers.get("X-Next-Cursor")
        if not cursor:
            return
        params["cursor"] = cursor
