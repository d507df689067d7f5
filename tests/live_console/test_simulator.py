"""The simulated audience: pure message generation, then a short run against a real server."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from studio.live_console import simulator
from studio.live_console.feed import is_question, purchase_intent
from studio.live_console.models import LiveEvent
from studio.live_console.simulator import Audience, Scene
from tests.live_console.conftest import Client, run

CARD = Scene(sku="BT-SERUM-30", price=Decimal("159.00"), stock_left=1800)


def messages(audience: Audience, scene: Scene, seconds: range) -> list[dict]:
    return [m for tick in seconds for m in audience.messages(tick, scene)]


def test_same_seed_same_messages_and_ids_unique_per_run():
    first = messages(Audience(7, minutes=30), CARD, range(600))
    assert first == messages(Audience(7, minutes=30), CARD, range(600))
    ids = [m["message_id"] for m in first]
    assert len(ids) == len(set(ids)) and all(m["platform"] == "sim" for m in first)
    other = {m["message_id"] for m in messages(Audience(8, minutes=30), CARD, range(600))}
    assert not other & set(ids)
    # a second is drawn on its own: sending seconds in another grouping changes nothing
    assert Audience(7, minutes=30).messages(300, CARD) == [m for m in first
                                                           if m["message_id"].startswith("7.300.")]


def test_every_template_is_read_the_way_the_server_reads_it():
    for text in simulator.QUESTIONS:
        assert is_question(text.replace("{size}", "M")), text
    for text in simulator.INTENTS:
        assert purchase_intent(text.replace("{size}", "M"))[0], text
    for text in (*simulator.GREETINGS, *simulator.REACTIONS, *simulator.SPAM):
        assert not is_question(text) and not purchase_intent(text)[0], text
    assert all(any(w in text for w in simulator.SPAM_WORDS) for text in simulator.SPAM)


def test_viewer_curve_ramps_up_peaks_and_declines():
    audience = Audience(3, minutes=180, peak_online=5000)
    curve = [audience.online(minute * 60) for minute in range(181)]
    assert curve[0] < curve[10] < max(curve)
    assert curve[180] < 0.7 * max(curve) and max(curve) <= 5500
    comments = Counter(m["kind"] for m in messages(audience, CARD, range(0, 10800, 10)))
    assert 120 * 180 / 10 * 0.7 < comments["comment"] < 120 * 180 / 10 * 1.3  # about --rate


def test_orders_follow_the_card_its_price_the_coupon_and_the_flash_sale():
    audience = Audience(5, rate=300, minutes=10)
    assert not [m for m in messages(audience, Scene(), range(120)) if m["kind"] == "order"]
    scene = Scene(sku="AP-DOWN-BLK-M", price=Decimal("439.00"), sizes=("M",), stock_left=420,
                  coupon="coupon-1", coupon_min_spend=Decimal("500"))
    orders = [m for m in messages(audience, scene, range(120)) if m["kind"] == "order"]
    assert orders and all(o["sku"] == "AP-DOWN-BLK-M" for o in orders)
    assert all(Decimal(o["amount"]) == Decimal("439.00") * o["quantity"] for o in orders)
    with_coupon = [o for o in orders if o.get("coupon")]
    assert with_coupon and all(o["quantity"] >= 2 for o in with_coupon)  # ¥439 < min spend ¥500
    intents = [m for m in messages(audience, scene, range(120))
               if m["kind"] == "comment" and purchase_intent(m["text"])[0]]
    assert any(purchase_intent(m["text"])[1] == "M" for m in intents)

    now = datetime.now(UTC)
    state = {"status": "live", "card": {"sku": "BT-SERUM-30", "stock_left": 1800,
                                        "ladder": {"final_price": "159.00"}},
             "flash_sale": {"sku": "BT-SERUM-30", "status": "active", "price": "149.00",
                            "per_buyer_limit": 2, "remaining": 300,
                            "starts_at": (now + timedelta(seconds=5)).isoformat()}}
    counting_down = Scene.from_state(state, now)
    assert not counting_down.sale and counting_down.price == Decimal("159.00")
    selling = Scene.from_state(state, now + timedelta(seconds=6))
    assert selling.sale and selling.price == Decimal("149.00") and selling.stock_left == 300
    normal = [m for m in messages(audience, counting_down, range(300)) if m["kind"] == "order"]
    sale = [m for m in messages(audience, selling, range(300)) if m["kind"] == "order"]
    assert len(sale) > 2 * len(normal)
    assert all(o["quantity"] <= 2 and Decimal(o["amount"]) == 149 * o["quantity"] for o in sale)


def test_nothing_is_sent_for_an_ended_show():
    assert Audience(1).messages(100, Scene(status="ended", sku="X", price=Decimal(1))) == []


def _state(server: str, show: str, token: str) -> dict:
    request = urllib.request.Request(f"{server}/api/v1/live/{show}/state",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["state"]


def test_a_simulated_audience_on_a_real_server(live_server, show, role_tokens, session_factory):
    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        await operator.recv()
        assert (await operator.command("status.set", {"status": "live"}))["type"] == "ack"
        assert (await operator.command("card.take", {"sku": "BT-SERUM-30"}))["type"] == "ack"
        blocked = await operator.command("moderation.set", {"words": list(simulator.SPAM_WORDS)})
        assert blocked["type"] == "ack"
        first = await simulator.simulate(live_server, show, role_tokens["ingest"], seed=11,
                                         rate=300, speed=60, minutes=2)
        # Sent again (faster, so the batches fall differently): every message is a duplicate.
        again = await simulator.simulate(live_server, show, role_tokens["ingest"], seed=11,
                                         rate=300, speed=240, minutes=2)
        return first, again

    first, again = run(scenario())
    assert first.simulated_seconds == 120 and first.unanswered == 0 and first.rejected == 0
    assert first.accepted == first.sent and first.duplicates == 0 and first.hidden > 0
    assert again.sent == first.sent and again.accepted == 0 and again.duplicates == first.sent

    state = _state(live_server, show, role_tokens["operator"])
    stats = state["stats"]
    assert stats["comments"] == first.kinds["comment"] > 0
    assert stats["orders"] == first.kinds["order"] > 0 and stats["online"] > 0
    assert stats["gmv"] == f"{first.gmv:.2f}" and stats["hidden"] == first.hidden
    assert stats["questions"] > 0 and state["questions"]
    assert state["intents"]["BT-SERUM-30"] > 0
    final_price = Decimal(state["card"]["ladder"]["final_price"])

    with session_factory() as session:
        batches = session.scalars(select(LiveEvent.data).where(
            LiveEvent.show_id == show, LiveEvent.type == "comments")).all()
    items = [item for batch in batches for item in batch["items"]]
    assert len(items) == first.sent
    orders = [i for i in items if i["kind"] == "order"]
    assert {o["sku"] for o in orders} == {"BT-SERUM-30"}
    assert all(Decimal(o["amount"]) == final_price * o["quantity"] for o in orders)
    assert any(i["question"] for i in items) and any(i["intent"] for i in items)
    assert all(i["hidden"] for i in items if i["user_id"].startswith("spam"))


def test_a_wrong_token_is_a_clear_error(live_server, show):
    with pytest.raises(simulator.SimulatorError, match="unknown or revoked ingest token"):
        run(simulator.simulate(live_server, show, "in_not-a-real-token", minutes=1, speed=60))


async def _cutting_proxy(server: str, cut_after: int):
    """A loopback TCP proxy that cuts the first connection right after forwarding the client's
    ``cut_after``-th write to the server: the batch in it is then left without an answer."""
    import asyncio

    host, port = server.removeprefix("http://").split(":")
    connections = 0

    async def pipe(reader, writer, count: bool):
        chunks = 0
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
                chunks += count
                if count and connections == 1 and chunks == cut_after:
                    return
        except ConnectionError:
            pass

    async def handle(client_reader, client_writer):
        nonlocal connections
        connections += 1
        server_reader, server_writer = await asyncio.open_connection(host, int(port))
        upstream = asyncio.ensure_future(pipe(client_reader, server_writer, True))
        downstream = asyncio.ensure_future(pipe(server_reader, client_writer, False))
        await asyncio.wait([upstream, downstream], return_when=asyncio.FIRST_COMPLETED)
        for task in (upstream, downstream):
            task.cancel()
        for writer in (client_writer, server_writer):
            writer.transport.abort()

    proxy = await asyncio.start_server(handle, "127.0.0.1", 0)
    return proxy, f"http://127.0.0.1:{proxy.sockets[0].getsockname()[1]}"


def test_a_dropped_connection_is_resumed_and_unanswered_batches_sent_again(
        live_server, show, role_tokens, session_factory):
    async def scenario():
        proxy, address = await _cutting_proxy(live_server, cut_after=4)
        async with proxy:
            return await simulator.simulate(address, show, role_tokens["ingest"], seed=5,
                                            rate=300, speed=60, minutes=2)

    summary = run(scenario())
    assert summary.reconnects == 1 and summary.resent >= 1 and summary.unanswered == 0
    assert summary.accepted + summary.duplicates == summary.sent
    with session_factory() as session:
        batches = session.scalars(select(LiveEvent.data).where(
            LiveEvent.show_id == show, LiveEvent.type == "comments")).all()
    ids = [item["id"] for batch in batches for item in batch["items"]]
    assert len(ids) == len(set(ids)) == summary.sent  # each message stored once, none lost
