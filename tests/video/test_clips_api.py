"""The clips API on a real database and a real lavfi recording: workspace, cut rows, renders
followed by Server-Sent Events, downloads limited to the manifest, byte ranges for the player."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from studio.errors import Conflict
from studio.video.jobs import JobState, LocalJobs
from studio.video.probe import probe
from studio.video.workspace import Workspace
from tests.video.conftest import SHOW, TWO_CUTS, api


def wait_done(client, show: str = SHOW, seconds: float = 180) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        snapshot = client.get(f"{api(show)}/job").json()
        if snapshot["state"] in ("done", "failed"):
            return snapshot
        time.sleep(0.2)
    pytest.fail(f"the render did not finish within {seconds} s")


def sse_snapshots(client, show: str = SHOW) -> list[dict]:
    """Every ``job`` event of the stream, which ends by itself when the job does."""
    snapshots = []
    with client.stream("GET", f"{api(show)}/job/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "job":
                snapshots.append(json.loads(line.removeprefix("data: ")))
    return snapshots


# ---- workspace and settings ------------------------------------------------------------------------

def test_the_workspace_finds_the_recording_and_lists_templates(client, recording, fast_template):
    body = client.get(api()).json()
    rec = body["recording"]
    assert rec["name"] == f"{SHOW}.mp4" and rec["size"] == recording.stat().st_size
    assert rec["duration"] == pytest.approx(4.0, abs=0.1)
    assert (rec["width"], rec["height"], rec["fps"]) == (640, 360, 30.0)
    assert rec["url"] == f"/clips/{SHOW}/recording"
    assert body["transcript"]["path"].endswith(f"{SHOW}.srt")
    assert body["cuts"] == [] and body["cuts_source"] == "none"
    assert "no product card" in body["cuts_note"] or "never went live" in body["cuts_note"]
    names = {t["name"]: t for t in body["templates"]}
    assert {"default", "square", "fast"} <= names.keys()
    assert names["fast"]["size"] == [1080, 1080] and names["fast"]["description"]
    assert body["manifest"] is None and body["job"] is None and body["max_jobs"] >= 1
    assert body["settings"] == {"recording": None, "transcript": None, "recording_start": None,
                                "template": "default", "jobs": 1}


def test_without_a_recording_the_workspace_says_where_to_put_it(client, show_id):
    body = client.get(api()).json()
    assert body["recording"] is None
    assert f"recordings/{SHOW}.mp4" in body["recording_error"]
    assert client.get(f"/clips/{SHOW}/recording").status_code == 404


def test_unknown_show_is_404_in_the_one_error_shape(client, show_id):
    response = client.get(api("no-such-show"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get("/clips/no-such-show", headers={"Accept": "text/html"}).status_code == 404


def test_cuts_are_proposed_from_the_event_log(client, session, show_id):
    from studio.live_console.models import LiveEvent

    live = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    card = {"sku": "BT-SERUM-30", "title": "烟酰胺精华",
            "ladder": {"list_price": "259.00", "live_price": "189.00", "final_price": "159.00"}}
    for seq, (seconds, kind, data) in enumerate([
            (0, "status.changed", {"status": "live"}), (10, "card.taken", {"card": card}),
            (30, "card.cleared", {}), (40, "status.changed", {"status": "ended"})], start=1):
        session.add(LiveEvent(show_id=show_id, seq=seq, at=live + timedelta(seconds=seconds),
                              type=kind, role="operator", data=data))
    session.commit()
    body = client.get(api()).json()
    assert body["cuts_source"] == "event_log" and "review and save" in body["cuts_note"]
    [cut] = body["cuts"]
    assert (cut["start"], cut["end"], cut["sku"]) == (9.0, 31.0, "BT-SERUM-30")
    assert (cut["price"], cut["original_price"]) == ("159.00", "259.00")


def test_settings_are_checked_and_saved_atomically(client, recording, fast_template, media, home):
    bad = client.put(f"{api()}/settings", json={
        "recording": str(home / "missing.mp4"), "transcript": str(media["corrupt"]),
        "recording_start": "yesterday evening", "template": "no-such-template", "jobs": 2})
    assert bad.status_code == 422
    fields = {d["field"]: d["message"] for d in bad.json()["error"]["details"]}
    assert set(fields) == {"recording", "transcript", "recording_start", "template"}
    assert "no such recording" in fields["recording"]
    assert "not an ISO 8601 time" in fields["recording_start"]
    assert not (home / "clips" / SHOW / "clips.json").exists()

    corrupt = client.put(f"{api()}/settings", json={"recording": str(media["corrupt"])})
    assert corrupt.status_code == 422
    assert "not a readable recording" in corrupt.json()["error"]["details"][0]["message"]
    assert client.put(f"{api()}/settings", json={"jobs": 0}).status_code == 422

    good = client.put(f"{api()}/settings", json={
        "recording": f"recordings/{SHOW}.mp4", "transcript": " ", "template": "fast", "jobs": 2,
        "recording_start": "2026-12-10T20:00:05"})
    assert good.status_code == 200, good.text
    saved = json.loads((home / "clips" / SHOW / "clips.json").read_text(encoding="utf-8"))
    assert saved["recording"] == f"recordings/{SHOW}.mp4" and saved["transcript"] is None
    assert (saved["template"], saved["jobs"]) == ("fast", 2)
    assert datetime.fromisoformat(saved["updated_at"]).tzinfo is not None
    assert not list((home / "clips" / SHOW).glob(".*.tmp"))
    assert client.get(api()).json()["recording"]["path"] == str(recording.resolve())


# ---- the cut list ----------------------------------------------------------------------------------

def test_cut_rows_are_checked_and_each_problem_named(client, recording, home):
    assert client.put(f"{api()}/cuts", json={"cuts": TWO_CUTS}).status_code == 200
    before = (home / "clips" / SHOW / "cuts.csv").read_bytes()
    rows = [
        {"start": "0:02", "end": "0:01"},                       # 1: end before start
        {"start": "abc", "end": 3},                             # 2: not a time
        {"start": 1, "end": 9.5},                               # 3: past the recording's end
        {"start": 5, "end": 6},                                 # 4: starts after the end
        {"start": 0, "end": 1, "price": 1.5},                   # 5: money as a float
        {"start": 0, "end": 1, "price": "-3"},                  # 6: negative money
        {"start": 0, "end": 1, "price": "99", "original_price": "59"},  # 7: 原价 below the price
        {"start": 0, "end": 1, "strat": 2},                     # 8: unknown field
        {"start": 0, "end": 1, "sku": ["A"]},                   # 9: not text
        {"start": 0, "end": 1, "title": "t" * 201},             # 10: too long
        {"start": 1, "end": 2, "sku": "OK"},                    # 11: fine
    ]
    response = client.put(f"{api()}/cuts", json={"cuts": rows})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"] == "10 bad row(s) in the cut list; nothing was saved"
    named = {(d["row"], d["field"]) for d in error["details"]}
    assert named == {(1, "end"), (2, "start"), (3, "end"), (4, "start"), (5, "price"),
                     (6, "price"), (7, "original_price"), (8, "strat"), (9, "sku"), (10, "title")}
    messages = {d["row"]: d["message"] for d in error["details"]}
    assert "after the recording's end (00:00:04.0" in messages[3]
    assert "never a float" in messages[5]
    assert (home / "clips" / SHOW / "cuts.csv").read_bytes() == before  # nothing half-written


def test_saved_cuts_come_back_normalised(client, recording, home):
    response = client.put(f"{api()}/cuts", json={"cuts": TWO_CUTS})
    assert response.status_code == 200, response.text
    first, second = response.json()["cuts"]
    assert (first["start"], first["end"], first["length"]) == (0.5, 1.7, 1.2)
    assert (first["name"], first["price"], first["original_price"]) == ("01-BT-SERUM-30", "159.00",
                                                                        "259.00")
    assert first["title"] == "烟酰胺精华 <b>30ml</b>"
    assert (second["start"], second["title"], second["price"]) == (2.0, None, None)
    body = client.get(api()).json()
    assert body["cuts_source"] == "saved" and body["cuts"] == response.json()["cuts"]
    text = (home / "clips" / SHOW / "cuts.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "start,end,sku,title,price,original_price"
    assert client.put(f"{api()}/cuts", json={"cuts": []}).status_code == 200
    assert client.get(api()).json()["cuts"] == [] and client.get(api()).json()["cuts_source"] == "saved"


def test_render_needs_a_recording_and_a_saved_cut_list(client, show_id, recording):
    response = client.post(f"{api()}/render")
    assert response.status_code == 422 and "save a cut list" in response.json()["error"]["message"]
    recording.unlink()
    client.put(f"{api()}/cuts", json={"cuts": TWO_CUTS})
    response = client.post(f"{api()}/render")
    assert response.status_code == 422 and "no recording" in response.json()["error"]["message"]


# ---- rendering ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_render_through_the_api_with_live_progress_and_downloads(client, recording,
                                                                  fast_template, tmp_path):
    assert client.put(f"{api()}/settings", json={"template": fast_template}).status_code == 200
    assert client.put(f"{api()}/cuts", json={"cuts": TWO_CUTS}).status_code == 200

    started = client.post(f"{api()}/render")
    assert started.status_code == 202, started.text
    assert started.headers["location"] == f"{api()}/job"
    assert started.json()["state"] in ("queued", "running")
    assert [c["name"] for c in started.json()["clips"]] == ["01-BT-SERUM-30", "02-HM-CUP"]
    again = client.post(f"{api()}/render")
    assert again.status_code == 409
    assert "already" in again.json()["error"]["message"]

    snapshots = sse_snapshots(client)
    final = snapshots[-1]
    assert final["state"] == "done", final
    assert [s["version"] for s in snapshots] == sorted({s["version"] for s in snapshots})
    assert snapshots[0]["state"] in ("queued", "running")  # followed live, not read at the end
    assert any(s["clips"][0]["status"] == "rendered" != s["clips"][1]["status"]
               for s in snapshots)  # one clip at a time: the first ends before the second
    assert final == client.get(f"{api()}/job").json()
    assert final["counts"]["rendered"] == 2 and final["counts"]["failed"] == 0
    assert final["done"] == final["total"] == pytest.approx(2.4, abs=0.05)
    for moment in ("created_at", "started_at", "finished_at"):
        assert datetime.fromisoformat(final[moment]).utcoffset() is not None

    manifest = client.get(api()).json()["manifest"]
    assert manifest["template"] == "fast" and len(manifest["clips"]) == 2
    first = manifest["clips"][0]
    assert first["files"] == {"video": "01-BT-SERUM-30.mp4", "cover": "01-BT-SERUM-30.jpg",
                              "srt": "01-BT-SERUM-30.srt", "ass": "01-BT-SERUM-30.ass"}
    video = client.get(f"/clips/{SHOW}/files/01-BT-SERUM-30.mp4")
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    (tmp_path / "clip.mp4").write_bytes(video.content)
    info = probe(tmp_path / "clip.mp4")
    assert info.duration == pytest.approx(1.2, abs=0.15)
    assert info.video.display_size == (1080, 1080)
    cover = client.get(f"/clips/{SHOW}/files/01-BT-SERUM-30.jpg")
    assert cover.headers["content-type"] == "image/jpeg" and cover.content[:2] == b"\xff\xd8"
    srt = client.get(f"/clips/{SHOW}/files/01-BT-SERUM-30.srt")
    assert srt.status_code == 200 and "attachment" in srt.headers["content-disposition"]
    assert "烟酰胺精华" in srt.content.decode("utf-8-sig")

    # Nothing changed: the second render skips both clips (the batch is resumable).
    assert client.post(f"{api()}/render").status_code == 202
    again = wait_done(client)
    assert again["state"] == "done" and again["counts"]["skipped"] == 2
    assert again["id"] != final["id"] and again["version"] > final["version"]


def test_a_clip_that_fails_carries_its_error(client, recording, home):
    (home / "templates").mkdir(parents=True)
    (home / "templates" / "broken-logo.yaml").write_text(
        f"extends: square\nlogo: {{path: {home / 'no-logo.png'}}}\n", encoding="utf-8")
    client.put(f"{api()}/settings", json={"template": "broken-logo"})
    client.put(f"{api()}/cuts", json={"cuts": TWO_CUTS[:1]})
    assert client.post(f"{api()}/render").status_code == 202
    snapshot = wait_done(client)
    assert snapshot["state"] == "done" and snapshot["counts"]["failed"] == 1
    [clip] = snapshot["clips"]
    assert clip["status"] == "failed" and "no-logo.png does not exist" in clip["error"]
    manifest = client.get(api()).json()["manifest"]
    assert manifest["clips"][0]["status"] == "failed"


# ---- downloads ------------------------------------------------------------------------------------

def test_downloads_serve_only_files_the_manifest_lists(client, show_id, home):
    out = home / "clips" / SHOW / "out"
    out.mkdir(parents=True)
    (out / "01-A.mp4").write_bytes(b"clip")
    (out / "secret.txt").write_text("not listed", encoding="utf-8")
    (home / "clips" / SHOW / "clips.json").write_text("{}", encoding="utf-8")
    (home / "outside.mp4").write_bytes(b"outside")
    manifest = {"clips": [{"index": 1, "name": "01-A", "status": "rendered",
                           "files": {"video": "01-A.mp4", "cover": "../clips.json",
                                     "srt": "../../outside.mp4", "ass": "/etc/passwd"}}]}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    assert client.get(f"/clips/{SHOW}/files/01-A.mp4").content == b"clip"
    for name in ("secret.txt", "manifest.json", "%2e%2e", "..%2Fclips.json",
                 "%2e%2e%2fclips.json", "..%5Cclips.json", "%2Fetc%2Fpasswd",
                 "..%2F..%2Foutside.mp4"):
        response = client.get(f"/clips/{SHOW}/files/{name}")
        assert response.status_code == 404, name
        assert response.json()["error"]["code"] == "not_found"
    assert client.get("/clips/..%2F..%2Fhome/files/01-A.mp4").status_code == 404
    # Clients resolve literal dot segments before sending; the workspace refuses them anyway.
    space = Workspace(home, SHOW)
    assert space.output_file("01-A.mp4") == (out / "01-A.mp4").resolve()
    for name in ("..", ".", "../clips.json", "../../outside.mp4", "/etc/passwd", "x\\..\\y", ""):
        assert space.output_file(name) is None, name


def test_the_recording_answers_byte_ranges_for_the_player(client, recording):
    whole = client.get(f"/clips/{SHOW}/recording")
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.content == recording.read_bytes()
    size = recording.stat().st_size
    part = client.get(f"/clips/{SHOW}/recording", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.content == recording.read_bytes()[100:200]
    tail = client.get(f"/clips/{SHOW}/recording", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == recording.read_bytes()[-10:]
    assert client.get(f"/clips/{SHOW}/recording",
                      headers={"Range": f"bytes={size + 10}-"}).status_code == 416


def test_the_api_is_in_the_openapi_description(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("", "/settings", "/cuts", "/render", "/job", "/job/events"):
        assert "/api/v1/clips/{show_id}" + path in paths


def test_job_endpoints_without_a_job_are_404(client, show_id):
    assert client.get(f"{api()}/job").status_code == 404
    assert client.get(f"{api()}/job/events").status_code == 404


# ---- the job registry ------------------------------------------------------------------------------

class Gate:
    """A stand-in runner that holds each batch until the test lets it go."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def __call__(self, batch, on_event):
        from studio.video.batch import BatchResult

        self.entered.release()
        assert self.release.wait(30)
        return BatchResult(batch.out_dir, [])


