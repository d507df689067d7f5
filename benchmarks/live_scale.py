"""Benchmark: the live console on 2 server processes against 1, measured in the same run.

    python benchmarks/live_scale.py [--part fanout|ingest|both] [--subscribers 1000]
        [--commands 200] [--rate 20] [--rounds 3] [--seconds 60] [--comments 5000]
        [--no-single-port] [--database-url URL] [--redis-url URL] [--profile FOLDER] [--record]

Every layout runs on PostgreSQL and Redis (a fresh database each, dropped at the end; the URLs
default to this machine's services), so the only difference between the rows is the number of
server processes:

- **1 worker**: one `studio serve` (Redis configured, nobody else listening);
- **2 workers, 2 ports**: two `studio serve` processes on ports of their own, sharing the home,
  the database and Redis — what two hosts behind a load balancer would be. Subscribers and
  ingest clients alternate between the two, so each server really carries half; the operator
  talks to the first, and the second learns each event through Redis;
- **2 workers, 1 port** (`--no-single-port` leaves it out): `studio serve --workers 2`; the kernel
  hands each connection to one of uvicorn's two worker processes (the table says how many each
  got, from /proc).

Fan-out (`live_fanout.measure`): ``--subscribers`` overlay sockets in 2 client processes, ``--commands``
`card.take` commands at ``--rate``/s; each is timed from its send to the moment the last
subscriber has its event, and per server. The layouts take turns for ``--rounds`` rounds; each
figure is the median over the rounds.

Ingest (`live_ingest.measure`): ``--comments`` comments a second for ``--seconds`` s, from 2
ingest sockets (one per server when there are two), 10 overlay subscribers spread the same way.
Afterwards the event log is counted in PostgreSQL (comments, distinct ids, events, highest seq)
and every server's own replica is asked for its seq and comment count: nothing sent may be
missing from the log, and every count that does not depend on a subscriber must agree.

``--record`` rewrites this benchmark's sections of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import live_fanout, live_ingest  # noqa: E402
from benchmarks._live_rig import (  # noqa: E402
    POSTGRES_URL,
    REDIS_URL,
    Deployment,
    StudioServer,
    fresh_postgres,
    live_states,
    load_average,
    machine,
    metric_total,
    postgres_reachable,
    raise_open_files,
    redis_reachable,
    server_log_problems,
)
from benchmarks._record import record  # noqa: E402

INGEST_CLIENTS = 2
TARGET_P99 = 100.0


def start_layouts(stack: contextlib.ExitStack, folder: Path, database_url: str, redis_url: str,
                  single_port: bool) -> dict:
    """Start every layout, each on a fresh database of its own: {name: deployment}."""
    made = {}
    wanted = [("1 worker", 1, 1), ("2 workers, 2 ports", 2, 1)]
    if single_port:
        wanted.append(("2 workers, 1 port (`--workers 2`)", 1, 2))
    for number, (name, servers, workers) in enumerate(wanted):
        url = stack.enter_context(fresh_postgres(database_url, "studio_scalebench"))
        home = folder / f"layout-{number}"
        home.mkdir(parents=True)
        if workers > 1:
            deployment = StudioServer(home, database_url=url, redis_url=redis_url, workers=workers,
                                      gc_probe=True)
            deployment.name = name
        else:
            deployment = Deployment(home, servers, database_url=url, redis_url=redis_url, name=name,
                                    gc_probe=True)
        made[name] = stack.enter_context(deployment)
        print(f"started {name}: {', '.join(deployment.urls)}", file=sys.stderr)
    return made


def long_pauses(results: list[dict], at_least: float = 50) -> str:
    """The garbage collector's pauses of ``at_least`` ms over the rounds: in the servers, and in
    the subscriber processes (which delay the receipts they time)."""
    def show(pauses: list[float]) -> str:
        return f"{len(pauses)} (longest {max(pauses):.0f})" if pauses else "0"

    servers = [ms for r in results for found in r["gc"].values() for _, ms in found if ms >= at_least]
    readers = [ms for r in results for _, ms in r["client_gc"] if ms >= at_least]
    return f"{show(servers)} / {show(readers)}"


def spread(result: dict) -> str:
    """Established client connections per server process (ingest: subscribers + ingest sockets)."""
    return " / ".join(str(n) if isinstance(n, int) else "+".join(map(str, n))
                      for n in result["connections"].values())


# ---- fan-out ------------------------------------------------------------------------------------------

def run_fanout(args, folder: Path) -> str:
    rounds: dict[str, list[dict]] = {}
    loads = [load_average()]
    with contextlib.ExitStack() as stack:
        made = start_layouts(stack, folder, args.database_url, args.redis_url, args.single_port)
        for round_number in range(args.rounds):
            for name, deployment in made.items():
                profile = None
                if args.profile and round_number == 0:
                    slug = "-".join(re.findall(r"[a-z0-9]+", name.lower()))
                    profile = args.profile / f"fanout-{slug}.txt"
                # no compression offered: Studio refuses it anyway, and then the readers can be
                # picows ones (`_live_rig._subscribe_picows`), light beside the servers they time
                result = live_fanout.measure(deployment, args.subscribers, args.commands, args.rate,
                                             None, None, profile)
                rounds.setdefault(name, []).append(result)
                servers = "; ".join(f"{p50:.1f}/{p99:.1f}" for p50, p99 in
                                    (b for b in result["by_server"] if b))
                print(f"round {round_number + 1}, {name}: p50/p99 {result['p50']:.1f}/"
                      f"{result['p99']:.1f} ms (ack {result['ack'][0]:.1f}/{result['ack'][1]:.1f}; "
                      f"per server {servers}), connections {spread(result)}, "
                      f"missing {result['missing']}, order {result['order']}, CPU ms/command "
                      f"{result['cpu_ms']:.1f} + {result['client_cpu_ms']:.1f}, busy "
                      f"{result['busy'] * 100:.0f}% (others {result['others'] * 100:.0f}%), "
                      f"GC pauses ≥ 50 ms {long_pauses([result])} "
                      f"(load {load_average()})", file=sys.stderr)
            loads.append(load_average())
        noted = {name: server_log_problems(deployment) for name, deployment in made.items()}

    def median(name: str, pick) -> float:
        return statistics.median(pick(r) for r in rounds[name])

    base = next(iter(rounds))
    base_p99 = median(base, lambda r: r["p99"])
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}: {args.subscribers:,} overlay "
        f"subscribers (2 client processes), {args.commands} `card.take` commands at {args.rate:g}/s, "
        f"PostgreSQL + Redis for every row; median of {args.rounds} rounds, the layouts taking turns "
        f"(load average before and after each round: {', '.join(loads)}).",
        "",
        "| layout | p50 ms | p99 ms | p99 × 1 worker | ack ms p50 / p99 "
        "| last subscriber per server, ms p50 / p99 | subscribers per server process "
        "| CPU ms per command: servers / subscribers | machine busy (other processes) "
        "| commands seen by all "
        "| deliveries missing | seq gaps / repeats | GC pauses ≥ 50 ms: servers / subscribers |",
        "|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, results in rounds.items():
        p99 = median(name, lambda r: r["p99"])
        per_server = []
        for index in range(len(results[0]["by_server"])):
            if all(r["by_server"][index] for r in results):
                per_server.append(f"{median(name, lambda r, i=index: r['by_server'][i][0]):.1f} / "
                                  f"{median(name, lambda r, i=index: r['by_server'][i][1]):.1f}")
        if len(per_server) == 1:
            per_server = ["– (one address)"]
        order = [sum(r["order"].get(k, 0) for r in results) for k in ("gaps", "repeats")]
        lines.append(
            f"| {name} | {median(name, lambda r: r['p50']):.1f} | {p99:.1f} | {p99 / base_p99:.2f} "
            f"| {median(name, lambda r: r['ack'][0]):.1f} / {median(name, lambda r: r['ack'][1]):.1f} "
            f"| {'; '.join(per_server)} | {spread(results[-1])} "
            f"| {median(name, lambda r: r['cpu_ms']):.1f} / {median(name, lambda r: r['client_cpu_ms']):.1f} "
            f"| {median(name, lambda r: r['busy']) * 100:.0f}% "
            f"({median(name, lambda r: r['others']) * 100:.0f}%) "
            f"| {min(r['complete'] for r in results)}/{args.commands} "
            f"| {sum(r['missing'] for r in results)} | {order[0]} / {order[1]} "
            f"| {long_pauses(results)} |")
    scaled = [name for name in rounds if name != base]
    verdicts = []
    for name in scaled:
        p99 = median(name, lambda r: r["p99"])
        verdicts.append(f"{name}: {'meets' if p99 <= TARGET_P99 else 'misses'} it "
                        f"(p99 {p99:.1f} ms, {p99 / base_p99:.2f}× the single worker's "
                        f"{base_p99:.1f} ms)")
    lines += ["", f"Target: p99 ≤ {TARGET_P99:.0f} ms with 2 workers — " + "; ".join(verdicts) + "."]
    for name, found in noted.items():
        if found:
            lines.append(f"{name}: {len(found)} warnings or errors in the server logs, the first: "
                         f"{found[0][:200]}")
    return "\n".join(lines)


# ---- ingest -------------------------------------------------------------------------------------------

def run_ingest(args, folder: Path) -> str:
    size = args.batch
    every = size / args.comments  # between frames, over all the ingest clients
    count = round(args.seconds / every)
    batches = live_ingest.frames(count, size)
    results: dict[str, dict] = {}
    loads = [load_average()]
    with contextlib.ExitStack() as stack:
        made = start_layouts(stack, folder, args.database_url, args.redis_url, args.single_port)
        for name, deployment in made.items():
            result = live_ingest.measure(deployment, batches, size, every, clients=INGEST_CLIENTS,
                                         subscribers=live_ingest.SUBSCRIBERS)
            time.sleep(2)  # the watchers' once-a-second look at the log, should anything lag
            result.update(live_ingest.persisted(deployment.database_url))
            result["refused_comments"] = result["refused"] * size  # every batch is ``size`` long
            # commits that lost the race for the next seq to another worker and were decided again
            result["conflicts"] = metric_total(deployment.urls, "studio_live_seq_conflicts")
            asks = deployment.urls * (4 if len(deployment.urls) == 1 else 1)
            states = live_states(asks, deployment.tokens["overlay"])
            result["replicas"] = [(s["seq"], s["state"]["stats"]["comments"]) for s in states]
            # the rest of each replica's counts (questions, intents, …) must agree too
            result["same_state"] = len({json.dumps([s["seq"], s["state"]["stats"], s["state"]["intents"],
                                                    s["state"]["questions"]], sort_keys=True)
                                        for s in states}) == 1
            result["log_problems"] = server_log_problems(deployment)
            results[name] = result
            loads.append(load_average())
            print(f"{name}: {summary(result)} (load {loads[-1]})", file=sys.stderr)

    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}: {args.seconds} s of "
        f"{args.comments:,} comments/s ({size} per frame, one frame every {every * 1000:.0f} ms "
        f"over {INGEST_CLIENTS} ingest sockets), {live_ingest.SUBSCRIBERS} overlay subscribers, "
        f"PostgreSQL + Redis for every row; sockets alternate between the servers (load average "
        f"before and after each layout: {', '.join(loads)}).",
        "",
        "| layout | sent | sent per s | accepted | refused (\"send again\"): batches | in the log (distinct) "
        f"| sockets per server process ({live_ingest.SUBSCRIBERS} subscribers + {INGEST_CLIENTS} ingest) "
        "| log events / highest seq | seq races lost (retried) | servers' replicas: seq, comments "
        "| lost: acknowledged, not in the log / never answered | delivered per subscriber "
        "| answer ms p50 / p99 | at last subscriber ms p50 / p99 | seq gaps / repeats "
        "| server CPU (of one core) |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for name, r in results.items():
        lost = f"{losses(r)[0]:,} / {losses(r)[1]:,}"
        conflicts = "–" if r["conflicts"] is None else f"{r['conflicts']:,.0f}"
        replicas = "; ".join(f"{seq:,}, {comments:,} ({r['replicas'].count((seq, comments))} "
                             f"of {len(r['replicas'])} asked)"
                             for seq, comments in sorted(set(r["replicas"])))
        lines.append(
            f"| {name} | {r['sent']:,} | {r['sent'] / (r['sending'] + every):,.0f} "
            f"| {r['accepted']:,} | {r['refused']} | {r['persisted']:,} ({r['distinct']:,}) "
            f"| {spread(r)} "
            f"| {r['events']:,} / {r['max_seq']:,} "
            f"| {conflicts} "
            f"| {replicas} | {lost} "
            f"| {min(r['delivered']):,}–{max(r['delivered']):,} "
            f"| {r['ack_p50']:.0f} / {r['ack_p99']:.0f} | {r['seen_p50']:.0f} / {r['seen_p99']:.0f} "
            f"| {r['order'].get('gaps', 0)} / {r['order'].get('repeats', 0)} "
            f"| {r['cpu'] / args.seconds * 100:.0f}% |")
        verdicts.append(f"{name}: {verdict(r)}")
    lines += [""] + [f"- {line}" for line in verdicts]
    return "\n".join(lines)


def losses(r: dict) -> tuple[int, int]:
    """Comments acknowledged but missing from the log, and comments never answered at all (a
    refused batch was answered "send again": the client still has it)."""
    acknowledged_missing = max(0, r["accepted"] - r["distinct"])
    unanswered = r["sent"] - r["accepted"] - r["duplicates"] - r["refused_comments"]
    return acknowledged_missing, unanswered


def problems(r: dict) -> list[str]:
    """Every subscriber-independent count that disagrees with what was sent."""
    sent = r["sent"]
    found = []
    if r["accepted"] != sent or r["refused"] or r["duplicates"]:
        found.append(f"answers accepted {r['accepted']:,} of {sent:,} ({r['refused']} batches, "
                     f"{r['refused_comments']:,} comments, refused with \"send again\"; "
                     f"{r['duplicates']:,} duplicates)" + "".join(
                         f"; {n} × {reason!r}" for reason, n in r["reasons"].most_common()))
    if r["persisted"] != r["accepted"] or r["distinct"] != r["accepted"]:
        found.append(f"the log holds {r['persisted']:,} comments ({r['distinct']:,} distinct) "
                     f"for {r['accepted']:,} acknowledged")
    if not r["events"] == r["max_seq"] == r["distinct_seqs"]:
        found.append(f"the log's seqs are not 1…n: {r['events']:,} events, highest "
                     f"{r['max_seq']:,}, {r['distinct_seqs']:,} distinct")
    for seq, comments in r["replicas"]:
        if seq != r["max_seq"] or comments != r["persisted"]:
            found.append(f"a server's replica is at seq {seq:,} with {comments:,} comments")
    if not r["same_state"]:
        found.append("the servers' replicas differ in stats, intents or questions")
    if r["log_problems"]:
        found.append(f"{len(r['log_problems'])} warnings or errors in the server logs, the first: "
                     f"{r['log_problems'][0][:200]}")
    if r["closed"] and r["closed"]["code"] not in (None, 1000):
        found.append(f"an ingest socket was closed {r['closed']['at']:.0f} s in "
                     f"({r['closed']['code']} {r['closed']['reason']})")
    return found


def verdict(r: dict) -> str:
    found = problems(r)
    undelivered = sum(r["persisted"] - d for d in r["delivered"])
    gaps = r["order"].get("gaps", 0) + r["order"].get("repeats", 0)
    missing, unanswered = losses(r)
    text = (f"{r['distinct']:,} of {r['sent']:,} comments in the log; lost: {missing:,} "
            f"acknowledged but not in the log, {unanswered:,} never answered")
    if found:
        text += "; " + "; ".join(found)
    else:
        text += ("; answers, log, seqs and every server's replica (seq, stats, intents, questions) "
                 "agree; no warning in the server logs")
    text += (f"; behind schedule at the end: {r['behind']:.1f} s"
             f"; not delivered to subscribers: {undelivered:,}, seq gaps or repeats seen: {gaps}.")
    return text


def summary(r: dict) -> str:
    return (f"sockets {spread(r)}, seq races lost {r['conflicts']}, sent {r['sent']:,}, "
            f"accepted {r['accepted']:,}, "
            f"refused {r['refused']}, in log "
            f"{r['persisted']:,} ({r['distinct']:,} distinct), events {r['events']:,}, max seq "
            f"{r['max_seq']:,}, replicas {r['replicas']}, delivered {min(r['delivered']):,}–"
            f"{max(r['delivered']):,}, answer p50/p99 {r['ack_p50']:.0f}/{r['ack_p99']:.0f} ms, "
            f"seen p50/p99 {r['seen_p50']:.0f}/{r['seen_p99']:.0f} ms, behind {r['behind']:.1f} s, "
            f"order {r['order']}, problems: {problems(r) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("fanout", "ingest", "both"), default="both")
    parser.add_argument("--subscribers", type=int, default=1000, help="fan-out subscribers")
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20, help="commands a second")
    parser.add_argument("--rounds", type=int, default=3, help="fan-out rounds, layouts taking turns")
    parser.add_argument("--seconds", type=int, default=60, help="ingest duration")
    parser.add_argument("--comments", type=int, default=5000, help="comments a second")
    parser.add_argument("--batch", type=int, default=125, help="comments in one ingest frame")
    parser.add_argument("--no-single-port", dest="single_port", action="store_false",
                        help="leave out `studio serve --workers 2` on one port")
    parser.add_argument("--database-url", default=None,
                        help=f"a PostgreSQL server where fresh databases may be made (default: "
                        f"{POSTGRES_URL}, skipped when not reachable)")
    parser.add_argument("--redis-url", default=None,
                        help=f"default: {REDIS_URL}, skipped when not reachable")
    parser.add_argument("--profile", type=Path, default=None, metavar="FOLDER",
                        help="py-spy samples of every server process in fan-out round 1")
    parser.add_argument("--record", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    chosen = args.database_url or args.redis_url
    args.database_url = args.database_url or POSTGRES_URL
    args.redis_url = args.redis_url or REDIS_URL
    for what, why in (("--database-url", postgres_reachable(args.database_url)),
                      ("--redis-url", redis_reachable(args.redis_url))):
        if why and chosen:
            raise SystemExit(f"{what}: not reachable ({why}); the scale-out rows need PostgreSQL "
                             "and Redis")
        if why:  # `make bench` on a machine without the services: nothing to measure here
            print(f"live_scale: skipped, {what} {why} (pass --database-url and --redis-url)")
            return
    raise_open_files(2 * args.subscribers + 512)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.part in ("fanout", "both"):
            text = run_fanout(args, folder / "fanout")
            print(text)
            if args.record:  # the standard rate, or a section of its own for another one
                record(text, "live-scale:fanout" + ("" if args.rate == 20 else f":{args.rate:g}-per-s"))
        if args.part in ("ingest", "both"):
            text = run_ingest(args, folder / "ingest")
            print(text)
            if args.record:
                record(text, "live-scale:ingest")


if __name__ == "__main__":
    main()
