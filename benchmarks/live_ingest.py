"""Benchmark: 2,000 comments a second for a minute over the ingest socket, with 10 screens watching.

    python benchmarks/live_ingest.py [--seconds 60] [--batch 100] [--every 0.05] [--record]

One ingest socket sends batches of ``--batch`` comments every ``--every`` seconds (Chinese and
English texts, no blocked words) while 10 overlay sockets subscribe (in a worker process). At
the end we count what was sent, what the ``ingested`` answers accepted, what the event log holds
(SQLite: the items of every ``comments`` event) and what each subscriber was delivered; and we
time each batch from its send to its answer and to its arrival at the last subscriber.

The baseline is `_bare_ws.py` relaying the very same frames to the same 10 subscribers.

``--record`` rewrites this benchmark's section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._live_rig import (  # noqa: E402
    SHOW,
    BareServer,
    StudioServer,
    Subscribers,
    connections,
    cpu_seconds,
    load_average,
    machine,
    percentile,
    ws_address,
)
from benchmarks._record import record  # noqa: E402
from studio.live_console import simulator  # noqa: E402

TEXTS = (*simulator.GREETINGS, *simulator.QUESTIONS, *simulator.REACTIONS, *simulator.INTENTS)
SUBSCRIBERS = 10


def frames(batches: int, size: int) -> list[str]:
    """Every ingest frame of the run, made before the clock starts."""
    out = []
    for b in range(batches):
        messages = [{"platform": "bench", "message_id": f"b{b}-{i}", "user_id": f"u{(b * size + i) % 7919}",
                     "nickname": f"观众{i}", "kind": "comment",
                     "text": TEXTS[(b * size + i) % len(TEXTS)].replace("{size}", "M")}
                    for i in range(size)]
        out.append(json.dumps({"type": "ingest", "id": f"b{b}", "messages": messages},
                              ensure_ascii=False, separators=(",", ":")))
    return out


async def send_all(urls: list[str], token: str, batches: list[str], every: float,
                   clients: int = 1, connected=None) -> dict:
    """Send the batches on a fixed schedule, batch ``n`` at ``n × every`` by client ``n % clients``
    (late ones go at once); client ``c`` talks to ``urls[c % len(urls)]``. Collect the answers.
    ``connected`` is called once every client's socket is open."""
    from websockets.asyncio.client import connect

    async def open_one(url: str) -> Any:
        socket = await connect(ws_address(url), max_size=None, ping_interval=None)
        await socket.send(json.dumps({"type": "hello", "token": token}))
        await socket.recv()
        return socket

    sockets = [await open_one(urls[c % len(urls)]) for c in range(clients)]
    if connected is not None:
        connected()
    start = time.perf_counter()
    parts = await asyncio.gather(*(_send_share(socket, batches, every, c, clients, start)
                                   for c, socket in enumerate(sockets)))
    sending = max(part.pop("sending") for part in parts)
    merged: dict[str, Any] = {"sent_at": {}, "answered_at": {}, "closed": None, "reasons": Counter()}
    for part in parts:
        for key in ("accepted", "duplicates", "refused"):
            merged[key] = merged.get(key, 0) + part[key]
        merged["sent_at"].update(part["sent_at"])
        merged["answered_at"].update(part["answered_at"])
        merged["closed"] = merged["closed"] or part["closed"]
        merged["reasons"].update(part["reasons"])
    return {**merged, "sending": sending, "behind": sending - (len(batches) - 1) * every}


