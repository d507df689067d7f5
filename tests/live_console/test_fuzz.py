"""The live protocol fuzzed with hypothesis over real sockets: whatever arrives, the server answers
each frame or closes with a protocol code, never fails inside, and its state stays exactly what
replaying the log gives."""

from __future__ import annotations

import json

import httpx2 as httpx
import pytest
import websockets
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from tests.live_console.conftest import Client, run

pytestmark = pytest.mark.slow

COMMAND_NAMES = ["status.set", "card.take", "card.clear", "products.list", "products.delist",
                 "product.pin", "coupon.launch", "coupon.cancel", "flash_sale.start",
                 "flash_sale.end", "giveaway.start", "giveaway.draw", "runsheet.next",
                 "runsheet.goto", "comment.feature", "comment.hide", "user.mute", "no.such"]
SKUS = ["BT-SERUM-30", "BT-MASK-10", "HM-CUP-WHT", "NOPE"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False), st.text(max_size=30), st.sampled_from(SKUS),
                    st.sampled_from(["live", "paused", "ended", "rehearsal", "20", "1.5", "-1"]),
                    st.sampled_from(["nul\x00here", "\ud83d", "<b>x</b>", "拍了" * 200]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
arg_names = st.sampled_from(["sku", "skus", "status", "amount", "quantity", "duration_seconds",
                             "prize", "keyword", "id", "slot_id", "comment_id", "user_id",
                             "price", "stock", "winners", "minutes"])
commands = st.fixed_dictionaries(
    {"type": st.just("command"), "id": st.text(min_size=1, max_size=20),
     "name": st.sampled_from(COMMAND_NAMES),
     "args": st.dictionaries(arg_names, values, max_size=4)})
ingests = st.fixed_dictionaries(
    {"type": st.just("ingest"), "id": st.text(max_size=10),
     "messages": st.lists(st.dictionaries(
         st.sampled_from(["platform", "message_id", "user_id", "nickname", "text", "kind", "sku",
                          "quantity", "amount", "at"]), values, max_size=6), max_size=4)})
frames = st.one_of(commands, commands, ingests, values.map(json.dumps),
                   st.text(max_size=40), st.just('{"type": "ping"}'))


def test_any_frame_is_answered_and_the_state_matches_the_log(live_server, show, role_tokens,
                                                              session_factory):
    seen_codes: set[int] = set()

    @given(batch=st.lists(frames, min_size=1, max_size=6))
    @examples(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def exchange(batch):
        async def scenario():
            operator = await Client.connect(live_server, show, role_tokens["operator"])
            feed = await Client.connect(live_server, show, role_tokens["ingest"])
            await operator.recv()
            await feed.recv()
            for frame in batch:
                text = frame if isinstance(frame, str) else json.dumps(frame)
                target = feed if isinstance(frame, dict) and frame["type"] == "ingest" else operator
                try:
                    await target.socket.send(text)
                    answer = await target.until(lambda f: f.get("type") in (
                        "ack", "reject", "error", "ingested", "pong"))
                except websockets.ConnectionClosed as closed:
                    code = closed.rcvd.code if closed.rcvd else None
                    seen_codes.add(code)
                    assert code is not None and 4000 <= code < 5000, code  # never 1011
                    return
                assert answer.get("type") != "error" or answer.get("code") in (
                    "protocol", "forbidden", "invalid"), answer
                if answer["type"] == "reject":
                    assert answer["code"] != "storage", answer  # bad input is not a write error
            pong = await operator.command("card.clear")  # the socket still works
            assert pong["type"] in ("ack", "reject")

        run(scenario())

    exchange()

    # the live state equals a fresh replay of the log: nothing applied that was not written
    live = httpx.get(f"{live_server}/api/v1/live/{show}/state",
                     params={"token": role_tokens["operator"]}).json()
    from studio.live_console import service
    from studio.live_console.hub import ShowHub

    replayed = ShowHub(show, session_factory, service.load_show, service.load_cards)
    replayed._load()
    assert live["seq"] == replayed.state.seq
    assert live["state"] == replayed.state.snapshot("operator")

