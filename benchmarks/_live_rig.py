"""What the live benchmarks share: the servers in subprocesses on loopback, subscriber sockets in
worker processes, and percentiles.

Both servers — Studio's (`studio serve` on a fresh SQLite home with the demo show) and the bare
`websockets` relay (`_bare_ws.py`) — are driven by the very same client code, so the figures
differ only by the server. Subscribers run in worker processes of their own so that reading
hundreds of sockets does not share a core with the client that sends and times.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHOW = "demo-winter-goodies"
SEQ = re.compile(r'"seq":(\d+)')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raise_open_files(needed: int) -> None:
    """Lift the soft limit on open files as far as needed (both ends of each socket are ours)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SystemExit(f"the hard limit on open files is {hard}; this benchmark needs {needed}")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0…1)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def machine() -> str:
    import platform

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.machine()} ({cores} cores, Python {platform.python_version()})"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


class Profiler:
    """py-spy sampling a server while the block runs (``--nonblocking``: it never pauses it)."""

    def __init__(self, pid: int, out: Path | None) -> None:
        self.pid, self.out = pid, out
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Profiler:
        if self.out is not None:
            import shutil

            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            if not Path(spy).exists():
                raise SystemExit("--profile needs py-spy (pip install py-spy)")
            self.process = subprocess.Popen(
                [spy, "record", "--pid", str(self.pid), "--rate", "250", "--nonblocking",
                 "--threads", "--format", "raw", "--output", str(self.out)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
            self.process.wait(30)


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise SystemExit(f"the server did not listen on {port} within {timeout} s")


class StudioServer:
    """`studio init --demo` in a fresh folder, then `studio serve` (uvicorn) on a free port."""

    name = "Studio"

    def __init__(self, folder: Path, serve: list[str] | None = None) -> None:
        self.serve = serve or [sys.executable, "-m", "studio", "serve"]  # or a patched launcher
        self.home = folder / "studio-home"
        self.env = {**os.environ, "STUDIO_HOME": str(self.home), "STUDIO_SECRET": "bench-secret"}
        for key in ("STUDIO_DATABASE_URL", "STUDIO_REDIS_URL"):
            self.env.pop(key, None)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"studio-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.tokens: dict[str, str] = {}

    def _studio(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "studio", *args], env=self.env, text=True,
                              capture_output=True, check=False)
        if done.returncode:
            raise SystemExit(f"studio {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def __enter__(self) -> StudioServer:
        if not (self.home / "studio.db").exists():
            self._studio("init", "--demo")
        self.tokens = json.loads(self._studio("live", "tokens", SHOW, "--json"))
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [*self.serve, "--port", str(self.port)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.process, self.log)
        return self

    @property
    def database(self) -> Path:
        return self.home / "studio.db"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class BareServer:
    """The baseline: `_bare_ws.py`, a `websockets.serve` relay with `websockets.broadcast`."""

    name = "bare websockets"

    def __init__(self, folder: Path) -> None:
        self.tokens = {"operator": "operator", "overlay": "overlay", "ingest": "ingest"}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"bare-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> BareServer:
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "benchmarks" / "_bare_ws.py"), "--port",
                 str(self.port)], stdout=log, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.process, self.log)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(10)


def ws_address(url: str) -> str:
    return url.replace("http://", "ws://") + f"/ws/live/{SHOW}"


# ---- subscribers in worker processes ----------------------------------------------------------------

