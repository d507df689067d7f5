"""One rehearsal from start to clips: copy, clock, operator and audience, replay, recording, clips.

``rehearse(...)`` is what `studio rehearse` and `studio demo` call. Without a server URL it serves
the app itself, in a thread on a free loopback port, for as long as the rehearsal runs (``demo``
passes its own server, which stays up afterwards). The database is the configured one either way:
the copy, its clock and the replay import are written here, the events by the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from studio.config import Settings
from studio.db import transaction
from studio.errors import ConfigurationError, StudioError
from studio.live_console import simulator, tokens
from studio.live_console.clock import ShowClock
from studio.rehearsal import operator as auto
from studio.rehearsal import service
from studio.rehearsal.replay_feed import FeedResult, feed_replay

LEAD_SECONDS = 1.0  # wall time between starting the clock and the show's first second
CLIP_JOBS = 1  # clips at once: x264 already uses every core (2 jobs gained 2% in docs/benchmarks.md)


class RehearsalError(StudioError):
    """A rehearsal that did not come out whole (refused batches, GMV that does not add up)."""


@dataclass(frozen=True, slots=True)
class Tick:
    """Where a running rehearsal is, for a progress line."""

    show_time: datetime  # in the show's own zone
    minute: int
    minutes: int
    card: str | None
    gmv: Decimal
    orders: int
    online: int


@dataclass
class Rehearsal:
    """What one rehearsal did and where its results are."""

    show_id: str
    rehearsal_of: str
    speed: float
    minutes: float
    seed: int
    timezone: str = "UTC"
    tokens: dict[str, str] = field(default_factory=dict)
    summary: simulator.Summary | None = None
    operator: auto.OperatorReport | None = None
    feed: FeedResult | None = None
    replay: dict[str, Any] = field(default_factory=dict)
    recording: Path | None = None
    clips: list[Path] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def gmv(self) -> Decimal:
        return Decimal(self.replay.get("gmv", "0"))


# ---- a server in this process ---------------------------------------------------------------------

class LocalServer:
    """The Studio app on uvicorn in a thread (its own event loop); ``url`` once it answers."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        from studio.app import create_app

        if port == 0:
            with socket.socket() as probe:
                probe.bind((host, 0))
                port = probe.getsockname()[1]
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.url = f"http://{shown}:{port}"
        config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning",
                                ws_max_size=1024 * 1024, ws_per_message_deflate=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="studio-server", daemon=True)

    def start(self, timeout: float = 30) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise ConfigurationError(f"the server at {self.url} did not start (is the port "
                                         "taken? choose another with --port)")
            time.sleep(0.05)
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def wait(self) -> None:
        """Serve until Ctrl-C (or the server stops by itself)."""
        try:
            while self.thread.is_alive():
                self.thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        url = self.start()
        try:
            yield url
        finally:
            self.stop()


# ---- the rehearsal ------------------------------------------------------------------------------

def create(settings: Settings, factory: sessionmaker[Session], show_id: str, *, speed: float
           ) -> tuple[str, str]:
    """Make the rehearsal copy of ``show_id``; its id and time zone."""
    with transaction(factory) as session:
        copy = service.create_copy(session=session, show_id=show_id, speed=speed)
        return copy.id, copy.timezone


def rehearse(settings: Settings, factory: sessionmaker[Session], show_id: str, *,
             speed: float = 60, minutes: float | None = None, seed: int = 1,
             url: str | None = None, rate: float = 120, peak_online: int = 5000,
             on_tick: Callable[[Tick], None] | None = None,
             say: Callable[[str], None] | None = None, media: bool = True) -> Rehearsal:
    """Rehearse ``show_id`` on a new copy: the run, then replay, recording and clips."""
    service.check_speed(speed)
    if minutes is not None and minutes <= 0:
        raise RehearsalError(f"--minutes {minutes:g}: give a length above 0")
    say = say or (lambda text: None)
    copy_id, zone = create(settings, factory, show_id, speed=speed)
    result = Rehearsal(copy_id, show_id, speed, minutes or 0, seed, timezone=zone)
    say(f"rehearsal copy {copy_id} of {show_id}, ×{speed:g}")
    started = time.monotonic()
    if url is None:
        with LocalServer(settings).running() as local:
            _run(settings, factory, result, local, rate, peak_online, on_tick, say)
    else:
        _run(settings, factory, result, url, rate, peak_online, on_tick, say)
    finish(settings, factory, result, say=say, media=media)
    result.wall_seconds = time.monotonic() - started
    return result


def _run(settings: Settings, factory: sessionmaker[Session], result: Rehearsal, url: str,
         rate: float, peak_online: int, on_tick: Callable[[Tick], None] | None,
         say: Callable[[str], None]) -> None:
    from studio.scripts import service as plan_service

    secret = tokens.server_secret(settings)
    with transaction(factory) as session:  # the show's first second comes a moment from now,
        # once the operator and the audience are connected
        clock = service.start_clock(session=session, show_id=result.show_id,
                                    at=datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS))
        result.tokens = tokens.tokens_for(session, secret, result.show_id)
        plan = plan_service.get_plan(session=session, plan_id=result.show_id)
        doc = plan_service.current_doc(session=session, plan=plan)
    length = (auto.plan_end(doc) - clock.show_start).total_seconds() / 60
    minutes = min(result.minutes, length) if result.minutes else length
    result.minutes = minutes
    end = clock.show_start + timedelta(minutes=minutes)
    steps = auto.schedule(doc, until=end)
    say(f"{len(steps)} operator steps over {minutes:g} show minutes "
        f"(about {clock.wall_seconds(minutes * 60):.0f} s)")
    summary, report = run_async(perform(url, result, clock, steps, minutes, rate=rate,
                                        peak_online=peak_online, on_tick=on_tick))
    result.summary, result.operator = summary, report


