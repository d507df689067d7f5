"""What the live benchmarks share: the servers in subprocesses on loopback, subscriber sockets in
worker processes, and percentiles.

Both servers — Studio's (`studio serve` on a fresh SQLite home with the demo show) and the bare
`websockets` relay (`_bare_ws.py`) — are driven by the very same client code, so the figures
differ only by the server. Subscribers run in worker processes of their own so that reading
hundreds of sockets does not share a core with the client that sends and times.

Scale-out (`live_scale.py`): a `Deployment` is several `studio serve` processes on ports of their
own, sharing one home, one database (a fresh PostgreSQL database each) and one Redis — what
several hosts behind a load balancer would be. `Subscribers` and the ingest clients take a list
of URLs and spread their sockets over it, so each server really carries its share.
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
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHOW = "demo-winter-goodies"
SEQ = re.compile(r'"seq":(\d+)')
SEQ_BYTES = re.compile(rb'"seq":(\d+)')
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"  # this machine's services
REDIS_URL = "redis://127.0.0.1:6379/0"


# Installed as sitecustomize.py in a server's processes (uvicorn's workers included) with
# ``gc_probe=True``: logs each garbage-collector pass that stops the process for 5 ms or more.
GC_PROBE = """\
import gc, os, sys, time
_started = [0.0]
def _probe(phase, info):
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    took = (time.perf_counter() - _started[0]) * 1000
    if took >= 5:
        print(f"studio-gc-pause pid={os.getpid()} gen={info['generation']} ms={took:.1f} "
              f"at={time.monotonic():.3f}", file=sys.stderr, flush=True)
gc.callbacks.append(_probe)
"""
GC_PAUSE = re.compile(r"studio-gc-pause pid=(\d+) gen=(\d) ms=([\d.]+) at=([\d.]+)")


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


def cpu_seconds(pid: int | list[int]) -> float:
    """User + system CPU time a process (or several) has used so far, all threads (Linux /proc)."""
    total = 0
    for one in [pid] if isinstance(pid, int) else pid:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """Busy and total CPU ticks of the whole machine so far, all cores (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int], ours: float = 0.0
               ) -> tuple[float, float]:
    """How much of the machine's CPU (0…1, all cores) was busy between two ``machine_ticks``,
    and how much of it went to processes other than ours (``ours``: our CPU seconds meanwhile)."""
    total = max(1, after[1] - before[1])
    busy = after[0] - before[0]
    others = max(0.0, busy - ours * os.sysconf("SC_CLK_TCK"))
    return busy / total, others / total


def descendants(pid: int) -> list[int]:
    """The children of a process and theirs (uvicorn's worker processes), from /proc."""
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                for child in (task / "children").read_text().split():
                    found += [int(child), *descendants(int(child))]
    return found


