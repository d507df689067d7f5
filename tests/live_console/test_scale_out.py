"""Several console workers on one database and one Redis: order, numbering, resume and faults.

Each worker is a real uvicorn serving its own app (own engine, own hubs, own Redis
connection); clients are real WebSocket clients. Redis is the machine's, except where a test
restarts it: that one runs a redis-server of its own on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
import redis

from tests.conftest import serving
from tests.live_console.conftest import Client, comment, free_port, run, start_studio

SKUS = ["BT-SERUM-30", "BT-MASK-10", "HM-CUP-WHT"]


@contextmanager
def workers(settings, redis_url: str, count: int = 2) -> Iterator[list[str]]:
    """``count`` workers sharing the test database and ``redis_url``; yields their URLs."""
    from studio.app import create_app

    shared = settings.model_copy(update={"redis_url": redis_url})
    with ExitStack() as stack:
        yield [stack.enter_context(serving(create_app(shared))) for _ in range(count)]


@pytest.fixture
def two_workers(settings, redis_url) -> Iterator[list[str]]:
    with workers(settings, redis_url) as urls:
        yield urls


def seqs(client: Client) -> list[int]:
    return [event["seq"] for event in client.events()]


def test_commands_through_either_worker_reach_every_client_in_order(two_workers, show,
                                                                     role_tokens):
    a, b = two_workers

    async def scenario():
        op_a = await Client.connect(a, show, role_tokens["operator"])
        op_b = await Client.connect(b, show, role_tokens["operator"])
        watch_a = await Client.connect(a, show, role_tokens["overlay"])
        watch_b = await Client.connect(b, show, role_tokens["overlay"])
        first = (await watch_a.recv())["seq"]
        for client in (op_a, op_b, watch_b):
            await client.recv()
        acks = [await op_a.command("status.set", {"status": "rehearsal"})]
        for n in range(12):  # alternate workers: each command is decided on the other's state
            via = op_b if n % 2 == 0 else op_a
            acks.append(await via.command("card.take", {"sku": SKUS[n % len(SKUS)]}))
        assert all(ack["type"] == "ack" for ack in acks), acks
        assert [ack["seq"] for ack in acks] == list(range(first + 1, first + 14))
        last = acks[-1]["seq"]
        for watcher in (watch_a, watch_b):
            await watcher.caught_up(last)
        assert seqs(watch_a) == seqs(watch_b) == list(range(first + 1, last + 1))
        shown = [[e["state"]["card"]["sku"] for e in w.events() if e["event"] == "card.taken"]
                 for w in (watch_a, watch_b)]
        assert shown[0] == shown[1] == [SKUS[n % len(SKUS)] for n in range(12)]

    run(scenario())


def test_concurrent_writes_on_both_workers_get_one_gap_free_sequence(two_workers, show,
                                                                     role_tokens, session):
    from sqlalchemy import select

    from studio.live_console.models import LiveEvent

    a, b = two_workers

    async def scenario():
        feeds = [await Client.connect(url, show, role_tokens["ingest"]) for url in (a, b)]
        watchers = [await Client.connect(url, show, role_tokens["operator"]) for url in (a, b)]
        for client in (*feeds, *watchers):
            await client.recv()

        async def send_all(feed: Client, worker: int) -> list[dict]:
            for batch in range(15):  # sent without waiting: the worker batches them itself
                messages = [comment(worker * 100_000 + batch * 100 + n) for n in range(20)]
                await feed.socket.send(json.dumps({"type": "ingest", "id": f"b{batch}",
                                                   "messages": messages}))
            answers: dict[str, dict] = {}
            while len(answers) < 15:
                frame = await feed.until(lambda f: f.get("type") == "ingested")
                answers[frame["id"]] = frame
            return list(answers.values())

        # both workers write at once, so each keeps finding the next seq taken by the other
        answers = [a for both in await asyncio.gather(send_all(feeds[0], 0),
                                                      send_all(feeds[1], 1)) for a in both]
        assert all(answer["ok"] and answer["accepted"] == 20 for answer in answers), answers
        last = max(answer["seq"] for answer in answers)
        for watcher in watchers:
            await watcher.caught_up(last)
        return last, [[item["id"] for e in w.events() if e["event"] == "comments"
                       for item in e["data"]["items"]] for w in watchers]

    last, received = run(scenario())
    logged = session.scalars(select(LiveEvent.seq).where(LiveEvent.show_id == show)
                             .order_by(LiveEvent.seq)).all()
    assert logged == list(range(1, last + 1))  # numbered by the database: no gap, no repeat
    for ids in received:  # every comment exactly once, on both workers' clients
        assert len(ids) == len(set(ids)) == 600
    assert received[0] == received[1]


def test_a_client_resumes_on_the_other_worker_without_a_gap(two_workers, show, role_tokens):
    a, b = two_workers

    async def scenario():
        operator = await Client.connect(a, show, role_tokens["operator"])
        watcher = await Client.connect(a, show, role_tokens["overlay"])
        await operator.recv()
        await watcher.recv()
        checkpoint = (await operator.command("status.set", {"status": "live"}))["seq"]
        await watcher.caught_up(checkpoint)
        await watcher.close()
        for sku in SKUS:
            last = (await operator.command("card.take", {"sku": sku}))["seq"]
        back = await Client.connect(b, show, role_tokens["overlay"], last_seq=checkpoint)
        resumed = await back.until(lambda f: f["type"] == "resumed")
        assert resumed["seq"] == last and resumed["replayed"] == len(SKUS)
        assert seqs(back) == list(range(checkpoint + 1, last + 1))
        follow = await operator.command("runsheet.next")
        await back.caught_up(follow["seq"])
        assert seqs(back)[-1] == follow["seq"]

    run(scenario())


def test_a_command_id_resent_to_the_other_worker_is_answered_not_repeated(two_workers, show,
                                                                          role_tokens):
    a, b = two_workers

    async def scenario():
        op_a = await Client.connect(a, show, role_tokens["operator"])
        op_b = await Client.connect(b, show, role_tokens["operator"])
        await op_a.recv()
        await op_b.recv()
        first = await op_a.command("status.set", {"status": "live"}, command_id="go-live")
        await op_b.caught_up(first["seq"])
        again = await op_b.command("status.set", {"status": "live"}, command_id="go-live")
        assert again["type"] == "ack" and again["seq"] == first["seq"]

    run(scenario())


def test_serve_with_two_worker_processes(show, role_tokens, studio_env, redis_url, tmp_path,
                                          run_cli):
    refused = run_cli("serve", "--workers", "2", "--port", "1")
    assert refused.exit_code == 1
    assert "--workers: more than one worker needs STUDIO_REDIS_URL" in refused.stderr

    port = free_port()
    server = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("ab")
    process = start_studio({**studio_env, "STUDIO_REDIS_URL": redis_url}, port, log,
                           "--workers", "2")
    try:
        async def scenario():
            # the kernel spreads connections over both processes
            operators = [await Client.connect(server, show, role_tokens["operator"])
                         for _ in range(4)]
            watchers = [await Client.connect(server, show, role_tokens["overlay"])
                        for _ in range(8)]
            for client in (*operators, *watchers):
                await client.recv()
            acks = [await operators[n % 4].command("card.take", {"sku": SKUS[n % 3]})
                    for n in range(9)]
            assert [a["type"] for a in acks] == ["ack"] * 9
            numbers = [a["seq"] for a in acks]
            assert numbers == list(range(numbers[0], numbers[0] + 9))
            for watcher in watchers:
                await watcher.caught_up(numbers[-1])
                assert seqs(watcher)[-9:] == numbers

        run(scenario())
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


# ---- faults --------------------------------------------------------------------------------------

@pytest.fixture
def own_redis(tmp_path) -> Iterator[dict]:
    """A redis-server of this test's own (the machine's must not be restarted under others)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server: dict = {"url": f"redis://127.0.0.1:{port}/0"}

    def start() -> None:
        server["process"] = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(server["url"], socket_timeout=1).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop() -> None:
        server["process"].send_signal(signal.SIGKILL)
        server["process"].wait(timeout=10)

    server["start"], server["stop"] = start, stop
    start()
    yield server
    server["process"].kill()
    server["process"].wait(timeout=10)