def run_async(coroutine: Any) -> Any:
    """``asyncio.run``, or in a thread of its own when this thread already runs a loop (a
    notebook, or a test process that drove a browser)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def perform(url: str, result: Rehearsal, clock: ShowClock, steps: list[auto.Step],
                  minutes: float, *, rate: float = 120, peak_online: int = 5000,
                  on_tick: Callable[[Tick], None] | None = None
                  ) -> tuple[simulator.Summary, auto.OperatorReport]:
    """The show itself: the operator follows ``steps`` while the audience plays, then it ends."""
    operator = auto.AutoOperator(url, result.show_id, result.tokens["operator"], clock)
    await operator.open()
    stop = asyncio.Event()
    total = max(1, round(minutes))
    zone = ZoneInfo(result.timezone)

    def progress(summary: simulator.Summary) -> None:
        if on_tick is None:
            return
        card = operator.view.get("card") or {}
        moment = clock.show_start + timedelta(seconds=summary.simulated_seconds)
        on_tick(Tick(moment.astimezone(zone),
                     summary.simulated_seconds // 60, total, card.get("title") or card.get("sku"),
                     summary.gmv, summary.kinds["order"], summary.online))

    try:
        await operator.wait_until(clock.show_start)
        await operator.begin()  # live at the show's first second
        # at high speed a batch spans many show seconds; keep it to about two
        batch = min(0.2, max(0.02, 2.0 / clock.speed))
        audience = asyncio.create_task(simulator.simulate(
            url, result.show_id, result.tokens["ingest"], seed=result.seed, rate=rate,
            minutes=minutes, peak_online=peak_online, batch_seconds=batch, progress_seconds=4,
            on_progress=progress, stop=stop, clock=clock))
        following = asyncio.create_task(operator.run(steps, stop))
        try:  # either side failing stops the other at once
            await asyncio.wait({following, audience}, return_when=asyncio.FIRST_EXCEPTION)
            for task in (following, audience):
                if task.done() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            report, summary = following.result(), audience.result()
        finally:
            stop.set()
            for task in (following, audience):
                if not task.done():
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        progress(summary)
        await operator.end()
    finally:
        await operator.close()
    return summary, report


def finish(settings: Settings, factory: sessionmaker[Session], result: Rehearsal, *,
           say: Callable[[str], None], media: bool = True) -> None:
    """After the show: orders, minutes and comments into replay (checked against what the
    audience sent), then the synthetic recording and the clips."""
    from studio.replay import service as replay_service

    summary = result.summary
    assert summary is not None
    if summary.rejected or summary.unanswered or summary.ended:
        raise RehearsalError(
            f"the audience's messages did not all reach {result.show_id}: {summary.rejected} "
            f"refused, {summary.unanswered} batches unanswered"
            + (", the show ended early" if summary.ended else ""))
    result.feed = feed = feed_replay(settings, factory, result.show_id)
    with transaction(factory) as session:
        result.replay = replay_service.summary_json(
            replay_service.build_review(session, result.show_id, full=False))
    if feed.gmv != summary.gmv or result.gmv != summary.gmv:
        raise RehearsalError(f"GMV does not add up: the audience ordered ¥{summary.gmv}, the "
                             f"event log holds ¥{feed.gmv}, replay says ¥{result.gmv}")
    say(f"replay: {feed.orders:,} orders, ¥{result.gmv:,} GMV, {feed.minutes} minutes, "
        f"{feed.comments:,} comments imported from {feed.folder}")
    if not media:
        return
    write_recording, render_clips = media_steps()
    say("writing the synthetic recording…")
    result.recording = write_recording(settings, factory, result.show_id)
    say(f"recording: {result.recording}")
    if not _cards_shown(factory, result.show_id):
        say("no product card was on screen: no clips to cut")
        return
    say("rendering clips per product segment…")
    finished = 0

    def clip_done(event: Any) -> None:  # one line a clip: a long batch is visibly moving
        nonlocal finished
        if event.kind == "done" and event.outcome is not None:
            finished += 1
            outcome = event.outcome
            say(f"  clip {finished}: {outcome.name} {outcome.status} ({outcome.seconds:.1f} s)")

    result.clips = list(render_clips(settings, factory, result.show_id, jobs=CLIP_JOBS,
                                     progress=clip_done))


def _cards_shown(factory: sessionmaker[Session], show_id: str) -> bool:
    from sqlalchemy import select

    from studio.live_console.models import LiveEvent

    with factory() as session:
        return session.scalar(select(LiveEvent.id).where(
            LiveEvent.show_id == show_id, LiveEvent.type == "card.taken").limit(1)) is not None


def media_steps() -> tuple[Callable[..., Path], Callable[..., list[Path]]]:
    """``write_recording`` and ``render_clips``, imported only when a rehearsal gets that far."""
    try:
        from studio.rehearsal.clips import render_clips
        from studio.rehearsal.recording import write_recording
    except ModuleNotFoundError as exc:
        if exc.name not in ("studio.rehearsal.recording", "studio.rehearsal.clips"):
            raise
        raise ConfigurationError(f"this Studio has no {exc.name} yet: the rehearsal's replay is "
                                 "in, but its recording and clips cannot be made") from None
    return write_recording, render_clips


def clips_folder(clips: list[Path]) -> Path | None:
    """The folder the clips are in (their common parent)."""
    if not clips:
        return None
    import os

    return Path(os.path.commonpath([clip.parent for clip in clips]))
