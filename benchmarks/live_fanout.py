"""Benchmark: how fast one operator command reaches 500 screens, against a bare relay in the same run.

    python benchmarks/live_fanout.py [--subscribers 500] [--commands 200] [--rate 20] [--record]

500 overlay sockets subscribe to the demo show (in 2 worker processes). The operator sends
``card.take`` commands, alternating two SKUs, at ``--rate`` a second; for each one we time from
the send to the moment the **last** of the 500 subscribers has the resulting event (matched by
the ``seq`` in the ack). Studio commits each event to SQLite before it fans out.

The baseline is `_bare_ws.py`: `websockets.serve` relaying each operator message with
`websockets.broadcast`, with the same 500 subscriber sockets, the same client code and the very
frames Studio sent (so the same size), only renumbered.

``--record`` rewrites this benchmark's section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._live_rig import (  # noqa: E402
    SEQ,
    BareServer,
    Profiler,
    StudioServer,
    Subscribers,
    busy_share,
    connections,
    cpu_seconds,
    load_average,
    machine,
    machine_ticks,
    percentile,
    raise_open_files,
    ws_address,
)
from benchmarks._record import record  # noqa: E402

SKUS = ("BT-SERUM-30", "BT-LIP-01")
WARM_UP = 10


async def operate_studio(url: str, token: str, commands: int, rate: float,
                         acked_at: dict[int, float] | None = None
                         ) -> tuple[dict[int, float], list[str]]:
    """Send ``card.take`` commands at ``rate``; return send time by resulting seq, and the events.

    ``acked_at``, if given, receives when each ack arrived, by seq."""
    from websockets.asyncio.client import connect

    socket = await connect(ws_address(url), max_size=None, ping_interval=None)
    await socket.send(json.dumps({"type": "hello", "token": token}))
    await socket.recv()
    sent_at: dict[str, float] = {}
    seq_of: dict[str, int] = {}
    events: list[str] = []
    done = asyncio.Event()

    async def read() -> None:
        async for raw in socket:
            frame = json.loads(raw)
            if frame["type"] == "ack":
                seq_of[frame["id"]] = frame["seq"]
                if acked_at is not None:
                    acked_at[frame["seq"]] = time.perf_counter()
            elif frame["type"] == "reject":
                raise SystemExit(f"command refused: {frame}")
            elif frame["type"] == "event":
                events.append(raw)
            if len(seq_of) == commands + WARM_UP:
                done.set()

    reader = asyncio.create_task(read())
    run = f"bench-{time.time_ns()}"  # command ids are idempotent: each round needs new ones
    await _paced(commands + WARM_UP, rate, lambda i: _send_command(socket, run, i, sent_at))
    await asyncio.wait_for(done.wait(), 30)
    reader.cancel()
    await socket.close()
    timed = {seq_of[f"{run}-{i}"]: sent_at[f"{run}-{i}"] for i in range(WARM_UP, commands + WARM_UP)}
    return timed, events[WARM_UP:]


async def _send_command(socket, run: str, i: int, sent_at: dict[str, float]) -> None:
    command = {"type": "command", "id": f"{run}-{i}", "name": "card.take",
               "args": {"sku": SKUS[i % 2]}}
    text = json.dumps(command)
    sent_at[command["id"]] = time.perf_counter()
    await socket.send(text)


async def operate_bare(url: str, frames: list[str], rate: float) -> dict[int, float]:
    """Send Studio's own event frames, renumbered 1…n, through the bare relay."""
    from websockets.asyncio.client import connect

    socket = await connect(ws_address(url), max_size=None, ping_interval=None)
    await socket.send(json.dumps({"type": "hello", "token": "operator"}))
    await socket.recv()
    sent_at: dict[int, float] = {}
    total = len(frames) + WARM_UP

    async def send(i: int) -> None:
        seq = i + 1
        text = SEQ.sub(f'"seq":{seq}', frames[i % len(frames)], count=1)
        sent_at[seq] = time.perf_counter()
        await socket.send(text)

    await _paced(total, rate, send)
    await socket.close()
    return {seq: moment for seq, moment in sent_at.items() if seq > WARM_UP}


async def _paced(count: int, rate: float, send) -> None:
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(i)


