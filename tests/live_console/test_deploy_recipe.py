"""The nginx recipe of docs/deploy.md, as printed there, in front of two Studio workers: TLS,
WebSockets through the proxy, readiness, and clients carrying on when a worker dies."""

from __future__ import annotations

import json
import re
import shutil
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx2 as httpx
import pytest
import websockets

from tests.live_console.conftest import Client, free_port, run, start_studio

pytestmark = pytest.mark.slow
DOCS = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def recipe() -> str:
    """The nginx block exactly as docs/deploy.md shows it."""
    found = re.search(r"```nginx\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert found, "docs/deploy.md has no nginx block"
    return found.group(1)


def test_the_nginx_recipe_serves_two_workers_with_tls_and_websockets(
        show, role_tokens, studio_env, redis_url, tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if nginx is None:
        pytest.skip("nginx is not installed (.ci/run installs it)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    ports = [free_port(), free_port()]
    front = free_port()
    site = recipe()
    site = re.sub(r"upstream studio \{[^}]*\}", "upstream studio { least_conn; "
                  + " ".join(f"server 127.0.0.1:{p};" for p in ports) + " }", site)
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{front} ssl;")
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
events {{}}
http {{
  client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
  fastcgi_temp_path {tmp_path}/fastcgi; uwsgi_temp_path {tmp_path}/uwsgi;
  scgi_temp_path {tmp_path}/scgi;
{site}
}}
""", encoding="utf-8")
    env = {**studio_env, "STUDIO_REDIS_URL": redis_url}
    log = (tmp_path / "workers.log").open("ab")
    workers = [start_studio(env, port, log) for port in ports]
    proxy = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"https://localhost:{front}"
    context = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                ready = httpx.get(f"{base}/readyz", verify=context, timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, (tmp_path / "nginx-error.log").read_text()
                time.sleep(0.1)
        assert ready.status_code == 200 and ready.json()["checks"]["redis"] == "ok"

        async def connect(token, last_seq=None) -> Client:
            """A client through the proxy (wss, our test CA): Client.connect speaks plain ws."""
            hello = {"type": "hello", "token": token}
            if last_seq is not None:
                hello["last_seq"] = last_seq
            socket = await websockets.connect(f"wss://localhost:{front}/ws/live/{show}",
                                              ssl=context, max_size=None)
            await socket.send(json.dumps(hello))
            client = Client(socket)
            Client.opened.append(client)
            return client

        async def scenario():
            operator = await connect(role_tokens["operator"])
            # least_conn spreads these over both workers
            watchers = [await connect(role_tokens["overlay"]) for _ in range(4)]
            for client in (operator, *watchers):
                await client.recv()
            acks = [await operator.command("card.take", {"sku": sku})
                    for sku in ("BT-SERUM-30", "BT-MASK-10", "HM-CUP-WHT")]
            for watcher in watchers:
                await watcher.caught_up(acks[-1]["seq"])
                assert [e["seq"] for e in watcher.events()] == [a["seq"] for a in acks]
            return acks[-1]["seq"]

        last = run(scenario())
        workers[0].send_signal(signal.SIGKILL)  # a worker dies behind the proxy
        workers[0].wait(timeout=10)

        async def after():
            client = await connect(role_tokens["operator"], last_seq=last)
            resumed = await client.until(lambda f: f["type"] in ("resumed", "snapshot"))
            assert resumed["type"] == "resumed" and resumed["seq"] == last
            ack = await client.command("card.clear")
            assert ack["type"] == "ack" and ack["seq"] == last + 1

        run(after())  # nginx sends the new connection to the worker still alive
    finally:
        proxy.send_signal(signal.SIGQUIT)
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
            proxy.wait(timeout=10)
        if proxy.stderr is not None:
            proxy.stderr.close()
        for worker in workers:
            worker.kill()
            worker.wait(timeout=10)
        log.close()