def connections(pids: list[int], port: int) -> dict[int, int]:
    """How many established TCP connections to ``port`` each process holds (from /proc)."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    counts: dict[int, int] = {}
    for pid in pids:
        held = 0
        with contextlib.suppress(FileNotFoundError, PermissionError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    held += target.startswith("socket:[") and target[8:-1] in inodes
        counts[pid] = held
    return counts


def load_average() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


class Profiler:
    """py-spy sampling a server while the block runs (``--nonblocking``: it never pauses it).

    With several processes (``pid`` a list), each gets its own file: ``OUT-PID.txt``."""

    def __init__(self, pid: int | list[int], out: Path | None) -> None:
        self.pids = [pid] if isinstance(pid, int) else pid
        self.out = out
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Profiler:
        if self.out is not None:
            import shutil

            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            if not Path(spy).exists():
                raise SystemExit("--profile needs py-spy (pip install py-spy)")
            for pid in self.pids:
                out = self.out if len(self.pids) == 1 else \
                    self.out.with_name(f"{self.out.stem}-{pid}{self.out.suffix}")
                self.processes.append(subprocess.Popen(
                    [spy, "record", "--pid", str(pid), "--rate", "250", "--nonblocking",
                     "--threads", "--format", "raw", "--output", str(out)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(1)
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        for process in self.processes:
            process.wait(30)


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
    """`studio init --demo` in a fresh folder, then `studio serve` (uvicorn) on a free port.

    By default the home's SQLite file and no Redis; ``database_url`` and ``redis_url`` set
    STUDIO_DATABASE_URL and STUDIO_REDIS_URL, ``workers`` passes ``--workers``. Servers made with
    the same ``folder`` share its home: the first to start loads the demo."""

    name = "Studio"

    def __init__(self, folder: Path, serve: list[str] | None = None, *,
                 database_url: str | None = None, redis_url: str | None = None,
                 workers: int = 1, gc_probe: bool = False) -> None:
        self.serve = serve or [sys.executable, "-m", "studio", "serve"]  # or a patched launcher
        if workers > 1:
            self.serve = [*self.serve, "--workers", str(workers)]
        self.workers = workers
        self.home = folder / "studio-home"
        self.env = {**os.environ, "STUDIO_HOME": str(self.home), "STUDIO_SECRET": "bench-secret"}
        for key, value in (("STUDIO_DATABASE_URL", database_url), ("STUDIO_REDIS_URL", redis_url)):
            self.env.pop(key, None)
            if value:
                self.env[key] = value
        if gc_probe:
            probe = folder / "gc-probe"
            probe.mkdir(exist_ok=True)
            (probe / "sitecustomize.py").write_text(GC_PROBE)
            self.env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(probe), self.env.get("PYTHONPATH", "")) if p)
        self.database_url = database_url or f"sqlite:///{self.home / 'studio.db'}"
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
        ready = self.home / "bench-demo-loaded"
        if not ready.exists():
            self._studio("init", "--demo")
            ready.touch()
        self.tokens = json.loads(self._studio("live", "tokens", SHOW, "--json"))
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [*self.serve, "--port", str(self.port)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.process, self.log)
        if self.workers > 1:  # the supervisor listens first: wait for every worker's app
            deadline = time.monotonic() + 60
            while self.log.read_text(errors="replace").count("Application startup complete") \
                    < self.workers:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit(f"{self.workers} workers did not start:\n{self.log.read_text()}")
                time.sleep(0.2)
        return self

    @property
    def database(self) -> Path:
        return self.home / "studio.db"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def worker_pids(self) -> list[int]:
        """The processes serving sockets: uvicorn's workers with ``--workers``, else the one."""
        if self.workers == 1:
            return [self.pid]
        return [p for p in descendants(self.pid) if _is_spawned(p)]

    @property
    def pids(self) -> list[int]:
        """Every process of this server (uvicorn's supervisor and its workers), for CPU time."""
        return [self.pid, *descendants(self.pid)]

    @property
    def urls(self) -> list[str]:
        return [self.url]

    def gc_pauses(self, since: float, until: float) -> dict[int, list[tuple[int, float]]]:
        """The collector's pauses (generation, ms) per process between two ``time.monotonic()``
        moments, as logged with ``gc_probe``."""
        found: dict[int, list[tuple[int, float]]] = {}
        for pid, generation, took, at in GC_PAUSE.findall(self.log.read_text(errors="replace")):
            if since <= float(at) <= until:
                found.setdefault(int(pid), []).append((int(generation), float(took)))
        return found

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        children = descendants(self.pid)
        self.process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            for child in children:  # the killed supervisor's workers, if still there
                if _is_spawned(child):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGKILL)


def _is_spawned(pid: int) -> bool:
    """A multiprocessing worker (uvicorn's), not its resource tracker."""
    with contextlib.suppress(OSError):
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return False