async def _send_share(socket, batches: list[str], every: float, client: int, clients: int,
                      start: float) -> dict:
    """One ingest socket's share of the schedule."""
    numbers = range(client, len(batches), clients)
    sent_at: dict[int, float] = {}
    answered_at: dict[int, float] = {}
    totals = {"accepted": 0, "duplicates": 0, "refused": 0}
    reasons: Counter[str] = Counter()  # why batches were refused
    done = asyncio.Event()
    closed: dict[str, object] = {}

    async def read() -> None:
        try:
            await read_answers()
        finally:  # the server closed the socket (or we did, at the end)
            closed.update(at=time.perf_counter() - start, code=socket.close_code,
                          reason=socket.close_reason)
            done.set()

    async def read_answers() -> None:
        async for raw in socket:
            if not raw.startswith(('{"type":"ingested"', '{"type":"reject"')):
                continue  # Studio streams the comments events back to this socket too
            frame = json.loads(raw)
            number = int(frame["id"][1:])
            answered_at[number] = time.perf_counter()
            if frame["type"] == "reject" or not frame.get("ok"):
                totals["refused"] += 1
                reasons[str(frame.get("reason") or frame.get("code"))] += 1
            else:
                totals["accepted"] += frame.get("accepted", 0)
                totals["duplicates"] += frame.get("duplicates", 0)
            if len(answered_at) == len(numbers):
                done.set()

    reader = asyncio.create_task(read())
    for number in numbers:
        delay = start + number * every - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent_at[number] = time.perf_counter()
        with contextlib.suppress(websockets.ConnectionClosed):  # counted as unanswered
            await socket.send(batches[number])
    sending = time.perf_counter() - start
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), 120)
    server_closed = dict(closed) if closed else None
    reader.cancel()
    await socket.close()
    return {**totals, "sent_at": sent_at, "answered_at": answered_at, "sending": sending,
            "closed": server_closed, "reasons": reasons}


def persisted(database_url: str) -> dict[str, int]:
    """What the event log holds: comments and distinct ids among them, events, highest seq and
    distinct seqs (SQLite or PostgreSQL)."""
    from sqlalchemy import create_engine, text

    if database_url.startswith("sqlite"):
        items = ("SELECT COUNT(*), COUNT(DISTINCT json_extract(item.value, '$.id')) "
                 "FROM live_events, json_each(live_events.data, '$.items') AS item "
                 "WHERE live_events.show_id = :show AND live_events.type = 'comments'")
    else:
        items = ("SELECT COUNT(*), COUNT(DISTINCT item ->> 'id') "
                 "FROM live_events, jsonb_array_elements(live_events.data::jsonb -> 'items') AS item "
                 "WHERE live_events.show_id = :show AND live_events.type = 'comments'")
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            total, distinct = connection.execute(text(items), {"show": SHOW}).one()
            events, top, seqs = connection.execute(text(
                "SELECT COUNT(*), COALESCE(MAX(seq), 0), COUNT(DISTINCT seq) FROM live_events "
                "WHERE show_id = :show"), {"show": SHOW}).one()
    finally:
        engine.dispose()
    return {"persisted": total, "distinct": distinct, "events": events, "max_seq": top,
            "distinct_seqs": seqs}