def _batch(media, tmp_path):
    from studio.video.batch import Batch, specs_for
    from studio.video.cuts import Cut
    from studio.video.templates import load_template

    return Batch(recording=probe(media["plain"]), clips=specs_for([Cut(0.5, 1.5, "A", index=1)]),
                 out_dir=tmp_path / "out", template=load_template("square"))


def test_one_job_per_show_and_a_second_show_waits_its_turn(media, tmp_path):
    gate = Gate()
    jobs = LocalJobs(max_batches=1, runner=gate)
    first = jobs.start("show-a", _batch(media, tmp_path))
    assert first["state"] in ("queued", "running") and first["clips"][0]["status"] == "waiting"
    assert gate.entered.acquire(timeout=10)
    with pytest.raises(Conflict, match="already running") as refused:
        jobs.start("show-a", _batch(media, tmp_path))
    assert refused.value.status_code == 409
    jobs.start("show-b", _batch(media, tmp_path))
    assert jobs.snapshot("show-b")["state"] == "queued"  # one batch at a time on this machine

    async def wait_for_change() -> dict:
        seen = jobs.snapshot("show-a")["version"]
        task = asyncio.create_task(jobs.wait("show-a", seen, timeout=10))
        await asyncio.sleep(0.05)
        gate.release.set()
        return await task

    with ThreadPoolExecutor(1) as thread:  # a loop of its own, whatever runs in this thread
        changed = thread.submit(asyncio.run, wait_for_change()).result(timeout=20)
    assert changed["version"] > first["version"]
    assert jobs.join("show-a", 10) and jobs.join("show-b", 10)
    assert jobs.snapshot("show-a")["state"] == jobs.snapshot("show-b")["state"] == "done"


def test_a_job_whose_batch_breaks_ends_failed(media, tmp_path):
    def broken(batch, on_event):
        raise OSError("disk full")

    jobs = LocalJobs(runner=broken)
    jobs.start("show-a", _batch(media, tmp_path))
    assert jobs.join("show-a", 10)
    snapshot = jobs.snapshot("show-a")
    assert snapshot["state"] == "failed" and snapshot["error"] == "OSError: disk full"
    assert snapshot["clips"][0]["status"] == "failed"
    assert snapshot["finished_at"] is not None


def test_job_states_refuse_moves_they_do_not_have():
    assert JobState.QUEUED.move(JobState.RUNNING) is JobState.RUNNING
    with pytest.raises(RuntimeError, match="from done to running"):
        JobState.DONE.move(JobState.RUNNING)
    with pytest.raises(RuntimeError, match="from queued to done"):
        JobState.QUEUED.move(JobState.DONE)