def test_redis_restart_mid_show_loses_no_acknowledged_event(settings, own_redis, show,
                                                            role_tokens):
    with workers(settings, own_redis["url"]) as (a, b):

        async def scenario():
            operator = await Client.connect(a, show, role_tokens["operator"])
            watcher = await Client.connect(b, show, role_tokens["overlay"])
            start = (await watcher.recv())["seq"]
            await operator.recv()
            acked = [await operator.command("status.set", {"status": "live"})]
            await watcher.caught_up(acked[-1]["seq"])
            own_redis["stop"]()  # Redis gone: the log still takes commands
            for sku in SKUS:
                acked.append(await operator.command("card.take", {"sku": sku}))
            # worker B hears nothing through Redis, and reads the log instead
            await watcher.caught_up(acked[-1]["seq"], timeout=10)
            own_redis["start"]()
            await asyncio.sleep(1.5)  # both workers reconnect
            for sku in reversed(SKUS):
                acked.append(await operator.command("card.take", {"sku": sku}))
            await watcher.caught_up(acked[-1]["seq"], timeout=10)
            assert all(ack["type"] == "ack" for ack in acked), acked
            assert seqs(watcher) == list(range(start + 1, acked[-1]["seq"] + 1))

        run(scenario())


def test_killing_a_worker_moves_its_clients_to_another_missing_nothing(show, role_tokens,
                                                                       studio_env, redis_url,
                                                                       tmp_path):
    env = {**studio_env, "STUDIO_REDIS_URL": redis_url}
    ports = [free_port(), free_port()]
    a, b = (f"http://127.0.0.1:{port}" for port in ports)
    log = (tmp_path / "workers.log").open("ab")
    processes = [start_studio(env, port, log) for port in ports]
    try:
        async def before_kill():
            operator = await Client.connect(a, show, role_tokens["operator"])
            watcher = await Client.connect(a, show, role_tokens["overlay"])
            await operator.recv()
            await watcher.recv()
            for command, args in (("status.set", {"status": "live"}),
                                  ("card.take", {"sku": SKUS[0]}), ("runsheet.next", {})):
                last = (await operator.command(command, args))["seq"]
            await watcher.caught_up(last)
            return seqs(watcher)

        seen = run(before_kill())
        processes[0].send_signal(signal.SIGKILL)  # worker A dies with its clients connected
        processes[0].wait(timeout=10)

        async def after_kill():
            operator = await Client.connect(b, show, role_tokens["operator"])
            await operator.recv()
            moved = (await operator.command("card.take", {"sku": SKUS[1]}))["seq"]
            watcher = await Client.connect(b, show, role_tokens["overlay"], last_seq=seen[-1])
            await watcher.until(lambda f: f["type"] == "resumed")
            return moved, seqs(watcher)

        moved, resumed = run(after_kill())
        assert resumed == list(range(seen[-1] + 1, moved + 1))
        assert seen + resumed == list(range(seen[0], moved + 1))  # none missed, none twice
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=10)
        log.close()


