"""`studio rehearse SHOW` and `studio demo`: a show run end to end in accelerated time."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

import typer
from rich.cells import cell_len

from studio.cli_support import console, session_factory
from studio.config import get_settings

if TYPE_CHECKING:
    from studio.rehearsal import run as runner

SpeedOption = Annotated[float, typer.Option(
    min=0.01, max=3600, help="show seconds per second: 60 plays a 3-hour show in 3 minutes")]
MinutesOption = Annotated[float | None, typer.Option(
    min=0.1, help="show minutes to rehearse (default: the whole plan)")]
SeedOption = Annotated[int, typer.Option(help="the same seed sends the same audience")]


def _tick(tick: runner.Tick) -> None:
    console.print(f"  {tick.show_time.strftime('%H:%M')}  minute {tick.minute:>3}/{tick.minutes}"
                  f"  GMV ¥{tick.gmv:>12,.2f}  orders {tick.orders:>6,}  online {tick.online:>6,}"
                  f"  card {tick.card or '—'}", markup=False, highlight=False)


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False)


def result_urls(base: str, result: runner.Rehearsal) -> list[tuple[str, str]]:
    """The pages of a finished rehearsal: console, host screen, overlays, clips, replay, compare."""
    from studio.live_console.cli import console_urls

    show, original = quote(result.show_id, safe=""), quote(result.rehearsal_of, safe="")
    pages = list(console_urls(base, result.show_id, result.tokens).items())
    pages += [("clips 切片", f"{base}/clips/{show}"),
              ("replay 复盘", f"{base}/replay/{show}"),
              ("compare 对比", f"{base}/replay/{show}/vs/{original}")]
    return pages


def print_result(base: str, result: runner.Rehearsal, note: str | None = None) -> None:
    """The URLs (tokens only to a person at a terminal, as `studio serve` does), then the
    figures, ending with GMV and orders and where the clips are."""
    from studio.observability import redact
    from studio.rehearsal import run as runner

    shown_tokens = sys.stdout.isatty()
    pages = result_urls(base, result)
    width = max(cell_len(label) for label, _ in pages)
    console.print()
    for label, url in pages:
        line = f"  {label}{' ' * (width - cell_len(label))}  {url}"
        console.print(line if shown_tokens else redact(line), markup=False, highlight=False,
                      overflow="ignore", crop=False)
    if not shown_tokens:
        console.print(f"  (tokens hidden here: not a terminal; `studio live urls {result.show_id}"
                      f" --base {base}` prints them)", markup=False, highlight=False)
    if note:
        console.print(note, markup=False, highlight=False)
    summary, replay = result.summary, result.replay
    assert summary is not None
    console.print()
    console.print(f"rehearsal {result.show_id} of {result.rehearsal_of}: {result.minutes:g} show "
                  f"minutes at ×{result.speed:g} in {result.wall_seconds:.0f} s; operator: "
                  f"{result.operator.line() if result.operator else '—'}",
                  markup=False, highlight=False)
    console.print(f"compare with the show: studio replay compare {result.show_id} "
                  f"{result.rehearsal_of}", markup=False, highlight=False)
    folder = runner.clips_folder(result.clips)
    clips = (f"{len(result.clips)} clips in {folder}" if folder else "no clips")
    console.print(f"GMV ¥{result.gmv:,} from {replay.get('orders', 0):,} orders "
                  f"({replay.get('units', 0):,} units; the simulated audience's ¥{summary.gmv:,}, "
                  f"nothing of it real sales) — {clips}", markup=False, highlight=False)


def rehearse_command(
    show: Annotated[str, typer.Argument(help="show id (it needs a plan)")],
    speed: SpeedOption = 60,
    minutes: MinutesOption = None,
    seed: SeedOption = 1,
    url: Annotated[str | None, typer.Option(
        help="a running Studio on the same database (default: serve one here while it runs)")]
    = None,
) -> None:
    """Rehearse a show 彩排 on a copy of it: a simulated audience, an automatic operator
    following the run sheet, then replay, a synthetic recording and clips."""
    from studio.rehearsal import run as runner

    settings = get_settings()
    result = runner.rehearse(settings, session_factory(), show, speed=speed, minutes=minutes,
                             seed=seed, url=url, on_tick=_tick, say=_say)
    print_result((url or "http://127.0.0.1:8000").rstrip("/"), result,
                 note=None if url else "  (these pages are there while `studio serve` runs)")


def demo_command(
    speed: SpeedOption = 60,
    minutes: MinutesOption = None,
    seed: SeedOption = 1,
    host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port to serve on")] = 8000,
    serve: Annotated[bool, typer.Option(help="keep serving the pages afterwards (--no-serve: "
                                             "exit when the rehearsal is done)")] = True,
) -> None:
    """The whole loop on this machine: demo catalogue and plan, then a rehearsal of the demo
    show (a new copy each run) with audience, operator, replay, recording and clips; then the
    pages are served until Ctrl-C."""
    from studio.cli import init
    from studio.demo import DEMO_SHOW_ID
    from studio.rehearsal import run as runner

    init(demo=True)
    settings = get_settings()
    factory = session_factory()
    server = runner.LocalServer(settings, host, port if serve else 0)
    base = server.start()
    try:
        console.print(f"serving at {base}; rehearsing {DEMO_SHOW_ID} at ×{speed:g}",
                      markup=False, highlight=False)
        result = runner.rehearse(settings, factory, DEMO_SHOW_ID, speed=speed, minutes=minutes,
                                 seed=seed, url=base, on_tick=_tick, say=_say)
    except BaseException:
        server.stop()
        raise
    if not serve:
        server.stop()
        print_result(f"http://127.0.0.1:{port}", result,
                     note=f"  (--no-serve: `studio serve --port {port}` serves these pages)")
        return
    print_result(base, result, note=f"  serving at {base} until Ctrl-C")
    server.wait()
