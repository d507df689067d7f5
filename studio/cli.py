"""The `studio` command: init, serve, doctor, db, and each subsystem's sub-commands."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.markup import escape
from rich.table import Table

from studio import __version__
from studio.catalog.cli import app as catalog_app
from studio.cli_support import StudioGroup, console, print_error, session_factory
from studio.config import get_settings
from studio.errors import ValidationFailed
from studio.live_console.cli import app as live_app
from studio.live_console.cli import simulate_command
from studio.rehearsal.cli import demo_command, rehearse_command
from studio.replay.cli import app as replay_app
from studio.scripts.cli import app as plan_app
from studio.shows.cli import app as show_app
from studio.video.cli import app as clip_app

app = typer.Typer(
    name="studio",
    cls=StudioGroup,
    help="Studio: catalogue, show plans, live console, clips and replay for live-commerce teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(show_app, name="show")
app.add_typer(plan_app, name="plan")
app.add_typer(live_app, name="live")
app.add_typer(clip_app, name="clip")
app.add_typer(replay_app, name="replay")
app.add_typer(db_app, name="db")
app.command("simulate")(simulate_command)
app.command("rehearse")(rehearse_command)
app.command("demo")(demo_command)


def _version(value: bool) -> None:
    if value:
        console.print(f"studio {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version")] = False,
) -> None:
    """Settings come from STUDIO_* environment variables (see `studio doctor`)."""


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Migrate the database to REVISION (default: the newest)."""
    from studio import schema
    from studio.db import make_engine

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        schema.upgrade(engine, revision)
        console.print(f"database at revision {schema.current_revision(engine)}")
    finally:
        engine.dispose()


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision."""
    from studio import schema
    from studio.db import make_engine

    engine = make_engine(get_settings().resolved_database_url)
    try:
        console.print(schema.current_revision(engine) or "empty")
    finally:
        engine.dispose()


@app.command()
def init(
    demo: Annotated[bool, typer.Option(help="load the demo catalogue and a demo show")] = False,
) -> None:
    """Create the data folder and database (migrated to the newest schema); optionally demo data."""
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    db_upgrade("head")
    if demo:
        from studio.db import transaction
        from studio.demo import load_demo

        with transaction(session_factory()) as session:
            report, show = load_demo(session=session)
            show_id = show.id
        console.print(
            f"demo catalogue: {report.created_skus} SKUs created, {report.updated_skus} updated, "
            f"{report.unchanged_skus} unchanged; demo show: {show_id}"
        )
    console.print(f"ready: {settings.home.resolve()}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="server processes; more than one "
                                         "needs STUDIO_REDIS_URL (live events fan out through "
                                         "Redis)")] = 1,
) -> None:
    """Run the web server (pages, JSON API, docs) until stopped with Ctrl-C."""
    import uvicorn

    from studio.app import create_app

    settings = get_settings()
    if workers > 1 and not settings.redis_url:
        raise ValidationFailed("--workers: more than one worker needs STUDIO_REDIS_URL, so that "
                               "live events reach clients on every worker (see docs/deploy.md)")
    factory = session_factory()  # refuses an unmigrated database with a clear message first
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    console.print("[bold]Studio is starting[/]")
    from studio.db import transaction
    from studio.live_console import tokens
    from studio.scripts import service as plan_service

    secret = tokens.server_secret(settings)
    with transaction(factory) as session:
        plan_ids = [p.id for p in plan_service.list_plans(session=session)][:3]
        show_tokens = {plan_id: tokens.tokens_for(session, secret, plan_id) for plan_id in plan_ids}
    pages = [("catalogue 商品库", "/catalog"), ("shows 直播场次", "/shows"),
             ("plans 排品脚本", "/plans"), ("clips 切片", "/clips"), ("replay 复盘", "/replay")]
    for plan_id in plan_ids:
        current = show_tokens[plan_id]
        pages += [("operator console 中控台", f"/live/{plan_id}/console?token={current['operator']}"),
                  ("host screen 主播屏", f"/plans/{plan_id}/host?token={current['host']}"),
                  ("overlay: product card",
                   f"/live/{plan_id}/overlay/card?token={current['overlay']}")]
    pages.append(("API docs", "/api/docs"))
    from studio.observability import redact

    # tokens only to a person at a terminal: under a service manager stdout becomes a log
    shown_tokens = sys.stdout.isatty()
    width = max(cell_len(label) for label, _ in pages)
    for label, path in pages:  # URLs whole on one line, so they can be clicked and copied
        line = f"  {label}{' ' * (width - cell_len(label))}  {base}{path}"
        console.print(line if shown_tokens else redact(line), markup=False,
                      highlight=False, overflow="ignore", crop=False)
    if plan_ids:
        hidden = "" if shown_tokens else " (tokens hidden here: not a terminal)"
        console.print(f"  every overlay and token: studio live urls {plan_ids[0]} --base {base}"
                      + hidden, markup=False, highlight=False)
    if workers > 1 and settings.resolved_database_url.startswith("sqlite"):
        console.print("note: several workers share one SQLite file; PostgreSQL is the tested "
                      "choice for that (docs/deploy.md)", markup=False)
    options: dict[str, Any] = dict(
        host=host, port=port, log_level="info", ws_max_size=1024 * 1024, ws_ping_interval=20,
        ws_ping_timeout=20,
        # frames are ~1 KB: compressing each once per subscriber cost more than it saved
        # (p99 110 ms → 42 ms for 500 subscribers, docs/benchmarks.md)
        ws_per_message_deflate=False)
    from studio.observability import MULTIPROC_ENV, log_config

    options["log_config"] = log_config(settings.log_format)
    if workers > 1:  # each worker process builds its app from the same environment
        import tempfile

        # /metrics on any worker sums the samples all of them write to this folder
        os.environ.setdefault(MULTIPROC_ENV, tempfile.mkdtemp(prefix="studio-metrics-"))
        uvicorn.run("studio.app:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)


@app.command()
def worker(
    threads: Annotated[int, typer.Option(min=1, max=16, help="clip batches at once in this "
                                         "process (each runs ffmpeg, which uses every core)")] = 1,
) -> None:
    """Take clip render jobs from the Redis queue until stopped (see docs/deploy.md)."""
    from studio.observability import log_config
    from studio.video.queue import run_worker

    settings = get_settings()
    session_factory()  # refuses an unmigrated database with a clear message first
    import logging.config

    logging.config.dictConfig(log_config(settings.log_format))
    console.print(f"studio worker: waiting for clip jobs ({threads} at a time); Ctrl-C stops",
                  markup=False)
    run_worker(settings, threads)


@app.command()
def doctor() -> None:
    """Check ffmpeg and its filters, a CJK font, the database and Redis; say what to fix."""
    from studio.doctor import run_checks

    checks = run_checks(get_settings())
    table = Table("check", "status", "detail", "how to fix")
    for check in checks:
        status = "[green]ok[/]" if check.ok else ("[red]FAIL[/]" if check.required else "[yellow]warn[/]")
        table.add_row(check.name, status, escape(check.detail), "" if check.ok else escape(check.fix))
    console.print(table)
    failed = [c for c in checks if not c.ok and c.required]
    if failed:  # the fixes again, unwrapped, where a script or a narrow terminal still reads them
        print_error(f"{len(failed)} check(s) failed: "
                    + "; ".join(f"{c.name} ({c.fix})" for c in failed))
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="studio")
