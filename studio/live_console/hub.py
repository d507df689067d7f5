"""The per-show hub: one writer that numbers events, commits them before acknowledging, applies
them to the live state and fans them out to every subscriber.

Ordering and durability: commands, server timers and comment batches all pass through one
``asyncio.Lock`` per show. Under it the hub decides the events, writes them in one transaction
(in a worker thread), applies them and queues the frames for every subscriber — and only then
answers. A subscriber registers under the same lock, so it can never miss or double an event
between its snapshot and the stream.

Fan-out never waits on a slow client: each subscriber has a bounded queue; when it overflows
the queue is emptied and the client gets a fresh snapshot instead of a backlog.

Several workers (``studio serve --workers N``, or several hosts) each keep a hub per show. The
log's ``(show_id, seq)`` unique constraint decides which worker's write takes the next number:
the loser reads what it missed, decides again on the newer state and retries (``SeqTaken``).
Events reach the other workers through the bus (studio/live_console/bus.py); a worker that
misses a message reads the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from studio import observability as metrics
from studio.live_console import commands as command_rules
from studio.live_console.clock import ShowClock
from studio.live_console.commands import Event, Rejected
from studio.live_console.feed import FeedMessage, comment_record
from studio.live_console.models import LiveEvent
from studio.live_console.state import LiveState

log = logging.getLogger("studio.live")
PROTOCOL = 1
RING_SIZE = 5000  # events kept in memory for resuming clients
QUEUE_SIZE = 2000  # frames a subscriber may fall behind before it is resynced
COMMAND_MEMORY = 20_000
FLUSH_SECONDS = 0.05  # comment batches: at most 20 frames a second per show
MAX_BATCH = 2000
PLAN_CHECK_SECONDS = 2.0
COMMIT_ATTEMPTS = 8  # tries when other workers keep taking the next seq first
WATCH_SECONDS = 1.0  # with other workers: how often the log is checked for missed events


async def _back_off(attempt: int) -> None:
    """Before a retry after losing the next seq to another worker: a random pause that doubles
    each time, so two workers writing at the same pace stop colliding in step."""
    if attempt:
        await asyncio.sleep(random.uniform(0, min(0.05, 0.002 * 2 ** attempt)))


class SeqTaken(Exception):
    """Another worker wrote the next seq first; the hub has caught up and the caller retries."""


LoggedRow = tuple[int, datetime, str, dict[str, Any], str | None]  # seq, at, type, data, command


def now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


@dataclass(slots=True)
class Frame:
    """One event as each kind of viewer receives it."""

    seq: int
    operator: str
    public: str

    def for_role(self, role: str) -> str:
        return self.operator if role == "operator" else self.public


class Subscriber:
    """One connected screen: a bounded outbox and a single waiter for its writer.

    A deque and one future instead of an ``asyncio.Queue``: fan-out to 500 screens calls
    ``offer`` 500 times per event, and the writer takes everything queued in one wake-up.
    """

    __slots__ = ("_waiter", "outbox", "resyncs", "role")

    def __init__(self, role: str) -> None:
        self.role = role
        self.outbox: deque[str | None] = deque()
        self.resyncs = 0
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, text: str | None, hub: ShowHub | None = None) -> None:
        if len(self.outbox) >= QUEUE_SIZE and hub is not None:
            self.outbox.clear()  # too far behind: a fresh snapshot replaces the backlog
            self.resyncs += 1
            metrics.LIVE_RESYNCS.inc()
            text = encode(hub.snapshot_message(self.role, reason="resync"))
        self.outbox.append(text)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def take(self) -> list[str | None]:
        """Everything queued, waiting for at least one frame."""
        while not self.outbox:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        frames = list(self.outbox)
        self.outbox.clear()
        return frames


@dataclass(slots=True)
class Outcome:
    """The answer to a command: the last event's seq, or a rejection."""

    command_id: str
    seq: int | None = None
    code: str | None = None
    reason: str | None = None
    template: str | None = None  # the reason's English template, for screens to translate
    params: dict[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.seq is not None

    def message(self, server_time: datetime | None = None) -> dict[str, Any]:
        """The ack or reject frame; ``server_time`` is the hub's (show) time, default the wall."""
        moment = stamp(server_time or now())
        if self.ok:
            return {"type": "ack", "id": self.command_id, "seq": self.seq,
                    "server_time": moment}
        frame = {"type": "reject", "id": self.command_id, "code": self.code,
                 "reason": self.reason, "server_time": moment}
        if self.template:
            frame |= {"message": self.template, "params": self.params or {}}
        return frame


@dataclass(slots=True)
class _Pending:
    messages: list[FeedMessage]
    future: asyncio.Future[dict[str, Any]]


class ShowHub:
    """Live state, event log and subscribers of one show.

    Everything the hub stamps or schedules reads ``self.now``: the wall clock, or for a rehearsal
    in accelerated time the show's clock (studio/live_console/clock.py), so events, deadlines and
    ``server_time`` all lie on the show's own time axis.
    """

    def __init__(self, show_id: str, factory: sessionmaker[Session],
                 loader: Callable[[Session, str], tuple[dict[str, Any], list[dict[str, Any]]]],
                 card_loader: Callable[[Session, list[str], str], dict[str, dict[str, Any]]],
                 bus: Any | None = None) -> None:
        self.show_id = show_id
        self.bus = bus  # set when other workers serve this show too
        self.factory = factory
        self._loader = loader
        self._card_loader = card_loader
        self.lock = asyncio.Lock()
        self.state: LiveState
        self.ring: deque[Frame] = deque(maxlen=RING_SIZE)
        self.subscribers: set[Subscriber] = set()
        self.outcomes: OrderedDict[str, Outcome] = OrderedDict()
        self.cards: dict[str, dict[str, Any] | None] = {}
        self.pending: list[_Pending] = []
        self._flush_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._timer_wake = asyncio.Event()
        self.events_written = 0
        self.plan_version: int | None = None
        self._plan_checked = float("-inf")
        self.clock: ShowClock | None = None
        self.now: Callable[[], datetime] = now

    # ---- life cycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the show and plan, then rebuild the state by replaying the whole log."""
        await asyncio.to_thread(self._load)
        self._tasks = [asyncio.create_task(self._flusher(), name=f"flush:{self.show_id}"),
                       asyncio.create_task(self._timer(), name=f"timer:{self.show_id}")]
        if self.bus is not None:
            self._tasks.append(asyncio.create_task(self._watch(), name=f"watch:{self.show_id}"))

    def _load(self) -> None:
        with self.factory() as session:
            show, slots = self._loader(session, self.show_id)
            if show.get("clock"):
                self.clock = ShowClock.from_dict(show["clock"])
                self.now = self.clock.now
            self.state = LiveState(show, slots)
            from studio.scripts.models import Plan

            plan = session.get(Plan, self.show_id)
            self.plan_version = None if plan is None else plan.current_version
            codes = sorted({c for s in slots for c in s.get("skus", [])})
            self.cards.update(self._card_loader(session, codes, self.show_id))
            rows = self._read_after(0, session)
            for row in rows:
                self._apply_row(row, broadcast=False)
        log.info("show %s: replayed %d events", self.show_id, self.state.seq)

    def _read_after(self, seq: int, session: Session | None = None) -> list[LoggedRow]:
        """The logged events after ``seq``, in order."""
        query = (select(LiveEvent.seq, LiveEvent.at, LiveEvent.type, LiveEvent.data,
                        LiveEvent.command_id)
                 .where(LiveEvent.show_id == self.show_id, LiveEvent.seq > seq)
                 .order_by(LiveEvent.seq))
        if session is not None:
            return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]
        with self.factory() as own:
            return [tuple(row) for row in own.execute(query)]  # type: ignore[misc]

    def _apply_row(self, row: LoggedRow, *, broadcast: bool = True) -> None:
        seq, at, event_type, data, command_id = row
        changed = self.state.apply(event_type, data, at)
        self.state.seq = seq
        frame = self._frame(seq, at, event_type, data, changed)
        self.ring.append(frame)
        if broadcast:
            self._broadcast(frame)
        if command_id:
            self._remember(Outcome(command_id, seq=seq))

    async def _apply_logged(self, rows: list[LoggedRow]) -> None:
        """Apply events another worker wrote (caller holds the lock), in seq order."""
        for row in rows:
            if row[0] != self.state.seq + 1:
                continue  # already applied, or not next: _catch_up reads the log instead
            if row[2] == "plan.updated" and row[3].get("version") != self.plan_version:
                slots, cards = await asyncio.to_thread(self._load_plan)
                self.plan_version = row[3].get("version")
                self.state.slots = slots
                self.cards = cards
            self._apply_row(row)
        self._timer_wake.set()

    async def _catch_up(self) -> int:
        """Read and apply what the log holds beyond our seq (caller holds the lock)."""
        rows = await asyncio.to_thread(self._read_after, self.state.seq)
        await self._apply_logged(rows)
        if rows:
            metrics.FANOUT_CATCH_UPS.inc(len(rows))
        return len(rows)

    async def receive(self, events: list[dict[str, Any]]) -> None:
        """Events from another worker, through the bus."""
        async with self.lock:
            fresh = [e for e in events if int(e["seq"]) > self.state.seq]
            if not fresh:
                return
            if int(fresh[0]["seq"]) != self.state.seq + 1:  # a message went missing
                await self._catch_up()
                return
            rows: list[LoggedRow] = [(int(e["seq"]), datetime.fromisoformat(e["at"]), e["type"],
                                      e["data"], e.get("command_id")) for e in fresh]
            await self._apply_logged(rows)
        lag = (self.now() - rows[-1][1]).total_seconds()
        metrics.FANOUT_LAG.observe(max(0.0, lag if self.clock is None
                                       else self.clock.wall_seconds(lag)))

    async def _watch(self) -> None:
        """With other workers: look at the log every second, in case a bus message was lost."""
        from sqlalchemy import func

        def latest() -> int:
            with self.factory() as session:
                return session.scalar(select(func.max(LiveEvent.seq))
                                      .where(LiveEvent.show_id == self.show_id)) or 0

        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                if await asyncio.to_thread(latest) > self.state.seq:
                    async with self.lock:
                        await self._catch_up()
            except Exception as exc:  # the database is away: try again next round
                log.warning("show %s: could not read the log (%s)", self.show_id,
                            type(exc).__name__)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for subscriber in list(self.subscribers):
            subscriber.offer(None)

    # ---- subscribers ------------------------------------------------------------------------------

    def snapshot_message(self, role: str, reason: str = "hello") -> dict[str, Any]:
        return {"type": "snapshot", "protocol": PROTOCOL, "reason": reason, "role": role,
                "show": self.show_id, "seq": self.state.seq, "server_time": stamp(self.now()),
                "state": self.state.snapshot(role)}

    async def subscribe(self, role: str, last_seq: int | None) -> Subscriber:
        """Register a subscriber and queue what it needs first: a snapshot, or the missed events."""
        subscriber = Subscriber(role)
        async with self.lock:
            if self.bus is not None:  # a client may come from a worker that is further on
                with contextlib.suppress(Exception):
                    await self._catch_up()
            missed = self._missed(last_seq)
            if missed is None:
                subscriber.offer(encode(self.snapshot_message(role)), self)
            else:
                for frame in missed:
                    subscriber.offer(frame.for_role(role), self)
                subscriber.offer(encode({"type": "resumed", "seq": self.state.seq,
                                         "replayed": len(missed),
                                         "server_time": stamp(self.now())}),
                                 self)
            self.subscribers.add(subscriber)
        metrics.LIVE_CONNECTIONS.labels(role).inc()
        return subscriber

    def _missed(self, last_seq: int | None) -> list[Frame] | None:
        """The frames after ``last_seq`` if they are all still in memory, else None (snapshot)."""
        if last_seq is None or last_seq > self.state.seq or last_seq < 0:
            return None
        if last_seq == self.state.seq:
            return []
        if not self.ring or self.ring[0].seq > last_seq + 1:
            return None
        return [frame for frame in self.ring if frame.seq > last_seq]

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self.subscribers:
            self.subscribers.discard(subscriber)
            metrics.LIVE_CONNECTIONS.labels(subscriber.role).dec()

    def _broadcast(self, frame: Frame) -> None:
        for subscriber in list(self.subscribers):
            subscriber.offer(frame.for_role(subscriber.role), self)

    def _frame(self, seq: int, at: datetime, event_type: str, data: dict[str, Any],
               changed: set[str]) -> Frame:
        base = {"type": "event", "seq": seq, "at": stamp(at), "event": event_type}
        operator = {**base, "data": data, "state": self.state.view("operator", changed)}
        public_data = data
        if event_type == "comments":
            public_data = {"items": [c for c in data["items"] if not c.get("hidden")]}
        elif event_type in ("user.muted", "moderation.updated"):
            public_data = {}
        public = {**base, "data": public_data, "state": self.state.view("public", changed)}
        return Frame(seq, encode(operator), encode(public))

    # ---- writing events ---------------------------------------------------------------------------

    async def _commit(self, events: list[Event], *, command_id: str | None, role: str,
                      at: datetime, after_write: Callable[[Session], None] | None = None) -> int:
        """Write ``events`` in one transaction, then apply and broadcast them. Caller holds lock."""
        first = self.state.seq + 1
        rows = [LiveEvent(show_id=self.show_id, seq=first + i, at=at, type=event_type,
                          command_id=command_id, role=role, data=data)
                for i, (event_type, data) in enumerate(events)]

        def write() -> None:
            with self.factory() as session, session.begin():
                session.add_all(rows)
                if after_write is not None:
                    after_write(session)

        try:
            await asyncio.to_thread(write)
        except IntegrityError:
            # another worker took this seq: catch up, and the caller decides again
            if self.bus is not None and await self._catch_up():
                metrics.LIVE_SEQ_CONFLICTS.inc()
                raise SeqTaken from None
            raise
        for row in rows:
            self._apply_row((row.seq, at, row.type, row.data, None))
        self.events_written += len(rows)
        metrics.LIVE_EVENTS.inc(len(rows))
        self._timer_wake.set()
        if self.bus is not None:
            self.bus.publish(self.show_id, [
                {"seq": row.seq, "at": at.isoformat(), "type": row.type, "data": row.data,
                 "command_id": command_id} for row in rows])
        return self.state.seq

    def _remember(self, outcome: Outcome) -> None:
        self.outcomes[outcome.command_id] = outcome
        self.outcomes.move_to_end(outcome.command_id)
        while len(self.outcomes) > COMMAND_MEMORY:
            self.outcomes.popitem(last=False)

    async def command(self, name: str, args: dict[str, Any], *, role: str, command_id: str
                      ) -> Outcome:
        """Carry out a command once: a repeated id gets the first answer again."""
        try:  # reads before deciding: the database being away is a clear answer, not a crash
            if name.startswith(("runsheet.", "card.")):
                await self._refresh_plan()
            await self._prefetch_cards(args)
        except SQLAlchemyError as exc:
            log.warning("show %s: command %s: could not read the plan or cards (%s)",
                        self.show_id, name, type(exc).__name__)
            return Outcome(command_id, code="storage",
                           reason=f"not saved, try again: the database is unreachable "
                                  f"({type(exc).__name__})")
        for attempt in range(COMMIT_ATTEMPTS):
            await _back_off(attempt)
            async with self.lock:
                known = self.outcomes.get(command_id)
                if known is not None:
                    return known
                at = self.now()
                try:
                    events = command_rules.decide(self.state, name, args, role, at, self._card)
                except Rejected as exc:
                    outcome = Outcome(command_id, code=exc.code, reason=exc.reason,
                                      template=exc.message, params=exc.params)
                    self._remember(outcome)
                    return outcome
                after = self._status_writer(events)
                try:
                    seq = await self._commit(events, command_id=command_id, role=role, at=at,
                                             after_write=after)
                except SeqTaken:
                    continue  # decided again on the state another worker moved on
                except Exception as exc:  # the database refused: nothing was applied or sent
                    log.exception("show %s: command %s not written", self.show_id, name)
                    return Outcome(command_id, code="storage",
                                   reason=f"not saved, try again: {type(exc).__name__}")
                outcome = Outcome(command_id, seq=seq)
                self._remember(outcome)
                return outcome
        return Outcome(command_id, code="busy",
                       reason="other workers kept writing first; send the command again")

    def _status_writer(self, events: list[Event]) -> Callable[[Session], None] | None:
        """Keep the show registry's status in step with the log, in the same transaction."""
        status = next((d["status"] for t, d in events if t == "status.changed"), None)
        if status is None:
            return None
        if self.state.show.get("rehearsal_of") and status not in ("ended", "cancelled"):
            return None  # a rehearsal copy stays `rehearsal` in the registry until it ends

        def write(session: Session) -> None:
            from studio.shows.models import Show, ShowStatus

            show = session.get(Show, self.show_id)
            if show is not None:
                show.status = ShowStatus(status)

        return write

    async def _refresh_plan(self) -> None:
        """Pick up a plan saved since the hub loaded it, so the pointer follows the new slots.

        Looked up at most every 2 s, not on every card command (a database round trip each)."""
        moment = asyncio.get_running_loop().time()
        if moment - self._plan_checked < PLAN_CHECK_SECONDS:
            return
        self._plan_checked = moment
        def version() -> int | None:
            from studio.scripts.models import Plan

            with self.factory() as session:
                plan = session.get(Plan, self.show_id)
                return None if plan is None else plan.current_version

        current = await asyncio.to_thread(version)
        if current == self.plan_version:
            return

        slots, cards = await asyncio.to_thread(self._load_plan)
        for attempt in range(COMMIT_ATTEMPTS):
            await _back_off(attempt)
            async with self.lock:
                if current == self.plan_version:
                    return
                previous = (self.plan_version, self.state.slots, self.cards)
                self.plan_version = current
                self.state.slots = slots
                self.cards = cards  # the new plan's offers may change final prices
                # logged like any event, so every screen re-points its run sheet in seq order
                try:
                    await self._commit([("plan.updated", {"version": current})], command_id=None,
                                       role="server", at=self.now())
                    return
                except SeqTaken:
                    if self.plan_version == current:
                        return  # caught up past another worker's plan.updated
                    self.plan_version, self.state.slots, self.cards = previous
                except Exception:
                    self.plan_version, self.state.slots, self.cards = previous
                    raise

    def _load_plan(self) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        with self.factory() as session:
            slots = self._loader(session, self.show_id)[1]
            codes = sorted({c for s in slots for c in s.get("skus", [])})
            return slots, self._card_loader(session, codes, self.show_id)

    def _card(self, sku: str) -> dict[str, Any] | None:
        card = self.cards.get(sku)
        return None if card is None else dict(card)

    async def _prefetch_cards(self, args: dict[str, Any]) -> None:
        args = args if isinstance(args, dict) else {}
        wanted = [args["sku"]] if isinstance(args.get("sku"), str) else []
        skus = args.get("skus")
        if isinstance(skus, list):  # anything else is the command's own validation error
            wanted += [s for s in skus if isinstance(s, str)]
        missing = [s for s in wanted if s not in self.cards]
        if missing:
            def load() -> dict[str, dict[str, Any]]:
                with self.factory() as session:
                    return self._card_loader(session, missing, self.show_id)

            found = await asyncio.to_thread(load)
            for sku in missing:
                self.cards[sku] = found.get(sku)

    # ---- server timers ----------------------------------------------------------------------------

    async def _timer(self) -> None:
        while True:
            deadline = command_rules.next_deadline(self.state)
            self._timer_wake.clear()
            timeout = None
            if deadline is not None:
                remaining = (datetime.fromisoformat(deadline) - self.now()).total_seconds()
                timeout = max(0.0, remaining if self.clock is None  # wall seconds to sleep
                              else self.clock.wall_seconds(remaining))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timer_wake.wait(), timeout)
            await self.run_due()

    async def run_due(self) -> int | None:
        """Emit the events whose time has come (coupon ends, sold out, giveaway draws).

        Every worker's timer fires; the first to write wins and the others, caught up, find
        nothing left to do."""
        for attempt in range(COMMIT_ATTEMPTS):
            await _back_off(attempt)
            async with self.lock:
                at = self.now()
                events = command_rules.due_events(self.state, at)
                if not events:
                    return None
                try:
                    return await self._commit(events, command_id=None, role="server", at=at)
                except SeqTaken:
                    continue
                except Exception:
                    log.exception("show %s: timer events not written", self.show_id)
                    return None
        return None

    # ---- comment ingest ---------------------------------------------------------------------------

    async def ingest(self, messages: list[FeedMessage]) -> dict[str, Any]:
        """Queue messages for the next batch; answers once that batch is committed."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending.append(_Pending(messages, future))
        self._flush_wake.set()
        return await future

    async def _flusher(self) -> None:
        while True:
            await self._flush_wake.wait()
            await asyncio.sleep(FLUSH_SECONDS)  # let a batch gather
            self._flush_wake.clear()
            await self.flush()

    async def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        written: set[str] = set()  # this flush's comments already in the log (before a retry)
        error = "other workers kept writing first; send again"
        results: list[dict[str, Any]] = []
        seq = self.state.seq
        for attempt in range(COMMIT_ATTEMPTS):
            await _back_off(attempt)
            async with self.lock:
                at = self.now()
                items, results = self._batch_items(batch, at, written)
                seq, error = self.state.seq, None
                if self.state.status == "ended" and items:
                    error = "the show has ended; no more comments are taken"
                    items = []
                try:
                    for start in range(0, len(items), MAX_BATCH):
                        chunk = items[start:start + MAX_BATCH]
                        seq = await self._commit([("comments", {"items": chunk})],
                                                 command_id=None, role="ingest", at=at)
                        written.update(record["id"] for record in chunk)
                    due = command_rules.due_events(self.state, at)
                    if due:
                        seq = await self._commit(due, command_id=None, role="server", at=at)
                except SeqTaken:
                    error = "other workers kept writing first; send again"
                    continue
                except Exception as exc:
                    log.exception("show %s: comment batch not written", self.show_id)
                    error = f"not saved, send again: {type(exc).__name__}"
                break
        for pending, result in zip(batch, results, strict=True):
            if pending.future.done():
                continue
            if error:
                pending.future.set_result({"ok": False, "reason": error, **result,
                                           "accepted": 0})
            else:
                pending.future.set_result({"ok": True, "seq": seq, **result})

    def _batch_items(self, batch: list[_Pending], at: datetime, written: set[str],
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The comment records to log and each sender's counts; ``written`` are this flush's
        own, logged before a retry: counted as accepted, not logged twice."""
        moderation, muted = self.state.moderation_rules(), self.state.muted()
        seen = self.state.seen_ids
        items: list[dict[str, Any]] = []
        results: list[dict[str, Any]] = []
        batch_ids: set[str] = set()
        for pending in batch:
            accepted = duplicates = hidden = 0
            for message in pending.messages:
                key = f"{message.platform}:{message.message_id}"
                if key in written and key not in batch_ids:
                    batch_ids.add(key)
                    accepted += 1
                    continue
                if key in seen or key in batch_ids:
                    duplicates += 1
                    continue
                batch_ids.add(key)
                record = comment_record(message, at, moderation, muted)
                hidden += record["hidden"]
                items.append(record)
                accepted += 1
            results.append({"accepted": accepted, "duplicates": duplicates, "hidden": hidden})
        return items, results


