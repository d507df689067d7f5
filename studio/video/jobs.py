"""Render jobs of the clips page: one batch per show at a time, followed as a snapshot.

    ClipJobs (Protocol)    what the API and the page use: start, snapshot, wait
    └── LocalJobs          this process: a thread per job, at most ``max_batches`` running at once

A job moves queued → running → done | failed; any other move raises (JobState.move). ``done``
means the batch ran to its end and each clip says how it ended (rendered, skipped, failed);
``failed`` means the batch itself stopped (an unwritable folder, an unexpected error).

The snapshot is plain JSON data rebuilt from the batch's ProgressEvents by ``JobProgress.apply``.
Render workers behind a queue (issue 7) can publish the same events and keep the same snapshots
elsewhere (Redis, PostgreSQL) behind the same three methods; the page does not change. What such a
runner adds is a way to ship the Batch (recording path, cuts, template data) to the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from studio.errors import Conflict
from studio.observability import RENDER_JOBS
from studio.video.batch import Batch, BatchResult, ProgressEvent, clip_duration, render_batch
from studio.video.timecode import format_time


@contextlib.contextmanager
def _counted(state: str) -> Iterator[None]:
    """Counts a render batch in ``state`` (for /metrics) while the block runs."""
    RENDER_JOBS.labels(state).inc()
    try:
        yield
    finally:
        RENDER_JOBS.labels(state).dec()


log = logging.getLogger("studio.video.jobs")

ClipStatus = Literal["waiting", "running", "rendered", "skipped", "failed"]
Runner = Callable[[Batch, Callable[[ProgressEvent], None]], BatchResult]


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED)

    def move(self, to: JobState) -> JobState:
        """The next state; RuntimeError on a move the life cycle does not have."""
        allowed = {JobState.QUEUED: {JobState.RUNNING, JobState.FAILED},
                   JobState.RUNNING: {JobState.DONE, JobState.FAILED}}.get(self, set())
        if to not in allowed:
            raise RuntimeError(f"a render job cannot go from {self.value} to {to.value}")
        return to


@dataclass(slots=True)
class ClipProgress:
    index: int
    name: str
    sku: str | None
    title: str | None
    start: float
    end: float
    total: float  # seconds of finished clip (cards included)
    done: float = 0.0
    status: ClipStatus = "waiting"
    files: dict[str, str] = field(default_factory=dict)
    key: str = ""
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "sku": self.sku, "title": self.title,
                "start": self.start, "end": self.end, "status": self.status,
                "done": round(self.done, 3), "total": self.total, "files": dict(self.files),
                "key": self.key, "error": self.error}


@dataclass(slots=True)
class JobProgress:
    """One render of one show's cut list, as the page shows it."""

    id: str
    show_id: str
    clips: dict[str, ClipProgress]
    created_at: datetime
    state: JobState = JobState.QUEUED
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    version: int = 0  # bumped on every change, so watchers know when to send a new snapshot

    @classmethod
    def for_batch(cls, show_id: str, batch: Batch) -> JobProgress:
        clips = {}
        for spec in batch.clips:
            cut = spec.cut
            clips[cut.name] = ClipProgress(cut.index, cut.name, cut.sku, cut.title, cut.start,
                                           cut.end, clip_duration(batch.template, cut, batch.recording))
        return cls(uuid.uuid4().hex[:12], show_id, clips, datetime.now(UTC))

    def begin(self) -> None:
        self.state = self.state.move(JobState.RUNNING)
        self.started_at = datetime.now(UTC)

    def apply(self, event: ProgressEvent) -> None:
        """Fold one batch event into the snapshot."""
        clip = self.clips.get(event.name)
        if clip is None:
            return
        clip.total = event.total or clip.total
        if event.kind == "start":
            clip.status, clip.done = "running", 0.0
        elif event.kind == "progress":
            clip.status, clip.done = "running", min(event.done, clip.total)
        elif event.outcome is not None:
            outcome = event.outcome
            clip.status, clip.error = outcome.status, outcome.error
            clip.files, clip.key = dict(outcome.files), outcome.key
            clip.done = clip.total if outcome.status != "failed" else clip.done

    def finish(self, error: str | None = None) -> None:
        self.state = self.state.move(JobState.FAILED if error else JobState.DONE)
        self.error = error
        self.finished_at = datetime.now(UTC)
        if error:  # clips the batch never reached are not still waiting
            for clip in self.clips.values():
                if clip.status in ("waiting", "running"):
                    clip.status, clip.error = "failed", clip.error or "not rendered: the job stopped"

    def as_dict(self) -> dict[str, Any]:
        clips = sorted(self.clips.values(), key=lambda c: c.index)
        counts = {status: 0 for status in ("waiting", "running", "rendered", "skipped", "failed")}
        for clip in clips:
            counts[clip.status] += 1
        done, total = sum(c.done for c in clips), sum(c.total for c in clips)

        def moment(value: datetime | None) -> str | None:
            return value.isoformat(timespec="seconds") if value else None

        return {"id": self.id, "show": self.show_id, "state": self.state.value,
                "version": self.version, "created_at": moment(self.created_at),
                "started_at": moment(self.started_at), "finished_at": moment(self.finished_at),
                "done": round(done, 3), "total": round(total, 3), "counts": counts,
                "error": self.error, "clips": [c.as_dict() for c in clips]}


