"""The automatic operator 自动中控: runs a show's control room from its plan, on the show clock.

Two halves, like the simulator:

- ``schedule(doc, …)`` is pure: the plan's segments at their planned times become timed steps —
  the run-sheet pointer moved at each segment's start (which takes its first product card), the
  other SKUs' cards in turn, the planned coupons and flash sales launched inside their slot,
  a lucky bag 福袋 opened in each giveaway segment (the server draws it at its draw time), and a
  viewer's question featured once per product slot.
- ``AutoOperator`` connects over the WebSocket with the operator token, goes live, waits for
  each step's show time (``clock.wall_seconds`` of wall time per show second) and sends it as a
  command with its own id. Every answer is checked: a reject stops the rehearsal with an
  ``OperatorError`` naming the command and the server's reason. Only ``rate_limited`` is waited
  out and retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from studio.errors import StudioError
from studio.live_console.clock import ShowClock
from studio.scripts.document import Offer, PlanDoc, Segment, SegmentKind
from studio.scripts.evaluate import layout

log = logging.getLogger("studio.rehearsal.operator")

FEATURE_QUESTION = "feature_question"  # a step the operator fills in from the live feed
GIVEAWAY_KEYWORD = "福袋"
ANSWER_SECONDS = 30  # a command unanswered this long means the server is stuck


class OperatorError(StudioError):
    """The server refused one of the automatic operator's commands, or could not be reached."""


@dataclass(frozen=True, slots=True)
class Step:
    """One command at one show time (``name`` may be FEATURE_QUESTION, resolved when due)."""

    at: datetime
    name: str
    args: dict[str, Any]
    slot: str | None = None


def _money(value: Any) -> str | None:
    """A decimal as JSON text with two places (money is never a JSON float)."""
    return None if value is None else f"{value:.2f}"


def _id(*parts: str) -> str:
    """A promotion id the console accepts (letters, digits, ``_.:-``; at most 64)."""
    return "-".join(parts)[:64].rstrip("-")


def schedule(doc: PlanDoc, *, until: datetime | None = None) -> list[Step]:
    """The operator's steps for ``doc``, in show-time order, all before ``until`` when given."""
    offers = {offer.id: offer for offer in doc.offers}
    skus = list(dict.fromkeys(code for s in doc.segments for code in s.skus))
    steps: list[Step] = []
    placed = layout(doc)
    if skus and placed:
        steps.append(Step(placed[0].start, "products.list", {"skus": skus[:200]}))
    for item in placed:
        steps += _segment_steps(item.segment, item.start, item.end, offers)
    steps.sort(key=lambda step: step.at)  # stable: a slot's own order holds at equal times
    if until is not None:
        steps = [step for step in steps if step.at < until]
    return steps


def plan_end(doc: PlanDoc) -> datetime:
    """When the last segment ends (at least the plan's planned length)."""
    placed = layout(doc)
    planned = doc.start + timedelta(minutes=doc.minutes)
    return max(placed[-1].end, planned) if placed else planned


def _segment_steps(segment: Segment, start: datetime, end: datetime,
                   offers: dict[str, Offer]) -> list[Step]:
    seconds = (end - start).total_seconds()

    def at(fraction: float, minimum: float = 0.0) -> datetime:
        return start + timedelta(seconds=max(minimum, seconds * fraction))

    steps = [Step(start, "runsheet.goto", {"slot": segment.id}, segment.id)]  # takes skus[0]
    if segment.kind is SegmentKind.GIVEAWAY:
        steps.append(Step(at(0.05), "giveaway.start", {
            "id": _id("giveaway", segment.id),
            "prize": (segment.prize or segment.title or "福袋 lucky bag")[:100],
            "keyword": GIVEAWAY_KEYWORD, "winners": segment.winners or 1,
            "entry_rule": segment.entry_rule[:200] if segment.entry_rule else None,
            "draw_in_seconds": max(5, int(seconds * 0.8))},
            segment.id))
        return steps
    if not segment.skus:
        return steps
    share = seconds / len(segment.skus)  # each SKU's card gets an equal part of the slot
    for index, code in enumerate(segment.skus[1:], start=1):
        steps.append(Step(start + timedelta(seconds=share * index), "card.take",
                          {"sku": code, "slot": segment.id}, segment.id))
    for offer_id in segment.offers:
        offer = offers.get(offer_id)
        if offer is None:
            continue
        if offer.kind == "coupon":
            steps.append(Step(at(0.15), "coupon.launch", {
                "id": _id(offer.id, segment.id), "label": offer.label,
                "amount": _money(offer.amount), "percent_off": _money(offer.percent_off),
                "min_spend": _money(offer.min_spend), "quantity": offer.quantity or 1000,
                "duration_seconds": max(10, int(seconds * 0.7))}, segment.id))
        elif offer.kind == "flash_sale":
            code = next((c for c in offer.skus if c in segment.skus), segment.skus[0])
            begins = start + timedelta(seconds=share * segment.skus.index(code) + share * 0.1)
            steps.append(Step(begins, "flash_sale.start", {
                "id": _id(offer.id, segment.id), "sku": code, "price": _money(offer.price),
                "quantity": offer.quantity or 100, "per_buyer_limit": offer.per_buyer_limit or 1,
                "countdown_seconds": min(10, int(share * 0.05)),
                "duration_seconds": max(10, int(share * 0.6))}, segment.id))
        # direct, percent and threshold offers are in the card's final price 券后价 already
    steps.append(Step(at(0.5), FEATURE_QUESTION, {}, segment.id))
    return steps


