"""What operations staff see: readiness, Prometheus metrics, and logs that keep secrets out."""

from __future__ import annotations

import json
import logging
import time

import httpx2 as httpx
import pytest

from tests.conftest import serving
from tests.live_console.conftest import Client, comment, free_port, run, start_studio


def test_readiness_names_what_is_down(settings):
    from fastapi.testclient import TestClient

    from studio.app import create_app

    with TestClient(create_app(settings)) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 200
        assert answer.json() == {"status": "ready", "checks": {"database": "ok"}}
    gone = settings.model_copy(update={
        "database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    with TestClient(create_app(gone)) as client:
        assert client.get("/healthz").status_code == 200  # alive, but not ready
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"]["database"].startswith("unreachable: OperationalError")


def test_readiness_waits_for_the_redis_fan_out(settings, redis_url):
    from studio.app import create_app

    shared = settings.model_copy(update={"redis_url": redis_url})
    with serving(create_app(shared)) as url:
        deadline = time.monotonic() + 10
        while (answer := httpx.get(f"{url}/readyz")).status_code != 200:
            assert time.monotonic() < deadline, answer.json()
            time.sleep(0.1)
        assert answer.json()["checks"] == {"database": "ok", "redis": "ok"}
    unreachable = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with serving(create_app(unreachable)) as url:
        answer = httpx.get(f"{url}/readyz")
        assert answer.status_code == 503 and answer.json()["checks"]["redis"] == "reconnecting"


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus exposition text."""
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels
                     else "")
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{wanted} not in /metrics")


def test_metrics_count_connections_events_and_resyncs(live_server, show, role_tokens):
    before = httpx.get(f"{live_server}/metrics").text
    events_before = sample(before, "studio_live_events_total")

    async def scenario():
        operator = await Client.connect(live_server, show, role_tokens["operator"])
        overlays = [await Client.connect(live_server, show, role_tokens["overlay"])
                    for _ in range(3)]
        for client in (operator, *overlays):
            await client.recv()
        await operator.command("status.set", {"status": "live"})
        ingest = await Client.connect(live_server, show, role_tokens["ingest"])
        await ingest.recv()
        answer = await ingest.ingest([comment(n) for n in range(5)])
        await overlays[0].caught_up(answer["seq"])
        during = httpx.get(f"{live_server}/metrics").text
        for client in (operator, *overlays, ingest):
            await client.close()
        return during

    during = run(scenario())
    assert sample(during, "studio_live_connections", role="overlay") == 3
    assert sample(during, "studio_live_connections", role="operator") == 1
    assert sample(during, "studio_live_events_total") == events_before + 2
    deadline = time.monotonic() + 5
    while sample(httpx.get(f"{live_server}/metrics").text, "studio_live_connections",
                 role="overlay") != 0:  # closed sockets leave the gauge
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_secrets_never_reach_the_logs(caplog):
    from studio.observability import RedactSecrets, redact

    token = "op_AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    assert redact(f"GET /live/demo/console?token={token}&x=1") == \
        "GET /live/demo/console?token=***&x=1"
    assert redact(f"Authorization: Bearer {token}") == "Authorization: Bearer ***"
    assert token not in redact(f"hello from {token}")
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "GET",
                               f"/live/demo/overlay/card?token={token}", "1.1", 200), None)
    assert RedactSecrets().filter(record)
    assert token not in record.getMessage() and "token=***" in record.getMessage()


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_server_logs_in_either_format_without_tokens(show, role_tokens, studio_env, tmp_path,
                                                     log_format):
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    path = tmp_path / "server.log"
    with path.open("ab") as log:
        process = start_studio({**studio_env, "STUDIO_LOG_FORMAT": log_format}, port, log)
        try:
            for role in ("operator", "overlay"):
                page = "console" if role == "operator" else "overlay/card"
                answer = httpx.get(f"{server}/live/{show}/{page}",
                                   params={"token": role_tokens[role]})
                assert answer.status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=20)
    text = path.read_text(encoding="utf-8")
    assert f"/live/{show}/console?token=***" in text
    for token in role_tokens.values():
        assert token not in text
    if log_format == "json":
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        access = [line for line in lines if line["logger"] == "uvicorn.access"]
        assert access and {"time", "level", "pid", "message"} <= set(access[0])


def test_rate_limits_are_per_token_across_sockets_and_http(live_server, show, role_tokens):
    token = role_tokens["operator"]

    async def scenario():
        sockets = [await Client.connect(live_server, show, token) for _ in range(3)]
        for socket_ in sockets:
            await socket_.recv()
        for n in range(60):  # 60 at once over three sockets: one budget of 40 (+ refill)
            await sockets[n % 3].socket.send(json.dumps(
                {"type": "command", "id": f"r{n}", "name": "card.clear", "args": {}}))
        answers = []
        for n in range(60):
            answers.append(await sockets[n % 3].until(
                lambda f, n=n: f.get("type") in ("ack", "reject") and f.get("id") == f"r{n}"))
        return answers

    answers = run(scenario())
    limited = [a for a in answers if a.get("code") == "rate_limited"]
    assert 10 <= len(limited) <= 20, [a.get("code") for a in answers]
    assert "with this token" in limited[0]["reason"]
    # over HTTP the same token draws on a budget of the same size
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as http:
        codes = [http.post(f"{live_server}/api/v1/live/{show}/commands/card.clear")
                 for _ in range(80)]
    refused = [r for r in codes if r.status_code == 429]
    assert refused and refused[0].json()["error"]["code"] == "rate_limited"
    # another role's token has a budget of its own
    host = httpx.post(f"{live_server}/api/v1/live/{show}/commands/runsheet.next",
                      headers={"Authorization": f"Bearer {role_tokens['host']}"})
    assert host.status_code in (200, 409), host.text