class ClipJobs(Protocol):
    """Where the clips page starts renders and reads their progress."""

    def start(self, show_id: str, batch: Batch) -> dict[str, Any]:
        """Queue ``batch`` as the show's job; Conflict when one is queued or running."""
        ...

    def snapshot(self, show_id: str) -> dict[str, Any] | None:
        """The show's newest job as JSON data, or None when it has none."""
        ...

    async def wait(self, show_id: str, after: int, timeout: float) -> dict[str, Any] | None:
        """The snapshot once its version passes ``after``, or as it is when ``timeout`` runs out."""
        ...


class LocalJobs:
    """Jobs in this process: each batch on its own thread (ffmpeg does the work in subprocesses)."""

    def __init__(self, max_batches: int = 1, runner: Runner = render_batch) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, JobProgress] = {}
        self._slots = threading.Semaphore(max_batches)  # more waits as "queued"
        self._runner = runner
        self._versions = itertools.count(1)  # one counter for all jobs: a new job is always newer
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._threads: dict[str, threading.Thread] = {}

    def start(self, show_id: str, batch: Batch) -> dict[str, Any]:
        with self._lock:
            current = self._jobs.get(show_id)
            if current is not None and not current.state.finished:
                snap = current.as_dict()
                finished = snap["counts"]["rendered"] + snap["counts"]["skipped"] + \
                    snap["counts"]["failed"]
                raise Conflict(f"a render of show {show_id!r} is already {current.state.value} "
                               f"({finished} of {len(current.clips)} clips finished); wait for it "
                               "to end before starting another")
            job = JobProgress.for_batch(show_id, batch)
            job.version = next(self._versions)
            self._jobs[show_id] = job
            thread = threading.Thread(target=self._run, args=(job, batch), daemon=True,
                                      name=f"clips-{show_id}")
            self._threads[show_id] = thread
        RENDER_JOBS.labels("queued").inc()
        thread.start()
        self._notify()
        return self.snapshot(show_id) or {}

    def snapshot(self, show_id: str) -> dict[str, Any] | None:
        with self._lock:
            job = self._jobs.get(show_id)
            return None if job is None else job.as_dict()

    async def wait(self, show_id: str, after: int, timeout: float) -> dict[str, Any] | None:
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(waiter)
        try:
            snap = self.snapshot(show_id)  # looked at after registering, so no change slips by
            if snap is None or snap["version"] > after:
                return snap
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter[1].wait(), timeout)
            return self.snapshot(show_id)
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    def join(self, show_id: str, timeout: float | None = None) -> bool:
        """Wait for the show's job thread to end (shutdown, tests); True when it has."""
        with self._lock:
            thread = self._threads.get(show_id)
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _run(self, job: JobProgress, batch: Batch) -> None:
        with self._slots, _counted("running"):
            RENDER_JOBS.labels("queued").dec()
            self._change(job, job.begin)
            log.info("rendering %d clips of %s into %s", len(job.clips), job.show_id, batch.out_dir)
            try:
                self._runner(batch, lambda event: self._change(job, lambda: job.apply(event)))
            except Exception as exc:  # the job must end in a state, whatever happened
                log.exception("render job %s of %s failed", job.id, job.show_id)
                message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                self._change(job, lambda: job.finish(message))
            else:
                self._change(job, job.finish)
        took = (job.finished_at - (job.started_at or job.created_at)).total_seconds() \
            if job.finished_at else 0.0
        log.info("render job %s of %s %s in %s", job.id, job.show_id, job.state.value,
                 format_time(took))

    def _change(self, job: JobProgress, change: Callable[[], None]) -> None:
        with self._lock:
            change()
            job.version = next(self._versions)
        self._notify()

    def _notify(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody is waiting
                loop.call_soon_threadsafe(event.set)