# ---- the connection ----------------------------------------------------------------------------

@dataclass
class OperatorReport:
    """What the automatic operator did."""

    commands: Counter[str] = field(default_factory=Counter)
    featured: int = 0
    skipped_features: int = 0  # question steps with no open question to feature
    retries: int = 0

    def line(self) -> str:
        return (f"cards {self.commands['card.take'] + self.commands['runsheet.goto']}, "
                f"coupons {self.commands['coupon.launch']}, flash sales "
                f"{self.commands['flash_sale.start']}, giveaways {self.commands['giveaway.start']}, "
                f"questions featured {self.featured}")


class AutoOperator:
    """The operator's WebSocket: the live view kept current, commands sent and answered."""

    def __init__(self, url: str, show: str, token: str, clock: ShowClock) -> None:
        base = url.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
        self.address = f"{base}/ws/live/{show}"
        self.token, self.clock = token, clock
        self.view: dict[str, Any] = {}
        self.report = OperatorReport()
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ready = asyncio.Event()
        self._failure: OperatorError | None = None
        self._counter = 0

    async def open(self) -> None:
        try:
            self._socket = await connect(self.address, max_size=None, open_timeout=10)
        except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
            raise OperatorError(f"the automatic operator cannot reach {self.address}: {exc}"
                                ) from None
        await self._socket.send(json.dumps({"type": "hello", "token": self.token}))
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self._ready.wait(), ANSWER_SECONDS)
        if self._failure is not None:
            raise self._failure

    async def _read(self) -> None:
        assert self._socket is not None
        try:
            async for raw in self._socket:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "snapshot":
                    self.view = frame["state"]
                    self._ready.set()
                elif kind == "event":
                    self.view.update(frame.get("state") or {})
                elif kind in ("ack", "reject"):
                    waiter = self._answers.pop(frame.get("id"), None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(frame)
        except websockets.ConnectionClosed:
            pass
        code, reason = self._socket.close_code, self._socket.close_reason
        self._failure = OperatorError(f"the operator's connection to {self.address} closed "
                                      f"({code}: {reason or 'no reason'})")
        self._ready.set()
        for waiter in self._answers.values():
            if not waiter.done():
                waiter.set_exception(self._failure)

    async def send(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """Send one command and return its ack; a reject raises ``OperatorError``."""
        args = {k: v for k, v in args.items() if v is not None}
        self._counter += 1
        command_id = f"op-{self._counter:04d}-{name}"[:80]
        while True:
            if self._failure is not None:
                raise self._failure
            waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._answers[command_id] = waiter
            assert self._socket is not None
            await self._socket.send(json.dumps({"type": "command", "id": command_id,
                                                "name": name, "args": args},
                                               ensure_ascii=False))
            try:
                answer = await asyncio.wait_for(waiter, ANSWER_SECONDS)
            except TimeoutError:
                raise OperatorError(f"the automatic operator's {name} got no answer in "
                                    f"{ANSWER_SECONDS} s") from None
            if answer["type"] == "ack":
                self.report.commands[name] += 1
                return answer
            if answer.get("code") == "rate_limited":  # the token's 20 a second: wait, same id
                self.report.retries += 1
                await asyncio.sleep(0.2)
                continue
            shown = json.dumps(args, ensure_ascii=False)
            raise OperatorError(f"the automatic operator's command {name} {shown} was refused "
                                f"({answer.get('code')}): {answer.get('reason')}")

    async def wait_until(self, moment: datetime, stop: asyncio.Event | None = None) -> None:
        """Sleep until show time ``moment`` (at once when it has passed, or when stopped)."""
        delay = self.clock.wall_seconds((moment - self.clock.now()).total_seconds())
        if delay <= 0:
            return
        if stop is None:
            await asyncio.sleep(delay)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)

    async def run(self, steps: list[Step], stop: asyncio.Event | None = None) -> OperatorReport:
        """Carry out ``steps`` at their show times (late ones at once, in order)."""
        for step in steps:
            await self.wait_until(step.at, stop)
            if stop is not None and stop.is_set():
                break
            await self.carry_out(step)
        return self.report

    async def carry_out(self, step: Step) -> None:
        if step.name == FEATURE_QUESTION:
            await self._feature_question()
            return
        if step.name == "flash_sale.start" and (self.view.get("flash_sale") or {}).get(
                "status") == "active":  # running late: the last one still runs, end it first
            await self.send("flash_sale.end", {})
        await self.send(step.name, step.args)

    async def _feature_question(self) -> None:
        """Feature the newest open question on screen, then mark it answered (the host did)."""
        questions = [q for q in self.view.get("questions") or [] if not q.get("hidden")]
        if not questions:
            self.report.skipped_features += 1
            return
        question = questions[-1]
        await self.send("comment.feature", {"id": question["id"]})
        await self.send("question.answered", {"id": question["id"]})
        self.report.featured += 1

    async def begin(self) -> None:
        """Go on air: ``live`` in the event log (where recording, clips and replay start from);
        a rehearsal copy's registry entry keeps saying ``rehearsal``."""
        if self.view.get("status") in ("planned", "rehearsal", "paused"):
            await self.send("status.set", {"status": "live"})

    async def end(self) -> None:
        """End the show (coupons and sales still running end with it)."""
        if self.view.get("status") not in ("ended", "cancelled"):
            await self.send("status.set", {"status": "ended"})

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
