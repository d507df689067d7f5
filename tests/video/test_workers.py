"""Render workers: the clips page queues a show's render on Redis and `studio worker` processes
take it (Dramatiq). Real workers in their own processes, real renders, a worker killed mid-clip."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.video.probe import probe
from tests.video.conftest import SHOW, TWO_CUTS, api, ffmpeg

pytestmark = pytest.mark.slow


@pytest.fixture
def queued(settings, redis_url) -> Iterator:
    """The app with renders queued on Redis; the deployment's Redis keys removed afterwards."""
    import redis
    from fastapi.testclient import TestClient

    from studio.app import create_app
    from studio.video.queue import namespace

    shared = settings.model_copy(update={"redis_url": redis_url, "render_queue": "redis"})
    client = redis.Redis.from_url(redis_url)

    def clean() -> None:
        for key in client.scan_iter(f"{namespace(shared)}:*"):
            client.delete(key)

    clean()
    with TestClient(create_app(shared)) as test_client:
        yield test_client
    clean()


@pytest.fixture
def workers(studio_env, redis_url, tmp_path) -> Iterator:
    """Start `studio worker` processes; all are stopped at the end."""
    started: list[subprocess.Popen] = []
    log = (tmp_path / "workers.log").open("ab")

    def start() -> subprocess.Popen:
        env = {**studio_env, "STUDIO_REDIS_URL": redis_url, "STUDIO_RENDER_QUEUE": "redis"}
        process = subprocess.Popen([sys.executable, "-m", "studio", "worker"],
                                   env={**__import__("os").environ, **env}, stdout=log,
                                   stderr=log)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait(timeout=10)
    log.close()


def wait_for(client, predicate, seconds: float, what: str) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        snapshot = client.get(f"{api()}/job").json()
        if predicate(snapshot):
            return snapshot
        time.sleep(0.2)
    pytest.fail(f"{what} within {seconds} s; last: {snapshot}")


def test_a_worker_renders_what_the_page_queues(queued, recording, fast_template, workers):
    assert queued.put(f"{api()}/settings", json={"template": fast_template}).status_code == 200
    assert queued.put(f"{api()}/cuts", json={"cuts": TWO_CUTS}).status_code == 200
    started = queued.post(f"{api()}/render")
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "queued"  # no worker yet: it waits on the queue
    metrics = queued.get("/metrics").text
    assert "studio_render_queue_depth 1.0" in metrics
    again = queued.post(f"{api()}/render")
    assert again.status_code == 409 and "already" in again.json()["error"]["message"]
    workers()
    final = wait_for(queued, lambda s: s["state"] in ("done", "failed"), 120, "no finished job")
    assert final["state"] == "done" and final["counts"]["rendered"] == 2, final
    files = queued.get(api()).json()["manifest"]
    assert files is not None
    assert queued.post(f"{api()}/render").status_code == 202  # the show is free again


@pytest.fixture
def long_recording(home, show_id) -> Path:
    """16 s of 1080p30 with a tone: clips long enough to kill a worker in the middle of one."""
    folder = home / "recordings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{show_id}.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-f", "lavfi",
           "-i", "sine=frequency=220:sample_rate=48000", "-t", "16", "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path))
    return path


def test_a_worker_killed_mid_clip_is_replaced_and_nothing_partial_remains(
        queued, long_recording, home, workers):
    cuts = [{"start": 0, "end": 7, "sku": "A", "title": "第一件"},
            {"start": 7, "end": 14, "sku": "B", "title": "第二件"}]
    assert queued.put(f"{api()}/cuts", json={"cuts": cuts}).status_code == 200
    first = workers()
    assert queued.post(f"{api()}/render").status_code == 202
    running = wait_for(queued, lambda s: s["state"] == "running" and s["done"] > 0,
                       120, "the first worker did not start rendering")
    assert running["counts"]["rendered"] == 0  # killed inside the first clip
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    workers()  # another machine's worker takes the job back from the queue
    final = wait_for(queued, lambda s: s["state"] in ("done", "failed") and s["version"]
                     > running["version"] + 2, 240, "the job was not taken up again")
    assert final["state"] == "done" and final["counts"]["rendered"] == 2, final
    out = home / "clips" / SHOW / "out"
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(".")], names  # no temp file, no work folder
    for clip in ("01-A.mp4", "02-B.mp4"):
        info = probe(out / clip)
        assert info.duration == pytest.approx(7.0, abs=0.05)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [c["status"] for c in manifest["clips"]] == ["rendered", "rendered"]
