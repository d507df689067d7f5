"""`studio show …`: register and list shows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from studio.cli_support import console, session_factory
from studio.db import transaction
from studio.errors import ValidationFailed
from studio.shows import schemas, service

app = typer.Typer(help="Shows (one broadcast each): create, list.", no_args_is_help=True)


def _parse_start(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise ValidationFailed(
            f"--start {text!r} is not an ISO 8601 time (e.g. 2026-12-01T20:00 or "
            "2026-12-01T20:00+08:00)"
        ) from None


@app.command("create")
def create_command(
    title: Annotated[str, typer.Argument(help="the show's title")],
    start: Annotated[str, typer.Option(help="ISO 8601 start; no offset = in --tz")],
    duration: Annotated[int, typer.Option(min=1, max=1440, help="planned minutes")],
    tz: Annotated[str, typer.Option(help="IANA timezone of the show")] = "Asia/Shanghai",
    platform: Annotated[str, typer.Option(help="douyin, kuaishou, taobao, tiktok, …")] = "douyin",
    show_id: Annotated[str | None, typer.Option("--id", help="slug id (default: date-title)")]
    = None,
) -> None:
    """Register a show and print its id."""
    service.zone(tz)
    show_in = schemas.ShowCreate(title=title, scheduled_start=_parse_start(start),
                                 planned_duration_minutes=duration, timezone=tz,
                                 platform=platform, id=show_id)
    with transaction(session_factory()) as session:
        show = service.create_show(session=session, show_in=show_in)
        show_id = show.id
    console.print(show_id)


@app.command("list")
def list_command(
    json_output: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List shows, newest first."""
    with transaction(session_factory()) as session:
        shows, total = service.list_shows(session=session, limit=10000)
        views = [service.show_out(s) for s in shows]
    if json_output:
        items = [v.model_dump(mode="json") for v in views]
        console.print_json(json.dumps({"total": total, "items": items}, ensure_ascii=False))
        return
    table = Table("id", "title", "platform", "start (local)", "min", "status",
                  title=f"{total} shows")
    for v in views:
        table.add_row(v.id, escape(v.title), escape(v.platform),
                      f"{v.scheduled_start:%Y-%m-%d %H:%M} {v.timezone}",
                      str(v.planned_duration_minutes),
                      v.status.value + (f" · 彩排 rehearsal of {v.rehearsal_of}" if v.rehearsal
                                        else ""))
    console.print(table)