def measure(server, batches: list[str], size: int, every: float, *, clients: int = 1,
            subscribers: int = SUBSCRIBERS) -> dict:
    """One run. ``server`` may be a deployment of several servers: the ingest clients and the
    subscribers are spread over its ``urls``."""
    expected = len(batches) * size
    with Subscribers(server.urls, server.tokens["overlay"], subscribers, processes=1,
                     mode="ingest", compression="deflate") as subs:
        pids = server.pids
        ports = {int(url.rsplit(":", 1)[1]) for url in server.urls}

        def spread() -> Counter[int]:  # sockets each server process holds
            held: Counter[int] = Counter()
            for port in ports:
                held.update(connections(server.worker_pids, port))
            return held

        watching, ingesting = spread(), Counter()
        cpu = cpu_seconds(pids)
        result = asyncio.run(send_all(server.urls, server.tokens["ingest"], batches, every,
                                      clients, lambda: ingesting.update(spread() - watching)))
        subs.wait_delivered(expected)
        cpu = cpu_seconds(pids) - cpu
        arrivals, _, delivered = subs.collect()
    sent_at = result["sent_at"]
    acks = [(result["answered_at"][n] - sent_at[n]) * 1000 for n in result["answered_at"]]
    deliveries = [(arrivals[n] - sent_at[n]) * 1000 for n in sent_at if n in arrivals]
    return {**result, "sent": expected, "delivered": delivered, "cpu": cpu,
            "ack_p50": percentile(acks, 0.5), "ack_p99": percentile(acks, 0.99),
            "seen_p50": percentile(deliveries, 0.5), "seen_p99": percentile(deliveries, 0.99),
            "order": dict(subs.order),
            "connections": {pid: (n, ingesting[pid]) for pid, n in watching.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=100, help="comments in one ingest frame")
    parser.add_argument("--every", type=float, default=0.05, help="seconds between frames")
    parser.add_argument("--record", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    count = round(args.seconds / args.every)
    batches = frames(count, args.batch)
    rate = args.batch / args.every

    loads = [load_average()]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with StudioServer(folder) as studio:
            ours = measure(studio, batches, args.batch, args.every)
            ours.update(persisted(studio.database_url))
        loads.append(load_average())
        with BareServer(folder) as bare:
            base = measure(bare, batches, args.batch, args.every)
        loads.append(load_average())

    def row(name: str, result: dict, stored: str) -> str:
        delivered = result["delivered"]
        lost = sum(result["sent"] - d for d in delivered)
        accepted = f"{result['accepted']:,}" if "persisted" in result else "–"
        return (f"| {name} | {result['sent']:,} | {result['sent'] / (result['sending'] + args.every):,.0f} "
                f"| {accepted} | {stored} | {min(delivered):,}–{max(delivered):,} | {lost:,} "
                f"| {result['ack_p50']:.0f} / {result['ack_p99']:.0f} "
                f"| {result['seen_p50']:.0f} / {result['seen_p99']:.0f} "
                f"| {result['cpu'] / args.seconds * 100:.0f}% |")

    stored = f"{ours['persisted']:,} ({ours['distinct']:,} distinct)"
    acknowledged_not_stored = max(0, ours["accepted"] - ours["distinct"])
    stored_not_delivered = sum(ours["persisted"] - d for d in ours["delivered"])
    unanswered = ours["sent"] - ours["accepted"] - ours["duplicates"]
    if not unanswered and not acknowledged_not_stored and not stored_not_delivered:
        verdict = ("None lost: every comment sent was acknowledged, stored once and delivered to "
                   "every subscriber.")
    else:
        verdict = (f"Acknowledged but not stored: {acknowledged_not_stored:,}. Stored but not "
                   f"delivered: {stored_not_delivered:,} (over {SUBSCRIBERS} subscribers). Never "
                   f"acknowledged: {unanswered:,}")
        if ours["closed"] and ours["closed"]["code"] not in (None, 1000):
            verdict += (f" — the server closed the ingest socket {ours['closed']['at']:.0f} s "
                        f"into the run ({ours['closed']['code']} {ours['closed']['reason']})")
        verdict += "; a client sends unanswered batches again (the simulator does)."
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}: {args.seconds} s of "
        f"{rate:,.0f} comments/s ({args.batch} per frame every {args.every * 1000:.0f} ms) over "
        f"one ingest socket, {SUBSCRIBERS} overlay subscribers, SQLite (load average before, between "
        f"and after: {', '.join(loads)}).",
        "",
        "| server | sent | sent per s | accepted | in the event log | delivered per subscriber "
        "| not delivered (all subscribers) | answer ms p50 / p99 "
        "| at last subscriber ms p50 / p99 | server CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        row("bare `websockets` relay (baseline)", base, "–"),
        row("Studio `studio serve`", ours, stored),
        "",
        verdict,
        f"Studio's sender finished {ours['behind']:.1f} s behind its schedule "
        f"(the bare relay's: {base['behind']:.1f} s).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.record:
        record(text, "live-ingest")


if __name__ == "__main__":
    main()
