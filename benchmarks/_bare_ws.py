"""The baseline for the live benchmarks: the least a WebSocket relay does, with `websockets` alone.

    python benchmarks/_bare_ws.py --port 8765

It speaks just enough of the live protocol for the benchmark clients to work unchanged: the first
message is a ``hello`` and is answered with an empty ``snapshot``. A client whose token is
``operator`` or ``ingest`` is a source: each message it sends is relayed with
``websockets.broadcast`` to every other client (an ``ingest`` frame is also answered with
``ingested``). No database, no state, no validation: what fan-out costs on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json

from websockets.asyncio.server import ServerConnection, broadcast, serve

SOURCES = {"operator", "ingest"}


async def main(port: int) -> None:
    subscribers: set[ServerConnection] = set()

    async def handler(socket: ServerConnection) -> None:
        hello = json.loads(await socket.recv())
        await socket.send('{"type":"snapshot","seq":0,"state":{}}')
        if hello.get("token") not in SOURCES:
            subscribers.add(socket)
            try:
                await socket.wait_closed()
            finally:
                subscribers.discard(socket)
            return
        async for message in socket:
            broadcast(subscribers, message)
            if hello["token"] == "ingest":
                batch_id = json.loads(message).get("id")
                await socket.send(json.dumps({"type": "ingested", "id": batch_id, "ok": True},
                                             separators=(",", ":")))

    async with serve(handler, "127.0.0.1", port, max_size=None):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    try:  # the event loop uvicorn picks when it is installed, so both servers run on the same one
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(main(port))
