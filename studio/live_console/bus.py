"""Fan-out between server workers: Redis pub/sub as a doorbell, the database log as the truth.

Every worker keeps its own replica of each live show it serves. The worker that carries out a
command writes the events to the log first (the ``(show_id, seq)`` unique constraint makes the
numbering gap-free whoever writes), then publishes them on ``studio:<db>:live:<show>``, where
``<db>`` is a digest of the database URL: deployments sharing one Redis never hear each other. The other
workers apply what they receive in seq order. A message they cannot place (a gap, or one
dropped while Redis restarted) makes them read the missing events from the log; they also
look at the log every second and after each reconnect, so a lost message only delays an event
and never loses it. Why not Redis Streams is in docs/deploy.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from studio import observability as metrics

log = logging.getLogger("studio.live.bus")
RECONNECT_SECONDS = 0.5
OUTBOX_SIZE = 10_000  # messages waiting to be published; beyond that the log carries them

Received = Callable[[str, list[dict[str, Any]]], Awaitable[None]]
Reconnected = Callable[[], Awaitable[None]]


class RedisBus:
    """Publishes this worker's events and hands other workers' events to ``on_events``."""

    def __init__(self, url: str, on_events: Received, on_reconnect: Reconnected, *,
                 database_url: str) -> None:
        import hashlib

        self.url = url
        digest = hashlib.blake2b(database_url.encode(), digest_size=6).hexdigest()
        self.channel = f"studio:{digest}:live:"
        self.origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.on_events = on_events
        self.on_reconnect = on_reconnect
        self.outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue(OUTBOX_SIZE)
        self.published = 0
        self.received = 0
        self.dropped = 0
        self.connected = False
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        import redis.asyncio as redis

        self.client = redis.Redis.from_url(self.url, socket_connect_timeout=2,
                                           socket_keepalive=True, health_check_interval=5)
        self._tasks = [asyncio.create_task(self._listen(), name="bus:listen"),
                       asyncio.create_task(self._publisher(), name="bus:publish")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self.client.aclose()

    def publish(self, show_id: str, events: list[dict[str, Any]]) -> None:
        """Queue events (already in the log) for the other workers; never blocks the caller."""
        text = json.dumps({"origin": self.origin, "events": events}, ensure_ascii=False,
                          separators=(",", ":"))
        try:
            self.outbox.put_nowait((self.channel + show_id, text))
        except asyncio.QueueFull:  # Redis is away for long: the others will read the log
            self.dropped += 1
            metrics.FANOUT_DROPPED.inc()

    async def _publisher(self) -> None:
        while True:
            channel, text = await self.outbox.get()
            try:
                await self.client.publish(channel, text)
                self.published += 1
                metrics.FANOUT_PUBLISHED.inc()
            except Exception as exc:
                self.dropped += 1
                metrics.FANOUT_DROPPED.inc()
                log.warning("live fan-out: publish failed (%s); other workers will read the log",
                            type(exc).__name__)
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen(self) -> None:
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.channel + "*")
                if not self.connected:
                    self.connected = True
                    log.info("live fan-out: subscribed to Redis")
                    await self.on_reconnect()  # whatever was missed while away, from the log
                async for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    await self._deliver(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.connected:
                    log.warning("live fan-out: lost Redis (%s); reconnecting", type(exc).__name__)
                self.connected = False
                await asyncio.sleep(RECONNECT_SECONDS)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _deliver(self, message: dict[str, Any]) -> None:
        channel = message["channel"]
        channel = channel.decode() if isinstance(channel, bytes) else channel
        try:
            body = json.loads(message["data"])
        except (TypeError, ValueError):
            log.warning("live fan-out: unreadable message on %s ignored", channel)
            return
        if body.get("origin") == self.origin:
            return
        self.received += 1
        metrics.FANOUT_RECEIVED.inc()
        try:
            await self.on_events(channel.removeprefix(self.channel), body.get("events") or [])
        except Exception:  # one show's trouble must not stop the others' fan-out
            log.exception("live fan-out: applying events for %s failed", channel)
