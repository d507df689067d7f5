"""`studio live …`: role tokens, the console's URLs, and the event log export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from studio.cli_support import console, session_factory
from studio.config import get_settings
from studio.db import transaction
from studio.errors import ValidationFailed
from studio.live_console import service, tokens
from studio.shows import service as show_service

app = typer.Typer(help="Live console: tokens, URLs, event log export.", no_args_is_help=True)


def console_urls(base: str, show_id: str, current: dict[str, str]) -> dict[str, str]:
    """The pages of a show's live console, each with the token its role needs."""
    return {
        "operator console 中控台": f"{base}/live/{show_id}/console?token={current['operator']}",
        "host screen 主播屏": f"{base}/plans/{show_id}/host?token={current['host']}",
        "overlay: product card": f"{base}/live/{show_id}/overlay/card?token={current['overlay']}",
        "overlay: coupon": f"{base}/live/{show_id}/overlay/coupon?token={current['overlay']}",
        "overlay: comments": f"{base}/live/{show_id}/overlay/comments?token={current['overlay']}",
        "overlay: featured comment":
            f"{base}/live/{show_id}/overlay/featured?token={current['overlay']}",
        "overlay: stats": f"{base}/live/{show_id}/overlay/stats?token={current['overlay']}",
    }


@app.command("tokens")
def tokens_command(
    show: Annotated[str, typer.Argument(help="show id")],
    rotate: Annotated[str | None, typer.Option(help="revoke and replace one role's token")]
    = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print the show's role tokens (operator, host, overlay, ingest); --rotate revokes one."""
    if rotate is not None and rotate not in tokens.ROLES:
        raise ValidationFailed(f"--rotate takes one of {', '.join(tokens.ROLES)}")
    secret = tokens.server_secret(get_settings())
    with transaction(session_factory()) as session:
        show_service.get_show(session=session, show_id=show)
        if rotate:
            tokens.rotate(session, show, rotate)
        current = tokens.tokens_for(session, secret, show)
    if json_output:
        console.print_json(json.dumps(current))
        return
    for role, token in current.items():
        console.print(f"{role:<9} {token}", markup=False, highlight=False)


@app.command("urls")
def urls_command(
    show: Annotated[str, typer.Argument(help="show id")],
    base: Annotated[str, typer.Option(help="where the server is reached")] = "http://127.0.0.1:8000",
) -> None:
    """Print the operator console, host screen and OBS overlay URLs with their tokens."""
    secret = tokens.server_secret(get_settings())
    with transaction(session_factory()) as session:
        show_service.get_show(session=session, show_id=show)
        current = tokens.tokens_for(session, secret, show)
    for label, url in console_urls(base.rstrip("/"), show, current).items():
        console.print(f"{label:<26} {url}", markup=False, highlight=False, overflow="ignore",
                      crop=False)


@app.command("export")
def export_command(
    show: Annotated[str, typer.Argument(help="show id")],
    out: Annotated[Path, typer.Option(help="the .jsonl file to write")],
) -> None:
    """Write the show's event log as JSON Lines (one event a line, in seq order)."""
    with transaction(session_factory()) as session:
        count = service.export_jsonl(session, show, out)
    console.print(f"exported {count} events to {out}")


def simulate_command(
    show: Annotated[str, typer.Argument(help="show id")],
    rate: Annotated[float, typer.Option(min=0, help="comments a minute, on average")] = 120,
    speed: Annotated[float, typer.Option(min=0.01, help="simulated seconds per second")] = 1,
    minutes: Annotated[float, typer.Option(min=0.1, help="simulated minutes to run")] = 180,
    peak: Annotated[int, typer.Option(min=1, help="about the most viewers online at once")]
    = 5000,
    url: Annotated[str, typer.Option(help="where the server is reached")] = "http://127.0.0.1:8000",
    seed: Annotated[int, typer.Option(help="the same seed sends the same messages")] = 1,
    token: Annotated[str | None, typer.Option(help="ingest token (default: derived here)")]
    = None,
) -> None:
    """Drive a running show with a simulated audience 模拟观众: viewers, comments, likes, gifts,
    follows and orders for the card on screen, over the ingest WebSocket. Stop with Ctrl-C."""
    import asyncio
    import contextlib
    import signal

    from studio.live_console import simulator

    if token is None:
        secret = tokens.server_secret(get_settings())
        with transaction(session_factory()) as session:
            show_service.get_show(session=session, show_id=show)
            token = tokens.tokens_for(session, secret, show)["ingest"]

    def progress(summary: simulator.Summary) -> None:
        console.print(summary.line(), markup=False, highlight=False)

    async def run() -> simulator.Summary:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # Ctrl-C finishes the run (waits for the answers, prints the summary); on Windows, where
        # loops take no signal handlers, it ends the run at once.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, stop.set)
        return await simulator.simulate(url, show, token, seed=seed, rate=rate, speed=speed,
                                        minutes=minutes, peak_online=peak, on_progress=progress,
                                        stop=stop)

    console.print(f"simulating {show} at {url}: {rate:g} comments/min, ×{speed:g}, "
                  f"{minutes:g} simulated minutes, seed {seed} (Ctrl-C stops)")
    summary = asyncio.run(run())
    console.print(summary.line(), markup=False, highlight=False)
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in sorted(summary.kinds.items()))
    console.print(f"sent {summary.sent:,} messages in {summary.batches:,} batches ({kinds}); "
                  f"accepted {summary.accepted:,}, duplicates {summary.duplicates:,}, "
                  f"hidden {summary.hidden:,}, refused {summary.rejected:,}; "
                  f"{summary.reconnects} reconnects, {summary.resent} batches sent again"
                  + (f"; {summary.unanswered} batches unanswered" if summary.unanswered else "")
                  + ("; the show ended" if summary.ended else ""), markup=False, highlight=False)
