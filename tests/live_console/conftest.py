"""Live-console fixtures: the demo show with its plan, role tokens, and a small protocol client."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from typing import Any, ClassVar

import pytest
import websockets


class Client:
    """A real WebSocket client speaking the live protocol."""

    opened: ClassVar[list[Client]] = []

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.frames: list[dict[str, Any]] = []
        self._counter = 0

    @classmethod
    async def connect(cls, server: str, show: str, token: str, last_seq: int | None = None,
                      ) -> Client:
        socket = await websockets.connect(server.replace("http", "ws") + f"/ws/live/{show}",
                                          max_size=None)
        hello: dict[str, Any] = {"type": "hello", "token": token}
        if last_seq is not None:
            hello["last_seq"] = last_seq
        await socket.send(json.dumps(hello))
        client = cls(socket)
        cls.opened.append(client)
        return client

    async def recv(self, timeout: float = 5) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
        self.frames.append(frame)
        return frame

    async def until(self, predicate, timeout: float = 5) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no matching frame; got {[f.get('type') for f in self.frames]}")
            frame = await self.recv(remaining)
            if predicate(frame):
                return frame

    async def caught_up(self, seq: int, timeout: float = 5) -> None:
        """Read until the event numbered ``seq`` has arrived (it may have already)."""
        while not any(f.get("type") == "event" and f["seq"] >= seq for f in self.frames):
            await self.recv(timeout)

    async def command(self, name: str, args: dict[str, Any] | None = None,
                      command_id: str | None = None) -> dict[str, Any]:
        self._counter += 1
        # unique across clients: the server dedupes by id, and id(self) is reused once a
        # client is freed, so a new client could repeat an old one's id by accident
        command_id = command_id or f"c{self._counter}-{uuid.uuid4().hex[:12]}"
        await self.socket.send(json.dumps({"type": "command", "id": command_id, "name": name,
                                           "args": args or {}}))
        return await self.until(lambda f: f.get("type") in ("ack", "reject")
                                and f.get("id") == command_id)

    async def ingest(self, messages: list[dict[str, Any]], batch_id: str = "b") -> dict[str, Any]:
        await self.socket.send(json.dumps({"type": "ingest", "id": batch_id,
                                           "messages": messages}))
        return await self.until(lambda f: f.get("type") == "ingested" and f.get("id") == batch_id)

    def events(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == "event"]

    async def close(self) -> None:
        await self.socket.close()


def comment(n: int, text: str = "好看", user: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"platform": "douyin", "message_id": f"m{n}", "user_id": user or f"u{n}",
            "nickname": f"观众{n}", "text": text, **extra}


def run(coroutine) -> Any:
    """Run a scenario, then close every client it opened (no socket outlives its test).

    It runs in its own thread: Playwright's sync API keeps an event loop in the main thread
    for the whole session once a browser test has run.
    """
    from concurrent.futures import ThreadPoolExecutor

    async def scenario() -> Any:
        try:
            return await coroutine
        finally:
            while Client.opened:
                await Client.opened.pop().close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


@pytest.fixture
def client_for_plans(settings):
    """An API client on the same database as the live server (for editing the plan)."""
    from fastapi.testclient import TestClient

    from studio.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_studio(env: dict[str, str], port: int, log: Any, *args: str) -> subprocess.Popen:
    """``studio serve`` in its own process (what kill -9 tests need), once /healthz answers."""
    import httpx2 as httpx

    # the log is a file, not a pipe: a full pipe would stall the server
    process = subprocess.Popen(
        [sys.executable, "-m", "studio", "serve", "--port", str(port), *args],
        env={**os.environ, **env}, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not start; see its log")
