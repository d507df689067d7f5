"""A simulated audience 模拟观众 for a live show, driven into a running server over the ingest socket.

Two halves:

- ``Audience(seed).messages(tick, scene)`` is pure. For one simulated second it returns the feed
  messages a realistic audience sends: a viewer count every few seconds, comments in Chinese and
  English (greetings, questions, purchase intents, reactions, a little spam), likes in bursts,
  gifts, follows, and orders for the product card on screen at its final price 券后价. Each second
  draws from its own ``random.Random`` (seeded by the run's seed and the second), so the same
  seed gives the same message ids whatever the speed and however the batches fall, and a run
  sent again is dropped as duplicates by the server.
- ``simulate(...)`` connects as ``ingest``, learns what is on screen from the events the server
  streams to that same connection, advances simulated time ``speed`` times faster than the
  clock, sends one ``ingest`` frame per ``batch_seconds`` and checks every ``ingested`` answer.
  After a reconnect it sends the unanswered batches again with the same ids.

  Given a show clock (a rehearsal in accelerated time), simulated second ``t`` *is* show time
  ``clock.show_start + t``: the ticks follow the show clock instead of the simulator's own start,
  and each message is stamped with the show time of its second. Each second is played with the
  scene as the server's events had it at that show time (the link keeps the recent history), so
  a simulator that falls behind and catches up still orders the card that was on screen then:
  orders fall in the minutes and the product windows in which they were generated.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import math
import random
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from studio.errors import StudioError
from studio.live_console.clock import ShowClock

log = logging.getLogger("studio.live.simulator")

PLATFORM = "sim"
STATS_EVERY = 5  # simulated seconds between viewer counts
MAX_FRAME_MESSAGES = 1000  # keeps an ingest frame far below the 512 KiB limit
MAX_BATCH_MESSAGES = 1500  # a flush; every 0.2 s that stays under the 10,000 a second ingest limit
FATAL_CLOSE = {4001: "unknown or revoked ingest token", 4004: "no such show",
               4400: "the server refused the protocol", 4413: "a batch was too big"}
RECONNECT_DELAYS = (0.2, 0.5, 1, 2, 3, 5, 5, 5, 5, 5)  # then give up (about 30 s)
SCENE_KEYS = ("status", "card", "flash_sale", "coupons", "giveaways")  # what a Scene reads

GREETINGS = ("主播晚上好", "来了来了", "家人们好", "第一次来直播间", "打卡", "晚上好呀", "又来啦",
             "hello everyone", "hi from Hangzhou", "good evening", "just joined")
QUESTIONS = ("这个多少钱", "多少钱？", "怎么买", "尺码怎么选", "几号链接", "{size}码还有吗",
             "包邮吗", "什么时候发货", "链接在哪", "how much is it", "what size should I get",
             "link?", "is it in stock", "which color is this")
INTENTS = ("+1", "拍了", "拍了 {size}", "想要", "我要 {size}", "要了", "已拍", "下单了", "买了 2",
           "SOLD", "sold {size}")
REACTIONS = ("好看", "太划算了", "颜色好正", "回购第三次了", "质量很好", "主播好美", "哈哈哈", "666",
             "冲冲冲", "这个我有，很好用", "love this color", "so cheap", "great quality", "nice")
# Comments an operator blocks with `moderation.set` (words: SPAM_WORDS): they then arrive hidden.
SPAM_WORDS = ("加V信", "代购", "兼职", "免费领")
SPAM = ("加V信 ab1688 领福利", "低价代购 私聊我", "点我主页免费领", "刷单兼职 日结")
GIFTS = ("小心心", "玫瑰", "人气票", "啤酒", "墨镜", "嘉年华")
NICK_HEADS = ("小", "阿", "大", "老", "胖", "甜", "冷", "乖")
NICK_TAILS = ("林", "鱼", "猫", "雪", "橙子", "豆豆", "桃子", "芒果", "米粒", "阿飞", "星星", "可乐")
ENGLISH_NICKS = ("Lily", "Ken", "Momo", "Jason", "Coco", "Annie", "Leo", "Vivi")


def _money(text: Any) -> Decimal | None:
    return None if text in (None, "") else Decimal(str(text))


@dataclass(frozen=True, slots=True)
class Scene:
    """What the audience sees at one moment: the card, its price, a running sale or coupon."""

    status: str = "live"
    sku: str | None = None
    price: Decimal | None = None  # the final price 券后价, or the flash-sale price while it runs
    sizes: tuple[str, ...] = ()
    stock_left: int | None = None
    sale: bool = False  # a flash sale 秒杀 of the card's SKU is running now
    per_buyer_limit: int | None = None
    coupon: str | None = None
    coupon_min_spend: Decimal | None = None
    giveaway_keyword: str | None = None

    @classmethod
    def from_state(cls, state: dict[str, Any], now: datetime) -> Scene:
        """Read a client's view of the live state (a snapshot's ``state`` kept current)."""
        card = state.get("card") or {}
        sku = card.get("sku")
        price = _money((card.get("ladder") or {}).get("final_price"))
        sizes = tuple(str(value) for name, value in card.get("options") or []
                      if name in ("尺码", "size"))
        stock = card.get("stock_left")
        sale_on, limit = False, None
        sale = state.get("flash_sale") or {}
        stamp = now.isoformat(timespec="milliseconds")
        if sku and sale.get("sku") == sku and sale.get("status") == "active" \
                and (sale.get("starts_at") or "") <= stamp and sale.get("remaining", 0) > 0:
            sale_on, price, limit = True, _money(sale["price"]), sale.get("per_buyer_limit")
            stock = sale["remaining"] if stock is None else min(stock, sale["remaining"])
        coupon = next((c for c in (state.get("coupons") or {}).values()
                       if c.get("status") == "active" and c.get("remaining", 1) > 0), None)
        giveaway = next((g for g in (state.get("giveaways") or {}).values()
                         if g.get("status") == "open"), None)
        return cls(status=state.get("status", "live"), sku=sku, price=price, sizes=sizes,
                   stock_left=stock, sale=sale_on, per_buyer_limit=limit,
                   coupon=coupon["id"] if coupon else None,
                   coupon_min_spend=_money(coupon.get("min_spend")) if coupon else None,
                   giveaway_keyword=(giveaway.get("keyword") or None) if giveaway else None)

    def after(self, messages: list[dict[str, Any]]) -> Scene:
        """The scene once ``messages`` are in: the stock the orders took is gone."""
        units = sum(m["quantity"] for m in messages if m["kind"] == "order")
        if not units or self.stock_left is None:
            return self
        return replace(self, stock_left=max(0, self.stock_left - units))


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:  # normal approximation: Knuth's loop would take ``mean`` steps
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


class Audience:
    """The viewers of one simulated show: a viewer curve and what they send, second by second."""

    def __init__(self, seed: int, *, rate: float = 120, minutes: float = 180,
                 peak_online: int = 5000, platform: str = PLATFORM) -> None:
        # ``rate``: comments a minute on average over the show; ``peak_online``: about the most
        # viewers at once.
        self.seed, self.rate, self.platform = seed, rate, platform
        self.length = max(60.0, minutes * 60)
        self.peak_online = peak_online
        shape = random.Random(f"{seed}:shape")
        # Two or three peaks (a hero product, a flash sale, a lucky bag) over the middle of the show
        self.peaks = [(shape.uniform(0.15, 0.85) * self.length,
                       shape.uniform(0.02, 0.05) * self.length, shape.uniform(0.25, 0.6))
                      for _ in range(shape.choice((2, 3)))]
        samples = [self.online(self.length * i / 200) for i in range(200)]
        self.mean_online = max(1.0, sum(samples) / len(samples))

    def online(self, t: float) -> int:
        """Viewers at ``t`` simulated seconds: ramp up, peaks, then a slow decline."""
        x = t / self.length
        ramp = 1 - 0.95 * math.exp(-x / 0.06)
        decline = 1.0 if x < 0.45 else 1 - 0.5 * (x - 0.45) / 0.55
        bumps = sum(h * math.exp(-0.5 * ((t - c) / w) ** 2) for c, w, h in self.peaks)
        return max(1, round(self.peak_online * 0.65 * (ramp * decline + bumps)))

    def messages(self, tick: int, scene: Scene) -> list[dict[str, Any]]:
        """The feed messages of simulated second ``tick`` (ids stable for a seed and tick)."""
        if scene.status == "ended":
            return []
        rng = random.Random(f"{self.seed}:{tick}")
        online = self.online(tick) * (1 + rng.gauss(0, 0.02)) * (1.15 if scene.sale else 1)
        online = max(1, round(online))
        scale = online / self.mean_online
        out: list[dict[str, Any]] = []
        if tick % STATS_EVERY == 0:
            out.append({"kind": "stats", "message_id": self._id(tick, "s", 0), "online": online})
        for i in range(_poisson(rng, self.rate / 60 * scale)):
            out.append(self._comment(rng, tick, i, scene))
        burst = self._burst(tick)
        for i in range(_poisson(rng, online / 2000 * (8 if burst else 1))):
            out.append({**self._viewer(rng), "kind": "like", "quantity": rng.randint(1, 30),
                        "message_id": self._id(tick, "l", i)})
        for i in range(_poisson(rng, online / 15000 * (3 if burst else 1))):
            out.append({**self._viewer(rng), "kind": "gift", "text": rng.choice(GIFTS),
                        "quantity": rng.choice((1, 1, 1, 5, 10)), "message_id": self._id(tick, "g", i)})
        for i in range(_poisson(rng, online / 6000)):
            out.append({**self._viewer(rng), "kind": "follow", "message_id": self._id(tick, "f", i)})
        out += self._orders(rng, tick, scene, scale)
        for message in out:
            message["platform"] = self.platform
        return out

    # ---- the parts of one second ------------------------------------------------------------------

    def _id(self, tick: int, kind: str, index: int) -> str:
        return f"{self.seed}.{tick}.{kind}{index}"

    def _burst(self, tick: int) -> bool:
        """Likes come in bursts of a few seconds, about one every 30 s (the host asks for them)."""
        window = random.Random(f"{self.seed}:burst:{tick // 30}")
        start, length = window.randrange(30), window.randint(3, 8)
        return start <= tick % 30 < start + length

    def _viewer(self, rng: random.Random) -> dict[str, str]:
        # A few hundred regulars send a third of everything; the rest are passers-by.
        number = rng.randint(1, 300) if rng.random() < 0.3 else rng.randint(301,
                                                                           self.peak_online * 3)
        if number % 5 == 0:
            nickname = f"{ENGLISH_NICKS[number % len(ENGLISH_NICKS)]}{number % 97}"
        else:
            nickname = (NICK_HEADS[number % len(NICK_HEADS)]
                        + NICK_TAILS[(number // len(NICK_HEADS)) % len(NICK_TAILS)])
        return {"user_id": f"v{number}", "nickname": nickname}

    def _comment(self, rng: random.Random, tick: int, index: int, scene: Scene) -> dict[str, Any]:
        early = tick < 0.05 * self.length
        choices = [(GREETINGS, 0.4 if early else 0.12), (QUESTIONS, 0.2),
                   (INTENTS, 0.16 if scene.sku else 0), (REACTIONS, 0.42), (SPAM, 0.02)]
        if scene.giveaway_keyword:
            choices.append(((scene.giveaway_keyword,), 0.3))
        pool = rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]
        size = rng.choice(scene.sizes) if scene.sizes else rng.choice(("M", "L"))
        text = rng.choice(pool).replace("{size}", size)
        viewer = {"user_id": f"spam{rng.randint(1, 20)}", "nickname": "福利官"} if pool is SPAM \
            else self._viewer(rng)
        return {**viewer, "kind": "comment", "text": text,
                "message_id": self._id(tick, "c", index)}

    def _orders(self, rng: random.Random, tick: int, scene: Scene, scale: float
                ) -> list[dict[str, Any]]:
        """Orders for the card on screen at its price; three times as many in a flash sale."""
        if not scene.sku or scene.price is None or scene.status == "ended":
            return []
        count = _poisson(rng, self.rate * 0.4 / 60 * scale * (3 if scene.sale else 1))
        if scene.stock_left is not None:
            count = min(count, scene.stock_left)
        orders = []
        for i in range(count):
            quantity = rng.choice((1, 1, 1, 1, 2, 2, 3))
            if scene.per_buyer_limit:
                quantity = min(quantity, scene.per_buyer_limit)
            amount = (scene.price * quantity).quantize(Decimal("0.01"))
            order = {**self._viewer(rng), "kind": "order", "sku": scene.sku, "quantity": quantity,
                     "amount": f"{amount:.2f}", "message_id": self._id(tick, "o", i)}
            # The final price already has the coupon taken off; the order says which one it used.
            if scene.coupon and (scene.coupon_min_spend is None
                                 or amount >= scene.coupon_min_spend) and rng.random() < 0.6:
                order["coupon"] = scene.coupon
            orders.append(order)
        return orders


# ---- driving a running server ---------------------------------------------------------------------

class SimulatorError(StudioError):
    """The server refused the simulator or could not be reached."""


@dataclass
class Summary:
    """What a run sent and what the server answered."""

    simulated_seconds: int = 0
    batches: int = 0
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    hidden: int = 0
    rejected: int = 0  # messages in batches the server refused as invalid
    resent: int = 0  # batches sent again after a reconnect
    reconnects: int = 0
    unanswered: int = 0  # batches still without an answer at the end
    kinds: Counter[str] = field(default_factory=Counter)
    units: int = 0
    gmv: Decimal = Decimal("0.00")
    online: int = 0
    card: str | None = None
    ended: bool = False  # the show ended during the run

    def line(self) -> str:
        """One line for a live progress display."""
        minutes, seconds = divmod(self.simulated_seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return (f"{hours:d}:{minutes:02d}:{seconds:02d}  online {self.online:,}  "
                f"comments {self.kinds['comment']:,}  likes {self.kinds['like']:,}  "
                f"orders {self.kinds['order']:,} (¥{self.gmv:,.2f})  card {self.card or '—'}  "
                f"accepted {self.accepted:,}  duplicates {self.duplicates:,}")


class _IngestLink:
    """The ingest connection: sends batches, keeps the view current, reconnects with last_seq."""

    def __init__(self, url: str, show: str, token: str, summary: Summary, *,
                 history: bool = False) -> None:
        base = url.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
        self.address = f"{base}/ws/live/{show}"
        self.token, self.summary = token, summary
        self.view: dict[str, Any] = {}
        # with a show clock: (event time, what a Scene reads) after each change, oldest first
        self.history: deque[tuple[str, dict[str, Any]]] | None = deque() if history else None
        self.seq: int | None = None
        self.offset = timedelta(0)  # server clock − ours
        self.inflight: dict[str, list[dict[str, Any]]] = {}
        self.failure: SimulatorError | None = None
        self._socket: ClientConnection | None = None
        self._ready = asyncio.Event()
        self._answered = asyncio.Event()
        self._send_lock = asyncio.Lock()
        self._runner: asyncio.Task[None] | None = None
        self._retries: set[asyncio.Task[None]] = set()
        self._closing = False

    def server_now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def _scene_view(self) -> dict[str, Any]:
        return {key: copy.deepcopy(self.view.get(key)) for key in SCENE_KEYS if key in self.view}

    def view_at(self, moment: str) -> dict[str, Any]:
        """What a Scene reads as it was at show time ``moment`` (an ISO stamp, UTC). Asked with
        later and later moments, so the history before the answer is let go."""
        history = self.history
        assert history is not None
        while len(history) > 1 and history[1][0] <= moment:
            history.popleft()
        return history[0][1] if history else self.view

    async def open(self) -> None:
        await self._connect(first=True)
        self._runner = asyncio.create_task(self._run())
        await self._ready.wait()

    async def _connect(self, first: bool = False) -> None:
        try:
            self._socket = await connect(self.address, max_size=None, open_timeout=10)
        except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
            if first:
                raise SimulatorError(f"cannot reach {self.address}: {exc} (is `studio serve` "
                                     "running?)") from None
            raise
        hello: dict[str, Any] = {"type": "hello", "token": self.token}
        if self.seq is not None:
            hello["last_seq"] = self.seq
        await self._socket.send(json.dumps(hello))

    async def _run(self) -> None:
        """Read frames; when the socket drops, reconnect and send unanswered batches again."""
        while True:
            socket = self._socket
            assert socket is not None
            try:
                async for raw in socket:
                    self._read(json.loads(raw))
            except websockets.ConnectionClosed:
                pass
            code = socket.close_code
            if code in FATAL_CLOSE:
                self._fail(f"{FATAL_CLOSE[code]} (close code {code}: {socket.close_reason})")
                return
            if self._closing:
                return
            if not await self._reconnect(delay_first=code == 4429):
                return

    async def _reconnect(self, delay_first: bool) -> bool:
        self._ready.clear()
        for attempt, delay in enumerate(RECONNECT_DELAYS):
            if attempt or delay_first:
                await asyncio.sleep(delay)
            try:
                await self._connect()
            except (OSError, TimeoutError, websockets.InvalidHandshake):
                continue
            self.summary.reconnects += 1
            async with self._send_lock:  # the unanswered batches go first, in their order
                for batch_id, messages in list(self.inflight.items()):
                    self.summary.resent += 1
                    with contextlib.suppress(websockets.ConnectionClosed):
                        await self._socket.send(_frame(batch_id, messages))
                self._ready.set()
            return True
        self._fail(f"lost the connection to {self.address} and could not reconnect")
        return False

    def _fail(self, reason: str) -> None:
        self.failure = SimulatorError(reason)
        self._ready.set()
        self._answered.set()

    def _read(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if "server_time" in frame and kind in ("snapshot", "resumed", "ingested"):
            server = datetime.fromisoformat(frame["server_time"])
            self.offset = server - datetime.now(UTC)
        if kind == "snapshot":
            self.view, self.seq = frame["state"], frame["seq"]
            if self.history is not None:  # a fresh start: the past is what it is now
                self.history.clear()
                self.history.append(("", self._scene_view()))
            self._ready.set()
        elif kind == "resumed":
            self.seq = frame["seq"]
            self._ready.set()
        elif kind == "event":
            changed = frame.get("state") or {}
            self.view.update(changed)
            if self.history is not None and any(key in changed for key in SCENE_KEYS):
                self.history.append((frame["at"], self._scene_view()))
            self.seq = frame["seq"]
        elif kind == "ingested":
            messages = self.inflight.pop(frame.get("id"), None)
            if messages is None:
                return  # a batch answered twice (sent again after a reconnect)
            if frame.get("ok"):
                self.summary.accepted += frame["accepted"]
                self.summary.duplicates += frame["duplicates"]
                self.summary.hidden += frame["hidden"]
            elif "ended" in (frame.get("reason") or ""):
                self.summary.ended = True
            else:  # not saved: send it again
                retry = asyncio.get_running_loop().create_task(self.send(frame["id"], messages))
                self._retries.add(retry)
                retry.add_done_callback(self._retries.discard)
            self._answered.set()
        elif kind == "reject" and frame.get("id") in self.inflight:
            self.summary.rejected += len(self.inflight.pop(frame["id"]))
            log.warning("batch %s refused: %s", frame["id"], frame.get("reason"))
            self._answered.set()

    async def send(self, batch_id: str, messages: list[dict[str, Any]]) -> None:
        """Send a batch; it stays unanswered until its ``ingested``, and is resent after a drop."""
        self.inflight[batch_id] = messages
        async with self._send_lock:
            if not self._ready.is_set() or self.failure is not None:
                return  # reconnecting: the reconnect sends it with the other unanswered ones
            with contextlib.suppress(websockets.ConnectionClosed):  # the reconnect sends it
                await self._socket.send(_frame(batch_id, messages))

    async def drain(self, timeout: float) -> None:
        """Wait until every batch is answered (or ``timeout`` seconds)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.inflight and self.failure is None and loop.time() < deadline:
            self._answered.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._answered.wait(), deadline - loop.time())

    async def close(self) -> None:
        self._closing = True
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner


def _frame(batch_id: str, messages: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "ingest", "id": batch_id, "messages": messages},
                      ensure_ascii=False, separators=(",", ":"))


async def simulate(url: str, show: str, token: str, *, seed: int = 1, rate: float = 120,
                   speed: float = 1, minutes: float = 180, peak_online: int = 5000,
                   batch_seconds: float = 0.2, progress_seconds: float = 3,
                   on_progress: Callable[[Summary], None] | None = None,
                   stop: asyncio.Event | None = None, clock: ShowClock | None = None) -> Summary:
    """Drive ``show`` on the server at ``url`` with a simulated audience; returns what happened.

    Stops after ``minutes`` of simulated time, when ``stop`` is set, or when the show ends.
    With a ``clock`` (the show's, for a rehearsal) ``speed`` is the clock's, simulated seconds
    count from the clock's show start, and a run joining late starts at the show's current second.
    """
    if clock is not None:
        speed = clock.speed
    if speed <= 0 or minutes <= 0 or rate < 0:
        raise SimulatorError("speed and minutes must be above 0, rate at least 0")
    summary = Summary()
    audience = Audience(seed, rate=rate, minutes=minutes, peak_online=peak_online)
    link = _IngestLink(url, show, token, summary, history=clock is not None)
    await link.open()
    loop = asyncio.get_running_loop()
    started = last_progress = loop.time()
    end_tick, next_tick, batch_number = int(minutes * 60), 0, 0
    if clock is not None:  # joining a show already running: from its current second
        next_tick = min(end_tick, max(0, int(clock.show_seconds())))
    try:
        while next_tick < end_tick and not summary.ended and link.failure is None \
                and not (stop and stop.is_set()):
            seen: dict[str, Any] | None = None  # with a clock: the view the scene was read from
            if clock is None:
                due = min(end_tick, int((loop.time() - started) * speed) + 1)
                scene = Scene.from_state(link.view, link.server_now())
            else:
                show_now = clock.now()
                due = min(end_tick, int(clock.show_seconds(show_now)) + 1)
                scene = Scene.from_state(link.view, show_now)
            if scene.status == "ended":
                summary.ended = True
                break
            messages: list[dict[str, Any]] = []
            while next_tick < due and len(messages) < MAX_BATCH_MESSAGES:
                if clock is not None:  # each second as it was on screen at that show time
                    second = (clock.show_start + timedelta(seconds=next_tick)).astimezone(UTC)
                    at = second.isoformat(timespec="milliseconds")
                    view = link.view_at(at)
                    if view is not seen:
                        seen, scene = view, Scene.from_state(view, second)
                batch = audience.messages(next_tick, scene)
                if clock is not None:  # each second's messages at that second of the show
                    for message in batch:
                        message["time"] = at
                messages += batch
                next_tick += 1  # over the cap, simulated time falls behind the clock instead
                scene = scene.after(batch)
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
            for start in range(0, len(messages), MAX_FRAME_MESSAGES):
                chunk = messages[start:start + MAX_FRAME_MESSAGES]
                for message in chunk:
                    message.setdefault("time", stamp)
                    _count(summary, message)
                batch_number += 1
                summary.batches += 1
                await link.send(f"{PLATFORM}-{seed}-{batch_number}", chunk)
            summary.simulated_seconds, summary.card = next_tick, scene.sku
            if on_progress and loop.time() - last_progress >= progress_seconds:
                last_progress = loop.time()
                on_progress(summary)
            if next_tick < end_tick:
                await _pause(batch_seconds, stop)
        await link.drain(timeout=10)
    finally:
        summary.unanswered = len(link.inflight)
        await link.close()
    if link.failure is not None:
        raise link.failure
    return summary


def _count(summary: Summary, message: dict[str, Any]) -> None:
    summary.sent += 1
    summary.kinds[message["kind"]] += 1
    if message["kind"] == "stats":
        summary.online = message["online"]
    elif message["kind"] == "order":
        summary.units += message["quantity"]
        summary.gmv += Decimal(message["amount"])


async def _pause(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