def measure(server, subscribers: int, commands: int, rate: float, compression: str | None,
            frames: list[str] | None, profile: Path | None = None) -> dict:
    """One round: subscribers connect, the operator sends, every delivery is timed.

    ``server`` may be a deployment of several servers: the subscribers are spread over its
    ``urls`` and the operator talks to the first; ``by_server`` holds p50/p99 at the last
    subscriber of each server."""
    with Subscribers(server.urls, server.tokens["overlay"], subscribers, processes=2,
                     mode="fanout", compression=compression) as subs:
        pids = server.pids
        spread: Counter[int] = Counter()  # subscribers each server process holds
        for url in server.urls:
            spread.update(connections(server.worker_pids, int(url.rsplit(":", 1)[1])))
        cpu, ticks, own = cpu_seconds(pids), machine_ticks(), time.process_time()
        since = time.monotonic()
        acked_at: dict[int, float] = {}
        with Profiler(server.worker_pids, profile):
            if frames is None:
                sent_at, frames = asyncio.run(operate_studio(
                    server.url, server.tokens["operator"], commands, rate, acked_at))
            else:
                sent_at = asyncio.run(operate_bare(server.url, frames, rate))
            time.sleep(2)  # the last events are on their way
        cpu, ticks, own = cpu_seconds(pids) - cpu, (ticks, machine_ticks()), time.process_time() - own
        until = time.monotonic()
        arrivals, received, _ = subs.collect()
    busy, others = busy_share(*ticks, cpu + own + subs.cpu)  # others: PostgreSQL, Redis, the rest
    complete = [seq for seq in sent_at if received[seq] == subscribers]
    latencies = [(arrivals[seq] - sent_at[seq]) * 1000 for seq in complete]
    acks = [(acked_at[seq] - sent_at[seq]) * 1000 for seq in sent_at if seq in acked_at]
    by_server = []
    for mine in subs.by_url:
        own = [(mine[seq] - sent_at[seq]) * 1000 for seq in complete if seq in mine]
        by_server.append((percentile(own, 0.5), percentile(own, 0.99)) if own else None)
    return {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
            "max": max(latencies), "complete": len(complete),
            "missing": sum(subscribers - received[seq] for seq in sent_at),
            "cpu_ms": cpu * 1000 / (commands + WARM_UP), "frames": frames,
            "client_cpu_ms": subs.cpu * 1000 / (commands + WARM_UP),
            "size": sum(len(f.encode()) for f in frames) / len(frames),
            "ack": (percentile(acks, 0.5), percentile(acks, 0.99)) if acks else None,
            "latencies": latencies, "by_server": by_server, "order": dict(subs.order),
            "connections": dict(spread), "busy": busy, "others": others,
            "gc": server.gc_pauses(since, until) if hasattr(server, "gc_pauses") else {},
            "client_gc": [(g, ms) for g, ms, at in subs.gc if since <= at <= until]}


def median_round(rounds: list[dict]) -> dict:
    """Each figure's median over the rounds (the machine may be busy during one of them)."""
    keys = ("p50", "p99", "max", "cpu_ms", "client_cpu_ms")
    return {**rounds[0], **{k: statistics.median(r[k] for r in rounds) for k in keys},
            "complete": min(r["complete"] for r in rounds),
            "missing": sum(r["missing"] for r in rounds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20, help="commands a second")
    parser.add_argument("--rounds", type=int, default=3, help="alternating Studio / bare rounds")
    parser.add_argument("--compression", choices=("deflate", "none"), default="deflate",
                        help="what the subscribers offer (browsers offer permessage-deflate)")
    parser.add_argument("--profile", type=Path, default=None, metavar="FOLDER",
                        help="write py-spy samples of both servers in round 1 (needs py-spy)")
    parser.add_argument("--record", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    compression = None if args.compression == "none" else "deflate"
    raise_open_files(2 * args.subscribers + 512)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    ours, base = [], []
    loads = [load_average()]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with StudioServer(folder) as studio, BareServer(folder) as bare:
            for round_number in range(args.rounds):
                profile = args.profile if round_number == 0 else None
                ours.append(measure(studio, args.subscribers, args.commands, args.rate,
                                    compression, None, profile and profile / "studio.txt"))
                base.append(measure(bare, args.subscribers, args.commands, args.rate,
                                    compression, ours[-1]["frames"], profile and profile / "bare.txt"))
                loads.append(load_average())
                print(f"round {round_number + 1}: Studio p50/p99 {ours[-1]['p50']:.1f}/"
                      f"{ours[-1]['p99']:.1f} ms, bare {base[-1]['p50']:.1f}/"
                      f"{base[-1]['p99']:.1f} ms (load {loads[-1]})", file=sys.stderr)
    studio_result, bare_result = median_round(ours), median_round(base)

    def row(name: str, result: dict) -> str:
        ratio = result["p99"] / bare_result["p99"]
        return (f"| {name} | {result['p50']:.1f} | {result['p99']:.1f} | {result['max']:.1f} | "
                f"{ratio:.2f} | {result['cpu_ms']:.1f} | {result['client_cpu_ms']:.1f} | "
                f"{result['complete']}/{args.commands} | {result['missing']} |")

    ratio = studio_result["p99"] / bare_result["p99"]
    verdict = "meets" if studio_result["p99"] <= 50 and ratio <= 1.5 else "misses"
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}: {args.subscribers} overlay "
        f"subscribers (2 worker processes), {args.commands} `card.take` commands at "
        f"{args.rate:g}/s, event frames of {studio_result['size']:.0f} bytes, subscribers "
        f"offering {args.compression}, SQLite; median of {args.rounds} alternating rounds "
        f"(load average before and after each round: {', '.join(loads)}).",
        "",
        "| server | p50 ms | p99 ms | max ms | p99 × bare | server CPU ms per command | "
        "subscribers' CPU ms per command | commands seen by all | deliveries missing |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        row("bare `websockets.broadcast` relay (baseline)", bare_result),
        row("Studio `studio serve` (commit to SQLite, then fan out)", studio_result),
        "",
        f"Target: p99 ≤ 50 ms and within 1.5× of the bare relay — {verdict} it "
        f"(p99 {studio_result['p99']:.1f} ms, {ratio:.2f}×).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.record:
        record(text, "live-fanout" if compression else "live-fanout:none")


if __name__ == "__main__":
    main()