class Subscribers:
    """``count`` read-only sockets spread over ``processes`` workers.

    ``mode="fanout"``: each worker notes, per event ``seq``, how many of its sockets got it and
    when the last one did. ``mode="ingest"``: it counts the comments each socket was delivered
    (``data.items`` of Studio's ``comments`` events, ``messages`` of the relayed frames) and
    when each batch reached its last socket.
    """

    def __init__(self, url: str, token: str, count: int, *, processes: int, mode: str,
                 compression: str | None) -> None:
        context = multiprocessing.get_context("spawn")
        self.count, self.mode = count, mode
        self.results = context.Queue()
        self.stop = context.Event()
        self.delivered = context.Array("q", count, lock=False)  # read while the run goes on
        self.readies = []
        self.workers = []
        share, first = -(-count // processes), 0
        while first < count:
            ready = context.Event()
            size = min(share, count - first)
            self.workers.append(context.Process(target=_worker, args=(
                url, token, first, size, mode, compression, ready, self.stop, self.results,
                self.delivered), daemon=True))
            self.readies.append(ready)
            first += size

    def __enter__(self) -> Subscribers:
        for worker in self.workers:
            worker.start()
        deadline = time.monotonic() + 180
        for ready, worker in zip(self.readies, self.workers, strict=True):
            while not ready.wait(0.5):
                if not worker.is_alive() or time.monotonic() > deadline:
                    raise SystemExit("the subscribers could not all connect")
        return self

    def wait_delivered(self, expected: int, stall: float = 10) -> None:
        """Wait until every socket has ``expected`` comments, or nothing moved for ``stall`` s."""
        last, moved = None, time.monotonic()
        while min(self.delivered) < expected and time.monotonic() - moved < stall:
            now = list(self.delivered)
            if now != last:
                last, moved = now, time.monotonic()
            time.sleep(0.1)

    def collect(self) -> tuple[dict[int, float], Counter[int], list[int]]:
        """Stop the workers; per seq or batch: the last arrival and how many sockets got it."""
        self.stop.set()
        arrivals: dict[int, float] = {}
        received: Counter[int] = Counter()
        self.cpu = 0.0  # CPU seconds the workers spent reading, from ready to stop
        for _ in self.workers:
            part_arrivals, part_received, cpu = self.results.get(timeout=120)
            for key, moment in part_arrivals.items():
                arrivals[key] = max(moment, arrivals.get(key, 0.0))
            received.update(part_received)
            self.cpu += cpu
        return arrivals, received, list(self.delivered)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()


def _worker(url, token, first, size, mode, compression, ready, stop, results, delivered) -> None:
    raise_open_files(size + 256)
    try:
        import uvloop

        uvloop.run(_subscribe(url, token, first, size, mode, compression, ready, stop, results,
                              delivered))
    except ImportError:
        asyncio.run(_subscribe(url, token, first, size, mode, compression, ready, stop, results,
                               delivered))


async def _subscribe(url, token, first, size, mode, compression, ready, stop, results,
                     delivered) -> None:
    from websockets.asyncio.client import connect

    perf_counter = time.perf_counter  # CLOCK_MONOTONIC on Linux: the same clock in every process
    arrivals: dict[int, float] = {}
    received: Counter[int] = Counter()
    sockets = []

    async def open_one() -> Any:
        connection = await connect(ws_address(url), max_size=None, compression=compression,
                                   ping_interval=None, open_timeout=120, close_timeout=2)
        await connection.send(json.dumps({"type": "hello", "token": token}))
        await connection.recv()  # the snapshot
        return connection

    for start in range(0, size, 50):
        sockets += await asyncio.gather(*(open_one() for _ in range(min(50, size - start))))

    async def read_fanout(connection: Any) -> None:
        async for raw in connection:
            moment = perf_counter()
            if raw.startswith('{"type":"event"'):
                seq = int(SEQ.search(raw, 0, 64).group(1))
                received[seq] += 1
                if moment > arrivals.get(seq, 0.0):
                    arrivals[seq] = moment

    async def read_ingest(index: int, connection: Any) -> None:
        async for raw in connection:
            moment = perf_counter()
            frame = json.loads(raw)
            if frame.get("type") == "event" and frame.get("event") == "comments":
                items, key = frame["data"]["items"], "id"
            elif frame.get("type") == "ingest":
                items, key = frame["messages"], "message_id"
            else:
                continue
            delivered[first + index] += len(items)
            for batch in {item[key].rsplit(":", 1)[-1].split("-", 1)[0] for item in items}:
                number = int(batch[1:])
                received[number] += 1
                if moment > arrivals.get(number, 0.0):
                    arrivals[number] = moment

    if mode == "fanout":
        readers = [asyncio.create_task(read_fanout(c)) for c in sockets]
    else:
        readers = [asyncio.create_task(read_ingest(i, c)) for i, c in enumerate(sockets)]
    ready.set()
    cpu = time.process_time()
    while not stop.is_set():
        await asyncio.sleep(0.05)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.gather(*(c.close() for c in sockets), return_exceptions=True)
    results.put((arrivals, received, time.process_time() - cpu))
