"""`smsgate …`: what operators do every week, over the HTTP API (docs/operations.md#the-smsgate-command)."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from smsgate_cli.api import Api, ApiError, default_api_url, is_aws_endpoint, path_part
from smsgate_cli.consent_file import Checkpoint, ImportTally, export_pages, file_digest, import_csv

app = typer.Typer(help="Operate smsgate: locations, usage, health, contacts, consent import and export.")
consent_app = typer.Typer(help="Import opt-ins from a CSV file; export the consent ledger.")
app.add_typer(consent_app, name="consent")


def _api(ctx: typer.Context) -> Api:
    api: Api = ctx.obj
    return api


@app.callback()
def main(
    ctx: typer.Context,
    api: Annotated[
        str | None,
        typer.Option(
            help="The API's base URL (default: SMSGATE_API_URL, else the running local stack's, else :3000)"
        ),
    ] = None,
    sigv4: Annotated[
        bool | None,
        typer.Option("--sigv4/--no-sigv4", help="Sign with SigV4 (default: for *.amazonaws.com)"),
    ] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile of the SigV4 credentials")] = None,
) -> None:
    base_url = api or default_api_url()
    ctx.obj = Api(base_url, sigv4=is_aws_endpoint(base_url) if sigv4 is None else sigv4, profile=profile)


def _fail(error: ApiError | ValueError | OSError) -> None:
    Console(stderr=True).print(f"[red]error:[/red] {error}")
    raise typer.Exit(1)


def _show(record: dict[str, Any], title: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    table = Table(title=title, show_header=False)
    for key, value in record.items():
        shown = json.dumps(value) if isinstance(value, dict | list) else str(value)
        table.add_row(key, shown)
    Console().print(table)


JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer")]


@app.command()
def locations(
    ctx: typer.Context, as_json: JsonOption = False, page_size: Annotated[int, typer.Option()] = 100
) -> None:
    """Every location, its status and numbers (follows the pages)."""
    found: list[dict[str, Any]] = []
    params: dict[str, str | int] = {"limit": page_size}
    try:
        while True:
            page = _api(ctx).get("/v1/locations", params)
            found += page["locations"]
            if not page["next_cursor"]:
                break
            params["cursor"] = page["next_cursor"]
    except ApiError as error:
        _fail(error)
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    table = Table("location", "name", "status", "created", "numbers", title=f"{len(found)} locations")
    for location in found:
        table.add_row(
            location["location_id"],
            location["name"],
            location["status"],
            location["created_at"][:10],
            ", ".join(location["numbers"]),
        )
    Console().print(table)


@app.command()
def usage(ctx: typer.Context, location: str, as_json: JsonOption = False) -> None:
    """Today's usage against the daily limit."""
    try:
        _show(_api(ctx).get(f"/v1/locations/{path_part(location)}/usage"), f"usage of {location}", as_json)
    except ApiError as error:
        _fail(error)


@app.command()
def health(ctx: typer.Context, location: str, as_json: JsonOption = False) -> None:
    """What the threshold audit sees now: counts, rates, thresholds, status."""
    try:
        _show(_api(ctx).get(f"/v1/locations/{path_part(location)}/health"), f"health of {location}", as_json)
    except ApiError as error:
        _fail(error)


@app.command()
def contact(ctx: typer.Context, location: str, phone: str, as_json: JsonOption = False) -> None:
    """A contact's consent, DND and consent ledger."""
    try:
        found = _api(ctx).get(f"/v1/locations/{path_part(location)}/contacts/{path_part(phone)}")
    except ApiError as error:
        _fail(error)
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    ledger = found.pop("ledger", [])
    _show(found, f"{phone} at {location}", False)
    table = Table("captured", "action", "source", "evidence", "actor", title="consent ledger")
    for line in ledger:
        table.add_row(
            line["captured_at"], line["action"], line["source"], line["evidence"] or "", line["actor"]
        )
    Console().print(table)


@consent_app.command("import")
def consent_import(
    ctx: typer.Context,
    location: str,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV: phone,source,evidence,captured_at")
    ],
    rejects: Annotated[
        Path | None, typer.Option(help="Where rejected rows go (default: FILE.rejects.csv)")
    ] = None,
    restart: Annotated[bool, typer.Option(help="Ignore the checkpoint of an interrupted import")] = False,
) -> None:
    """Import opt-ins, 500 rows a call; rejected rows and their reasons go to a file. Started
    again after an interruption, it carries on after the last call the API answered."""
    rejects = rejects or file.with_name(file.name + ".rejects.csv")
    checkpoint = Checkpoint(file.with_name(file.name + ".checkpoint"), location, file_digest(file))
    console = Console(stderr=True)
    columns = (
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("import", total=None)

        def advance(tally: ImportTally) -> None:
            progress.update(task, total=tally.rows, completed=tally.done)
            if not console.is_terminal:  # a log or a pipe still sees the import advance
                console.print(f"{tally.done}/{tally.rows} rows", highlight=False)

        try:
            tally = import_csv(_api(ctx), location, file, rejects, checkpoint, advance, restart)
        except (ApiError, ValueError, OSError) as error:
            progress.stop()
            if checkpoint.path.exists():
                console.print(f"interrupted: run the same command again to carry on ({checkpoint.path})")
            _fail(error)
    if tally.resumed_from:
        console.print(f"resumed after row {tally.resumed_from}")
    summary = Table("recorded", "unchanged", "rejected", title=f"{tally.rows} rows imported into {location}")
    summary.add_row(str(tally.recorded), str(tally.unchanged), str(tally.rejected))
    Console().print(summary)
    if tally.rejected:
        Console().print(f"rejected rows and their reasons: {rejects}")


@consent_app.command("export")
def consent_export(
    ctx: typer.Context,
    location: str,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File (default: stdout)")] = None,
    export_format: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "csv",
    phone: Annotated[str | None, typer.Option(help="Only this contact's ledger")] = None,
    page_size: Annotated[int, typer.Option(help="Ledger lines a call (at most 1000)")] = 1000,
) -> None:
    """The consent ledger of a location (or of one contact) for a carrier or TCR audit."""
    if export_format not in ("csv", "jsonl"):
        raise typer.BadParameter("csv or jsonl", param_hint="--format")
    stream = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        for page in export_pages(_api(ctx), location, export_format, phone, page_size):
            stream.write(page)
    except ApiError as error:
        _fail(error)
    finally:
        if output:
            stream.close()


if __name__ == "__main__":
    app()
