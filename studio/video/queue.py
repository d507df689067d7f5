"""Render jobs on other machines: the clips page queues a show's render on Redis, and
``studio worker`` processes anywhere take it, through Dramatiq.

Why Dramatiq: its Redis broker notices a worker that stopped heartbeating and puts the message
it held back on the queue, so a render worker killed mid-clip is retried by another within
seconds (RQ waits for the job's timeout plus a minute and a maintenance pass; Celery needs
acks_late and a visibility timeout tuned to the longest render). Retries, time limits and
worker processes come with it; we write no queue of our own.

A message carries only the show and whether to force: the worker rebuilds the batch from the
same shared folder (``STUDIO_HOME``) and database as the web server, so what it renders is the
cut list as saved. Progress goes the other way as the job's snapshot (studio.video.jobs) in a
Redis key the clips page reads. A render resumes on retry: clips already written are skipped
by their resume key, and leftovers of the interrupted clip are removed first.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from typing import Any

from studio.config import Settings
from studio.errors import Conflict, ValidationFailed
from studio.video.batch import Batch, ProgressEvent
from studio.video.jobs import JobProgress, JobState

log = logging.getLogger("studio.video.queue")
QUEUE = "clips"
HEARTBEAT_MS = 10_000  # a worker silent this long is gone; its job goes back on the queue
MAINTENANCE_CHANCE = 200_000  # per million broker commands: requeue checks run often
TIME_LIMIT_MS = 6 * 3600 * 1000  # the longest batch we accept (a 3-hour show, many clips)
LOCK_SECONDS = 24 * 3600  # one active render per show, even if every worker is lost
SAVE_EVERY = 0.5  # progress snapshots written at most twice a second


def namespace(settings: Settings) -> str:
    """Redis keys of one deployment: a digest of its database URL, as the live fan-out does."""
    digest = hashlib.blake2b(settings.resolved_database_url.encode(), digest_size=6).hexdigest()
    return f"studio:{digest}"


def _keys(settings: Settings, show_id: str) -> tuple[str, str, str]:
    base = f"{namespace(settings)}:clips:{show_id}"
    return f"{base}:job", f"{base}:active", f"{namespace(settings)}:clips:version"


def make_broker(settings: Settings) -> Any:
    """The Dramatiq broker on the configured Redis, with the render actor declared on it."""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    if not settings.redis_url:
        raise ValidationFailed("render workers need STUDIO_REDIS_URL (the queue lives there)")
    broker = RedisBroker(url=settings.redis_url, namespace=f"{namespace(settings)}:dramatiq",
                         heartbeat_timeout=HEARTBEAT_MS, maintenance_chance=MAINTENANCE_CHANCE)
    # max_retries=0: a clip that fails is reported in the manifest, and a batch that fails as
    # a whole (the cut list became unrenderable) would fail again. The retry that matters, a
    # worker lost mid-render, is the broker putting the unacknowledged message back.
    dramatiq.actor(render_show, actor_name="studio_render_show", queue_name=QUEUE,
                   broker=broker, max_retries=0, time_limit=TIME_LIMIT_MS)
    return broker


def queue_depth(settings: Settings) -> int:
    """Batches waiting for a worker (Dramatiq's list of message ids for the queue)."""
    return int(_redis(settings).llen(f"{namespace(settings)}:dramatiq:{QUEUE}"))


def _redis(settings: Settings) -> Any:
    import redis

    return redis.Redis.from_url(settings.redis_url or "", socket_connect_timeout=2)


def _save(client: Any, settings: Settings, job: JobProgress) -> None:
    key, _, version = _keys(settings, job.show_id)
    job.version = int(client.incr(version))
    client.set(key, json.dumps(job.as_dict(), ensure_ascii=False), ex=30 * 24 * 3600)


class QueueJobs:
    """The clips page's jobs (studio.video.jobs.ClipJobs) when renders run on workers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = _redis(settings)
        self.broker = make_broker(settings)

    def start(self, show_id: str, batch: Batch) -> dict[str, Any]:
        active = _keys(self.settings, show_id)[1]
        job = JobProgress.for_batch(show_id, batch)
        if not self.client.set(active, job.id, nx=True, ex=LOCK_SECONDS):
            current = self.snapshot(show_id) or {}
            raise Conflict(f"a render of show {show_id!r} is already "
                           f"{current.get('state', 'queued')}; wait for it to end before "
                           "starting another")
        _save(self.client, self.settings, job)
        self.broker.get_actor("studio_render_show").send(show_id, batch.force, job.id)
        return self.snapshot(show_id) or {}

    def snapshot(self, show_id: str) -> dict[str, Any] | None:
        raw = self.client.get(_keys(self.settings, show_id)[0])
        return None if raw is None else json.loads(raw)

    async def wait(self, show_id: str, after: int, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while True:
            snap = await asyncio.to_thread(self.snapshot, show_id)
            if snap is None or snap["version"] > after or time.monotonic() >= deadline:
                return snap
            await asyncio.sleep(0.25)


def render_show(show_id: str, force: bool, job_id: str) -> None:
    """The actor: rebuild the show's batch here and render it, saving progress as it goes."""
    from studio.cli_support import session_factory
    from studio.config import get_settings
    from studio.video.batch import render_batch
    from studio.video.workspace import build_batch

    settings = get_settings()
    client = _redis(settings)
    _, active, _ = _keys(settings, show_id)
    try:
        with session_factory()() as session:
            batch = build_batch(session, settings, show_id, force=force)
    except ValidationFailed as exc:  # the cut list changed into something unrenderable
        _finish_unbuilt(client, settings, show_id, job_id, exc.message)
        return
    job = JobProgress.for_batch(show_id, batch)
    job.id = job_id
    job.begin()
    _save(client, settings, job)
    saved = [time.monotonic()]

    def progress(event: ProgressEvent) -> None:
        job.apply(event)
        moment = time.monotonic()
        if event.kind == "done" or moment - saved[0] >= SAVE_EVERY:
            saved[0] = moment
            _save(client, settings, job)

    log.info("worker: rendering %d clips of %s", len(batch.clips), show_id)
    try:
        render_batch(batch, progress)
    except Exception as exc:  # the job must end in a state the page can show
        log.exception("worker: render of %s failed", show_id)
        job.finish(f"{type(exc).__name__}: {exc}")
    else:
        job.finish()
    _save(client, settings, job)
    client.delete(active)


def _finish_unbuilt(client: Any, settings: Settings, show_id: str, job_id: str,
                    message: str) -> None:
    key, active, version = _keys(settings, show_id)
    raw = client.get(key)
    snap = json.loads(raw) if raw else {}
    snap.update({"id": job_id, "state": JobState.FAILED.value, "error": message})
    snap["version"] = int(client.incr(version))
    client.set(key, json.dumps(snap, ensure_ascii=False))
    client.delete(active)


def run_worker(settings: Settings, threads: int = 1) -> None:
    """``studio worker``: take render jobs until SIGINT or SIGTERM."""
    import signal
    import threading

    import dramatiq

    broker = make_broker(settings)
    dramatiq.set_broker(broker)
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=threads)
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    worker.start()
    log.info("worker: waiting for clip jobs (queue %r, %d thread(s))", QUEUE, threads)
    try:
        stop.wait()
    finally:
        worker.stop(timeout=10_000)
        broker.close()
