"""HTTP triggers and ingest, tokens, the log export, limits — and recovery from kill -9."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import signal

import httpx2 as httpx  # the client the dev extras install (Starlette 1.x uses it)
import pytest

from tests.live_console.conftest import Client, comment, free_port, run, start_studio


def post(server, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(server + path, headers=headers, timeout=10, **kwargs)


def test_http_trigger_acts_and_returns_the_seq(live_server, show, role_tokens):
    base = f"/api/v1/live/{show}/commands"
    ok = post(live_server, base, role_tokens["operator"],
              json={"id": "sd-1", "name": "status.set", "args": {"status": "live"}})
    assert ok.status_code == 200 and ok.json()["type"] == "ack"
    again = post(live_server, base, role_tokens["operator"],
                 json={"id": "sd-1", "name": "status.set", "args": {"status": "live"}})
    assert again.json()["seq"] == ok.json()["seq"]  # idempotent by id
    named = post(live_server, f"{base}/runsheet.next?id=sd-2", role_tokens["operator"])
    assert named.status_code == 200 and named.json()["seq"] > ok.json()["seq"]
    clear = post(live_server, f"{base}/coupon.cancel", role_tokens["operator"],
                 json={"id": "nope"})
    assert clear.status_code == 409 and clear.json()["code"] == "not_active"
    overlay = post(live_server, base, role_tokens["overlay"], json={"name": "card.clear"})
    assert overlay.status_code == 403 and overlay.json()["error"]["code"] == "forbidden"
    anonymous = post(live_server, base, json={"name": "card.clear"})
    assert anonymous.status_code == 401
    state = httpx.get(f"{live_server}/api/v1/live/{show}/state",
                      params={"token": role_tokens["overlay"]}).json()
    assert state["state"]["status"] == "live" and state["state"]["runsheet"]["index"] == 0
    assert "moderation" not in state["state"]  # operators only


def test_http_ingest_with_token_or_signature(live_server, show, role_tokens):
    post(live_server, f"/api/v1/live/{show}/commands", role_tokens["operator"],
         json={"name": "status.set", "args": {"status": "live"}})
    batch = {"messages": [comment(1, "链接在哪？"), comment(2, "+1")]}
    result = post(live_server, f"/api/v1/live/{show}/comments", role_tokens["ingest"], json=batch)
    assert result.status_code == 200
    assert (result.json()["accepted"], result.json()["duplicates"]) == (2, 0)
    body = json.dumps({"messages": [comment(3, "好")]}).encode()
    signature = "sha256=" + hmac.new(role_tokens["ingest"].encode(), body,
                                     hashlib.sha256).hexdigest()
    signed = httpx.post(f"{live_server}/api/v1/live/{show}/comments", content=body,
                        headers={"X-Studio-Signature": signature,
                                 "Content-Type": "application/json"})
    assert signed.status_code == 200 and signed.json()["accepted"] == 1
    forged = httpx.post(f"{live_server}/api/v1/live/{show}/comments", content=body,
                        headers={"X-Studio-Signature": "sha256=" + "0" * 64})
    assert forged.status_code == 401
    wrong_role = post(live_server, f"/api/v1/live/{show}/comments", role_tokens["operator"],
                      json=batch)
    assert wrong_role.status_code == 403
    bad = post(live_server, f"/api/v1/live/{show}/comments", role_tokens["ingest"],
               json={"messages": [{"platform": "douyin"}]})
    assert bad.status_code == 422 and "message 0: message_id" in bad.json()["error"]["message"]
    huge = post(live_server, f"/api/v1/live/{show}/comments", role_tokens["ingest"],
                content=b"x" * (600 * 1024))
    assert huge.status_code == 413


def test_rotating_a_token_revokes_it(live_server, show, role_tokens, run_cli):
    rotated = run_cli("live", "tokens", show, "--rotate", "operator", "--json")
    new = json.loads(rotated.stdout)["operator"]
    assert new != role_tokens["operator"] and json.loads(rotated.stdout)["host"] == \
        role_tokens["host"]
    old = post(live_server, f"/api/v1/live/{show}/commands", role_tokens["operator"],
               json={"name": "status.set", "args": {"status": "live"}})
    assert old.status_code == 401
    assert post(live_server, f"/api/v1/live/{show}/commands", new,
                json={"name": "status.set", "args": {"status": "live"}}).status_code == 200


def test_rotating_a_token_closes_its_open_sockets(live_server, show, role_tokens, run_cli):
    import websockets

    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        overlay = await Client.connect(live_server, show, role_tokens["overlay"])
        await operator.recv()
        await overlay.recv()
        await asyncio.to_thread(run_cli, "live", "tokens", show, "--rotate", "operator")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:  # within the check interval (2 s)
                await operator.recv(timeout=6)
        assert closed.value.rcvd.code == 4001 and "revoked" in closed.value.rcvd.reason
        await overlay.socket.send(json.dumps({"type": "ping"}))  # the other roles stay
        pong = await overlay.until(lambda f: f["type"] == "pong")
        assert pong["seq"] >= 0

    run(scenario())


def test_oversized_frames_close_with_4413(live_server, show, role_tokens):
    import websockets

    async def scenario():
        client = await Client.connect(live_server, show, role_tokens["operator"])
        await client.recv()
        await client.socket.send(json.dumps({"type": "command", "id": "x", "name": "card.clear",
                                             "args": {"pad": "x" * 20_000}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await client.recv()
        return closed.value.rcvd.code

    assert run(scenario()) == 4413


def test_export_writes_the_log_as_json_lines(live_server, show, role_tokens, run_cli, tmp_path):
    post(live_server, f"/api/v1/live/{show}/commands", role_tokens["operator"],
         json={"id": "a", "name": "status.set", "args": {"status": "live"}})
    post(live_server, f"/api/v1/live/{show}/commands", role_tokens["operator"],
         json={"id": "b", "name": "card.take", "args": {"sku": "BT-SERUM-30"}})
    out = tmp_path / "log.jsonl"
    result = run_cli("live", "export", show, "--out", str(out))
    assert result.exit_code == 0 and "exported 2 events" in result.stdout
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(e["seq"], e["type"], e["command_id"]) for e in lines] == [
        (1, "status.changed", "a"), (2, "card.taken", "b")]
    assert lines[1]["data"]["card"]["sku"] == "BT-SERUM-30" and lines[1]["at"].endswith("+00:00")


# ---- kill -9 and restart ---------------------------------------------------------------------------

def test_kill_9_mid_show_loses_no_acknowledged_event(show, role_tokens, studio_env, tmp_path):
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("ab")
    process = start_studio(studio_env, port, log)
    try:
        async def before_kill():
            operator = await Client.connect(server, show, role_tokens["operator"])
            watcher = await Client.connect(server, show, role_tokens["overlay"])
            ingest = await Client.connect(server, show, role_tokens["ingest"])
            for client in (operator, watcher, ingest):
                await client.recv()
            await operator.command("status.set", {"status": "live"})
            await operator.command("runsheet.next")
            checkpoint = (await operator.command("runsheet.next"))["seq"]
            await watcher.caught_up(checkpoint)
            await watcher.close()
            await operator.command("coupon.launch", {"amount": "20", "quantity": 50,
                                                     "duration_seconds": 3600})
            await ingest.ingest([comment(n, "拍了" if n % 3 else "多少钱？") for n in range(30)]
                                + [comment(100, "订单", kind="order", sku="BT-MASK-10",
                                           quantity=2, amount="118.00", coupon="coupon-1")])
            await operator.command("giveaway.start", {"prize": "福袋", "keyword": "拍了"})
            last = (await operator.command("card.take", {"sku": "HM-CUP-WHT"}))["seq"]
            return checkpoint, last

        checkpoint, last = run(before_kill())
        state_before = httpx.get(f"{server}/api/v1/live/{show}/state",
                                 params={"token": role_tokens["operator"]}).json()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        process = start_studio(studio_env, port, log)

        state_after = httpx.get(f"{server}/api/v1/live/{show}/state",
                                params={"token": role_tokens["operator"]}).json()
        assert state_after["seq"] == state_before["seq"] == last
        assert state_after["state"] == state_before["state"]

        async def resume():
            watcher = await Client.connect(server, show, role_tokens["overlay"],
                                           last_seq=checkpoint)
            frames = []
            while not frames or frames[-1]["type"] != "resumed":
                frames.append(await watcher.recv())
            return frames

        frames = run(resume())
        seqs = [f["seq"] for f in frames if f["type"] == "event"]
        assert seqs == list(range(checkpoint + 1, last + 1))  # no gap, no duplicate
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()