class HubRegistry:
    """The hubs of this process, started on first use and stopped at shutdown."""

    def __init__(self, factory: sessionmaker[Session], loader, card_loader,
                 redis_url: str | None = None, database_url: str = "") -> None:
        from studio import signals

        self.factory = factory
        self.loader = loader
        self.card_loader = card_loader
        self.hubs: dict[str, ShowHub] = {}
        self._lock = asyncio.Lock()
        self.bus: Any | None = None
        if redis_url:
            from studio.live_console.bus import RedisBus

            self.bus = RedisBus(redis_url, self._received, self._reconnected,
                                database_url=database_url)
        signals.on_plan_saved(self.plan_saved)

    async def start(self) -> None:
        if self.bus is not None:
            await self.bus.start()

    async def _received(self, show_id: str, events: list[dict[str, Any]]) -> None:
        hub = self.hubs.get(show_id)
        if hub is not None:  # shows nobody watches here are read from the log when asked for
            await hub.receive(events)

    async def _reconnected(self) -> None:
        for hub in list(self.hubs.values()):
            try:
                async with hub.lock:
                    await hub._catch_up()
            except Exception as exc:  # the database may be away too: the watcher retries
                log.warning("show %s: catch-up after reconnect failed (%s)", hub.show_id,
                            type(exc).__name__)

    def plan_saved(self, show_id: str) -> None:
        """A plan was saved in this process (before its transaction commits): look again on the
        next run-sheet or card command."""
        hub = self.hubs.get(show_id)
        if hub is not None:
            hub._plan_checked = float("-inf")

    async def get(self, show_id: str) -> ShowHub:
        hub = self.hubs.get(show_id)
        if hub is not None:
            return hub
        async with self._lock:
            hub = self.hubs.get(show_id)
            if hub is None:
                hub = ShowHub(show_id, self.factory, self.loader, self.card_loader, self.bus)
                await hub.start()
                self.hubs[show_id] = hub
        return hub

    async def close(self) -> None:
        from studio import signals

        signals.off_plan_saved(self.plan_saved)
        for hub in list(self.hubs.values()):
            await hub.stop()
        self.hubs.clear()
        if self.bus is not None:
            await self.bus.stop()
