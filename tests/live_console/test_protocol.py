"""The live protocol with real WebSocket clients against a real uvicorn on loopback."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from tests.live_console.conftest import Client, comment, run


def test_bad_token_is_closed_with_4001(live_server, show):
    async def scenario():
        client = await Client.connect(live_server, show, "op_not-a-real-token")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await client.recv()
        return closed.value.rcvd.code

    assert run(scenario()) == 4001


def test_snapshot_then_numbered_events_and_acks(live_server, show, role_tokens):
    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        overlay = await Client.connect(live_server, show, role_tokens["overlay"])
        first = await operator.recv()
        assert first["type"] == "snapshot" and first["role"] == "operator"
        assert first["state"]["status"] == "planned" and first["state"]["card"] is None
        assert (await overlay.recv())["type"] == "snapshot"
        ack = await operator.command("status.set", {"status": "rehearsal"})
        assert ack["type"] == "ack" and ack["seq"] == first["seq"] + 1
        taken = await operator.command("card.take", {"sku": "BT-SERUM-30"})
        event = await overlay.until(lambda f: f.get("event") == "card.taken")
        assert event["seq"] == taken["seq"] == ack["seq"] + 1
        card = event["state"]["card"]
        assert card["ladder"]["final_price"] == "159.00" and card["ladder"]["list_price"]
        assert card["selling_points"] and card["stock_left"] == 1800
        seqs = [e["seq"] for e in overlay.events()]
        assert seqs == sorted(set(seqs))
        await operator.close()
        await overlay.close()

    run(scenario())


def test_commands_are_idempotent_by_id_and_rejections_carry_reasons(live_server, show, role_tokens):
    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        await operator.recv()
        first = await operator.command("status.set", {"status": "live"}, command_id="go-live")
        again = await operator.command("status.set", {"status": "live"}, command_id="go-live")
        assert again == {**first, "server_time": again["server_time"]}
        illegal = await operator.command("status.set", {"status": "planned"})
        assert illegal["type"] == "reject" and illegal["code"] == "invalid"
        paused = await operator.command("status.set", {"status": "paused"})
        assert paused["type"] == "ack"
        resume = await operator.command("status.set", {"status": "rehearsal"})
        assert resume["code"] == "illegal_transition"
        assert "a paused show cannot become rehearsal (allowed: ended, live)" in resume["reason"]
        # the reason's template and its values, for a screen to say it in its own language
        assert resume["message"] == "a {current} show cannot become {wanted} (allowed: {allowed})"
        assert resume["params"] == {"current": "paused", "wanted": "rehearsal", "allowed": "ended, live"}
        from studio.i18n import translate

        assert translate("zh-CN", resume["message"]).format(**resume["params"]) == \
            "paused 状态的直播不能改为 rehearsal（可改为：ended, live）"
        coupon = await operator.command("coupon.cancel", {"id": "nope"})
        assert coupon["code"] == "not_active"
        overlay = await Client.connect(live_server, show, role_tokens["overlay"])
        await overlay.recv()
        forbidden = await overlay.command("card.clear")
        assert forbidden["code"] == "forbidden" and "overlay role cannot" in forbidden["reason"]
        ended = await operator.command("status.set", {"status": "ended"})
        assert ended["type"] == "ack"
        late = await operator.command("card.take", {"sku": "BT-SERUM-30"})
        assert late["code"] == "show_ended"
        events = [e for e in operator.events() if e["event"] == "status.changed"]
        assert len(events) == 3  # live, paused, ended: the repeated id made no second event

    run(scenario())


def test_resume_gets_exactly_the_missed_events(live_server, show, role_tokens):
    async def scenario():
        watcher = await Client.connect(live_server, show, role_tokens["host"])
        snapshot = await watcher.recv()
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        await operator.recv()
        await operator.command("status.set", {"status": "rehearsal"})
        await watcher.until(lambda f: f.get("event") == "status.changed")
        last_seen = watcher.events()[-1]["seq"]
        await watcher.close()
        for sku in ("BT-SERUM-30", "BT-LIP-01", "AP-DOWN-BLK-M"):
            await operator.command("card.take", {"sku": sku})
        back = await Client.connect(live_server, show, role_tokens["host"], last_seq=last_seen)
        replayed = [await back.recv() for _ in range(4)]
        assert [f["type"] for f in replayed] == ["event", "event", "event", "resumed"]
        assert [f["seq"] for f in replayed[:3]] == [last_seen + 1, last_seen + 2, last_seen + 3]
        assert replayed[2]["state"]["card"]["sku"] == "AP-DOWN-BLK-M"
        too_old = await Client.connect(live_server, show, role_tokens["host"], last_seq=10**9)
        assert (await too_old.recv())["type"] == "snapshot"
        assert snapshot["seq"] < last_seen

    run(scenario())


def test_two_operators_at_once_get_one_gap_free_order(live_server, show, role_tokens):
    async def scenario():
        a = await Client.connect(live_server, show, role_tokens["operator"])
        b = await Client.connect(live_server, show, role_tokens["operator"])
        start = (await a.recv())["seq"]
        await b.recv()
        await a.command("status.set", {"status": "rehearsal"})

        async def burst(client, prefix):
            return [await client.command("products.list", {"skus": [sku]},
                                         command_id=f"{prefix}{n}")
                    for n, sku in enumerate(["BT-SERUM-30", "BT-LIP-01", "SN-NUTS-15",
                                             "HM-CUP-WHT", "AP-LEG-BLK-S"])]

        acks = await asyncio.gather(burst(a, "a"), burst(b, "b"))
        seqs = sorted(ack["seq"] for group in acks for ack in group)
        assert seqs == list(range(start + 2, start + 12))
        await a.caught_up(start + 11)
        await b.caught_up(start + 11)
        assert [e["seq"] for e in a.events()] == [e["seq"] for e in b.events()]

    run(scenario())


def test_comment_ingest_dedupes_moderates_and_detects(live_server, show, role_tokens):
    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        overlay = await Client.connect(live_server, show, role_tokens["overlay"])
        ingest = await Client.connect(live_server, show, role_tokens["ingest"])
        for client in (operator, overlay, ingest):
            await client.recv()
        await operator.command("status.set", {"status": "live"})
        await operator.command("moderation.set", {"words": ["傻"], "patterns": [r"v\s*x"]})
        await operator.command("card.take", {"sku": "AP-DOWN-BLK-M"})
        xss = '<img src=x onerror=alert(1)>'
        result = await ingest.ingest([
            comment(1, "这件多少钱？"), comment(2, "拍了 L"), comment(3, "傻瓜主播"),
            comment(4, "加我 v x 123"), comment(1, "这件多少钱？"), comment(5, xss,
                                                                          user="<b>hacker</b>"),
        ])
        assert (result["accepted"], result["duplicates"], result["hidden"]) == (5, 1, 2)
        event = await overlay.until(lambda f: f.get("event") == "comments")
        public = [c["text"] for c in event["data"]["items"]]
        assert "傻瓜主播" not in public and xss in public  # hidden stays with the operator
        assert event["state"]["intents"] == {"AP-DOWN-BLK-M": 1}
        assert [q["text"] for q in event["state"]["questions"]] == ["这件多少钱？"]
        operator_view = await operator.until(lambda f: f.get("event") == "comments")
        assert len(operator_view["data"]["items"]) == 5
        hidden = [c for c in operator_view["data"]["items"] if c["hidden"]]
        assert {c["hidden_reason"] for c in hidden} == {"blocked word"}
        again = await ingest.ingest([comment(1, "这件多少钱？")], batch_id="again")
        assert again["duplicates"] == 1 and again["accepted"] == 0

    run(scenario())


def test_coupon_ends_by_itself_at_its_time(live_server, show, role_tokens):
    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        await operator.recv()
        await operator.command("status.set", {"status": "live"})
        ack = await operator.command("coupon.launch", {"amount": "20", "min_spend": "199",
                                                       "quantity": 100, "duration_seconds": 1})
        launched = next(e for e in operator.events() if e["event"] == "coupon.launched")
        assert launched["state"]["coupons"]["coupon-1"]["ends_at"] > launched["at"]
        ended = await operator.until(lambda f: f.get("event") == "coupon.ended", timeout=5)
        assert ended["data"] == {"id": "coupon-1", "reason": "time"}
        assert ended["seq"] == ack["seq"] + 1

    run(scenario())


def test_giveaway_draws_fairly_from_keyword_entrants(live_server, show, role_tokens):
    import random

    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        ingest = await Client.connect(live_server, show, role_tokens["ingest"])
        await operator.recv()
        await ingest.recv()
        await operator.command("status.set", {"status": "live"})
        await operator.command("giveaway.start", {"prize": "福袋 保温杯", "keyword": "冬日",
                                                  "winners": 2})
        await ingest.ingest([comment(n, "冬日好物节冲冲冲", user=f"fan{n % 4}") for n in range(10)]
                            + [comment(99, "路过")])
        drawn = await operator.command("giveaway.draw", {"id": "giveaway-1"})
        assert drawn["type"] == "ack"
        event = next(e for e in operator.events() if e["event"] == "giveaway.drawn")
        data = event["data"]
        assert data["entrants"] == 4 and len(data["winners"]) == 2
        entrants = sorted(f"douyin:fan{n}" for n in range(4))
        assert random.Random(data["seed"]).sample(entrants, 2) == data["winners"]

    run(scenario())


def test_runsheet_pointer_follows_the_plan_and_takes_cards(live_server, show, role_tokens):
    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        host = await Client.connect(live_server, show, role_tokens["host"])
        snapshot = await operator.recv()
        await host.recv()
        await operator.command("status.set", {"status": "live"})
        assert snapshot["state"]["runsheet"]["next"]["id"] == "opening"
        await host.command("runsheet.next")  # the host's clicker may move the sheet
        second = await operator.command("runsheet.next")
        moved = [e for e in operator.events() if e["event"] == "runsheet.moved"]
        assert moved[-1]["state"]["runsheet"]["index"] == 1
        card = [e for e in operator.events() if e["event"] == "card.taken"][-1]
        assert card["seq"] == second["seq"]
        assert card["state"]["card"]["slot"] == moved[-1]["data"]["slot"]
        actual = moved[-1]["state"]["runsheet"]["actual"]
        assert actual["opening"]["ended_at"] == actual[moved[-1]["data"]["slot"]]["started_at"]
        back = await operator.command("runsheet.previous")
        assert back["type"] == "ack"
        first_again = await operator.command("runsheet.previous")
        assert first_again["code"] == "start_of_plan"

    run(scenario())


def test_the_pointer_follows_the_plan_when_it_is_edited_mid_show(live_server, show, role_tokens,
                                                                  client_for_plans):
    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        await operator.recv()
        await operator.command("status.set", {"status": "live"})
        await operator.command("runsheet.next")
        await operator.command("runsheet.next")
        current = [e for e in operator.events() if e["event"] == "runsheet.moved"][-1]
        return current["data"]["slot"]

    slot_id = run(scenario())
    document = client_for_plans.get(f"/api/v1/plans/{show}").json()["document"]
    document["segments"].insert(0, {"id": "warmup", "kind": "interaction", "minutes": "3"})
    assert client_for_plans.put(f"/api/v1/plans/{show}", json={"document": document}).status_code \
        == 200

    async def after_edit():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        await operator.recv()
        ack = await operator.command("runsheet.next")
        moved = [e for e in operator.events() if e["event"] == "runsheet.moved"][-1]
        return ack, moved

    ack, moved = run(after_edit())
    assert ack["type"] == "ack"
    ids = [s["id"] for s in document["segments"]]
    assert moved["data"]["slot"] == ids[ids.index(slot_id) + 1]  # the slot after, not index + 1


def test_a_cancelled_show_takes_no_commands(live_server, show, role_tokens, client_for_plans):
    cancelled = client_for_plans.patch(f"/api/v1/shows/{show}", json={"status": "cancelled"})
    assert cancelled.status_code == 200

    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        snapshot = await operator.recv()
        return snapshot, await operator.command("card.take", {"sku": "BT-SERUM-30"})

    snapshot, answer = run(scenario())
    assert snapshot["state"]["status"] == "cancelled"
    assert answer["code"] == "show_ended" and "the show is cancelled" in answer["reason"]