class Deployment:
    """``servers`` `studio serve` processes on ports of their own sharing one home, database and
    Redis: what several hosts behind a load balancer would be. Clients spread their sockets over
    ``urls``; the operator and ``url`` are the first server's."""

    def __init__(self, folder: Path, servers: int, *, database_url: str, redis_url: str | None,
                 name: str, gc_probe: bool = False) -> None:
        self.name = name
        self.servers = [StudioServer(folder, database_url=database_url, redis_url=redis_url,
                                     gc_probe=gc_probe) for _ in range(servers)]
        self.database_url = database_url
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Deployment:
        with self._stack:
            for server in self.servers:  # one by one: the first loads the demo
                self._stack.enter_context(server)
            self._stack = self._stack.pop_all()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def tokens(self) -> dict[str, str]:
        return self.servers[0].tokens

    @property
    def url(self) -> str:
        return self.servers[0].url

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    @property
    def pid(self) -> int:
        return self.servers[0].pid

    @property
    def pids(self) -> list[int]:
        return [pid for server in self.servers for pid in server.pids]

    @property
    def worker_pids(self) -> list[int]:
        return [pid for server in self.servers for pid in server.worker_pids]

    def gc_pauses(self, since: float, until: float) -> dict[int, list[tuple[int, float]]]:
        return {pid: pauses for server in self.servers
                for pid, pauses in server.gc_pauses(since, until).items()}


def server_log_problems(server: Any) -> list[str]:
    """Warnings, errors and tracebacks in the logs of a server or deployment so far."""
    found = []
    for one in getattr(server, "servers", [server]):
        for line in one.log.read_text(errors="replace").splitlines():
            if any(mark in line for mark in ("WARNING", "ERROR", "Traceback", "CRITICAL")):
                found.append(f"{one.log.name}: {line.strip()}")
    return found


# ---- the machine's services (PostgreSQL, Redis) -------------------------------------------------------

def postgres_reachable(url: str) -> str | None:
    """None when a connection to ``url`` works, else why not."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def redis_reachable(url: str) -> str | None:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        client.ping()
        client.close()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@contextlib.contextmanager
def fresh_postgres(url: str, prefix: str = "studio_bench") -> Iterator[str]:
    """A new, empty database on ``url``'s server for the block; dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def metric_total(urls: list[str], name: str) -> float | None:
    """A Prometheus counter summed over the servers' ``/metrics`` (with ``--workers`` one answer
    already sums the workers); None when a server does not export it."""
    import urllib.request

    total = 0.0
    for url in urls:
        try:
            with urllib.request.urlopen(f"{url}/metrics", timeout=30) as answer:
                text = answer.read().decode()
        except OSError:
            return None
        samples = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith((f"{name}_total ", f"{name}_total{{"))]
        if not samples:
            return None
        total += sum(samples)
    return total


def live_states(urls: list[str], token: str) -> list[dict[str, Any]]:
    """Each server's own replica of the show (``GET …/state``): seq and stats, for comparing."""
    import urllib.request

    states = []
    for url in urls:
        with urllib.request.urlopen(f"{url}/api/v1/live/{SHOW}/state?token={token}",
                                    timeout=30) as answer:
            states.append(json.load(answer))
    return states