class Cuttable:
    """A TCP relay in front of the database that the test can cut and restore."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.settimeout(0.2)  # accept() wakes up to notice close()
        self.closed = False
        self.cut = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                if self.closed:
                    return
                continue
            except OSError:
                return
            client.settimeout(None)
            if self.cut.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
                for source, sink in ((client, upstream), (upstream, client)):
                    thread = threading.Thread(target=self._pipe, args=(source, sink), daemon=True)
                    self.threads.append(thread)
                    thread.start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
            source.close()  # each socket is the source of exactly one pipe

    def drop(self) -> None:
        """Every open connection reset, new ones refused: the database is gone."""
        self.cut.set()
        with self.lock:
            for end in self.sockets:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
            self.sockets.clear()

    def restore(self) -> None:
        self.cut.clear()

    def close(self) -> None:
        self.closed = True
        self.drop()
        self.threads[0].join(timeout=5)
        self.listener.close()
        with self.lock:
            threads = list(self.threads)
        for thread in threads:
            thread.join(timeout=5)


def test_losing_the_database_rejects_commands_clearly_and_service_resumes(settings, show,
                                                                          role_tokens, engine):
    import httpx2 as httpx

    from studio.app import create_app

    if engine.dialect.name != "postgresql":
        pytest.skip("the database is cut at its TCP connection: PostgreSQL only")
    relay = Cuttable(engine.url.host or "127.0.0.1", engine.url.port or 5432)
    through = engine.url.set(host="127.0.0.1", port=relay.port)
    app = create_app(settings.model_copy(update={
        "database_url": through.render_as_string(hide_password=False)}))
    try:
        with serving(app) as url:
            async def scenario():
                operator = await Client.connect(url, show, role_tokens["operator"])
                watcher = await Client.connect(url, show, role_tokens["overlay"])
                start = (await watcher.recv())["seq"]
                await operator.recv()
                live = await operator.command("status.set", {"status": "live"})
                await watcher.caught_up(live["seq"])
                relay.drop()
                refused = await operator.command("card.take", {"sku": SKUS[0]})
                assert refused["type"] == "reject" and refused["code"] == "storage"
                assert refused["reason"].startswith("not saved, try again")
                assert httpx.get(f"{url}/readyz", timeout=10).status_code == 503
                relay.restore()
                taken = await operator.command("card.take", {"sku": SKUS[0]})
                assert taken["type"] == "ack" and taken["seq"] == live["seq"] + 1
                await watcher.caught_up(taken["seq"])
                assert seqs(watcher) == list(range(start + 1, taken["seq"] + 1))
                shown = [e for e in watcher.events() if e["event"] == "card.taken"]
                assert len(shown) == 1  # the refused command changed nothing on screen
                assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200

            run(scenario())
    finally:
        relay.close()