class BareServer:
    """The baseline: `_bare_ws.py`, a `websockets.serve` relay with `websockets.broadcast`."""

    name = "bare websockets"

    def __init__(self, folder: Path) -> None:
        self.tokens = {"operator": "operator", "overlay": "overlay", "ingest": "ingest"}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"bare-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def urls(self) -> list[str]:
        return [self.url]

    @property
    def pids(self) -> list[int]:
        return [self.pid]

    worker_pids = pids

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

    ``url`` may be a list: socket ``i`` connects to ``url[i % len(url)]``, so every server of a
    deployment gets its share in every worker. ``mode="fanout"``: each worker notes, per event
    ``seq``, how many of its sockets got it and when the last one did. ``mode="ingest"``: it
    counts the comments each socket was delivered (``data.items`` of Studio's ``comments``
    events, ``messages`` of the relayed frames) and when each batch reached its last socket.
    Either way each socket checks that the seqs it receives follow on from its snapshot one by
    one; after ``collect``, ``order`` counts the gaps, repeats and resync snapshots, and
    ``by_url`` holds the last arrivals per server.
    """

    def __init__(self, url: str | list[str], token: str, count: int, *, processes: int, mode: str,
                 compression: str | None) -> None:
        context = multiprocessing.get_context("spawn")
        self.urls = [url] if isinstance(url, str) else list(url)
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
                self.urls, token, first, size, mode, compression, ready, self.stop, self.results,
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
        self.order: Counter[str] = Counter()
        self.by_url: list[dict[int, float]] = [{} for _ in self.urls]
        self.gc: list[tuple[int, float, float]] = []  # the readers' own collector pauses
        for _ in self.workers:
            part_arrivals, part_received, cpu, part_by_url, order, pauses = self.results.get(timeout=120)
            self.gc += pauses
            _latest(arrivals, part_arrivals)
            for mine, theirs in zip(self.by_url, part_by_url, strict=True):
                _latest(mine, theirs)
            received.update(part_received)
            self.cpu += cpu
            self.order.update(order)
        return arrivals, received, list(self.delivered)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()


def _latest(into: dict[int, float], moments: dict[int, float]) -> None:
    for key, moment in moments.items():
        into[key] = max(moment, into.get(key, 0.0))


def _worker(urls, token, first, size, mode, compression, ready, stop, results, delivered) -> None:
    raise_open_files(size + 256)
    import gc

    started = [0.0]

    def probe(phase: str, info: dict) -> None:  # a reader's own pauses delay what it times
        if phase == "start":
            started[0] = time.perf_counter()
        elif (took := (time.perf_counter() - started[0]) * 1000) >= 5:
            CLIENT_GC.append((info["generation"], took, time.monotonic()))

    gc.callbacks.append(probe)
    try:
        import uvloop

        uvloop.run(_subscribe(urls, token, first, size, mode, compression, ready, stop, results,
                              delivered))
    except ImportError:
        asyncio.run(_subscribe(urls, token, first, size, mode, compression, ready, stop, results,
                               delivered))


CLIENT_GC: list[tuple[int, float, float]] = []  # a subscriber process's pauses: generation, ms, when


class _Order:
    """One socket's check that seqs follow on, one by one, from its snapshot's."""

    __slots__ = ("counts", "last")

    def __init__(self, last: int, counts: Counter[str]) -> None:
        self.last, self.counts = last, counts

    def event(self, seq: int) -> None:
        if seq <= self.last:
            self.counts["repeats"] += 1
            return
        if seq != self.last + 1:
            self.counts["gaps"] += 1
        self.last = seq

    def snapshot(self, seq: int) -> None:
        self.counts["resyncs"] += 1
        self.last = seq


async def _subscribe(urls, token, first, size, mode, compression, ready, stop, results,
                     delivered) -> None:
    if mode == "fanout" and compression is None:
        try:
            import picows  # noqa: F401
        except ImportError:
            pass
        else:
            return await _subscribe_picows(urls, token, first, size, ready, stop, results)
    from websockets.asyncio.client import connect

    perf_counter = time.perf_counter  # CLOCK_MONOTONIC on Linux: the same clock in every process
    arrivals: dict[int, float] = {}
    by_url: list[dict[int, float]] = [{} for _ in urls]
    received: Counter[int] = Counter()
    counts: Counter[str] = Counter()
    sockets = []

    async def open_one(index: int) -> tuple[Any, _Order]:
        connection = await connect(ws_address(urls[index % len(urls)]), max_size=None,
                                   compression=compression, ping_interval=None, open_timeout=120,
                                   close_timeout=2)
        await connection.send(json.dumps({"type": "hello", "token": token}))
        snapshot = await connection.recv()
        return connection, _Order(int(SEQ.search(snapshot).group(1)), counts)

    for start in range(0, size, 50):
        sockets += await asyncio.gather(*(open_one(first + start + i)
                                          for i in range(min(50, size - start))))

    async def read_fanout(index: int, connection: Any, order: _Order) -> None:
        mine = by_url[(first + index) % len(urls)]
        async for raw in connection:
            moment = perf_counter()
            if raw.startswith('{"type":"event"'):
                seq = int(SEQ.search(raw, 0, 64).group(1))
                order.event(seq)
                received[seq] += 1
                if moment > arrivals.get(seq, 0.0):
                    arrivals[seq] = moment
                if moment > mine.get(seq, 0.0):
                    mine[seq] = moment
            elif raw.startswith('{"type":"snapshot"'):
                order.snapshot(int(SEQ.search(raw).group(1)))

    async def read_ingest(index: int, connection: Any, order: _Order) -> None:
        mine = by_url[(first + index) % len(urls)]
        async for raw in connection:
            moment = perf_counter()
            frame = json.loads(raw)
            if frame.get("type") == "snapshot":
                order.snapshot(frame["seq"])
                continue
            if frame.get("type") == "event":
                order.event(frame["seq"])
                if frame.get("event") != "comments":
                    continue
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
                if moment > mine.get(number, 0.0):
                    mine[number] = moment

    read = read_fanout if mode == "fanout" else read_ingest
    readers = [asyncio.create_task(read(i, c, o)) for i, (c, o) in enumerate(sockets)]
    ready.set()
    cpu = time.process_time()
    while not stop.is_set():
        await asyncio.sleep(0.05)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.gather(*(c.close() for c, _ in sockets), return_exceptions=True)
    results.put((arrivals, received, time.process_time() - cpu, by_url, dict(counts), CLIENT_GC))


async def _subscribe_picows(urls, token, first, size, ready, stop, results) -> None:
    """Fan-out readers on picows (Cython frame parsing, one callback per frame, no task per
    socket): the measuring side then costs a fraction of the servers it measures, where the
    pure-Python client cost as much CPU as the servers on the same two cores."""
    from picows import WSListener, WSMsgType, ws_connect

    perf_counter = time.perf_counter
    arrivals: dict[int, float] = {}
    by_url: list[dict[int, float]] = [{} for _ in urls]
    received: Counter[int] = Counter()
    counts: Counter[str] = Counter()
    hello = json.dumps({"type": "hello", "token": token}).encode()
    event, snapshot = b'{"type":"event"', b'{"type":"snapshot"'

    class Reader(WSListener):
        def __init__(self, mine: dict[int, float]) -> None:
            self.mine, self.order = mine, None
            self.first: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_ws_connected(self, transport) -> None:
            transport.send(WSMsgType.TEXT, hello)

        def on_ws_frame(self, transport, frame) -> None:
            moment = perf_counter()
            if frame.msg_type != WSMsgType.TEXT:
                if frame.msg_type == WSMsgType.CLOSE:
                    transport.send_close(frame.get_close_code())
                    transport.disconnect()
                return
            raw = frame.get_payload_as_bytes()
            if raw.startswith(event):
                seq = int(SEQ_BYTES.search(raw, 0, 64).group(1))
                if self.order is not None:
                    self.order.event(seq)
                received[seq] += 1
                if moment > arrivals.get(seq, 0.0):
                    arrivals[seq] = moment
                if moment > self.mine.get(seq, 0.0):
                    self.mine[seq] = moment
            elif raw.startswith(snapshot):
                seq = int(SEQ_BYTES.search(raw).group(1))
                if self.order is None:
                    self.order = _Order(seq, counts)
                    self.first.set_result(None)
                else:
                    self.order.snapshot(seq)

    async def open_one(index: int):
        url = ws_address(urls[index % len(urls)])
        transport, reader = await ws_connect(lambda: Reader(by_url[index % len(urls)]), url,
                                             websocket_handshake_timeout=120,
                                             max_frame_size=64 * 1024 * 1024)
        await asyncio.wait_for(reader.first, 120)
        return transport

    transports = []
    for start in range(0, size, 50):
        transports += await asyncio.gather(*(open_one(first + start + i)
                                             for i in range(min(50, size - start))))
    ready.set()
    cpu = time.process_time()
    while not stop.is_set():
        await asyncio.sleep(0.05)
    spent = time.process_time() - cpu
    for transport in transports:
        transport.disconnect()
    results.put((arrivals, received, spent, by_url, dict(counts), CLIENT_GC))
