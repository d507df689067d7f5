"""An editor reviews a show's cut list in Chromium: plays a cut, sets in and out from the player,
saves, renders with live progress and finds the clips, covers and subtitles to download."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.video.conftest import ffmpeg

pytestmark = pytest.mark.browser

SHOW = "clip-page-show"
TRANSCRIPT = """1
00:00:00,200 --> 00:00:01,400
烟酰胺精华 直播价 159

2
00:00:01,600 --> 00:00:03,600
today only, two for one
"""


@pytest.fixture(scope="module")
def recording_file(tmp_path_factory) -> Path:
    """4 s of 640x360 test picture at 30 fps with a tone: small enough to render twice quickly."""
    path = tmp_path_factory.mktemp("clip-page") / "recording.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi",
           "-i", "sine=frequency=440:sample_rate=48000", "-t", "4", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", str(path))
    return path


@pytest.fixture
def workspace(page, live_server, settings, recording_file) -> str:
    """A show with its recording, transcript, a quick template and one saved cut."""
    home = Path(settings.home)
    (home / "recordings").mkdir(parents=True)
    shutil.copyfile(recording_file, home / "recordings" / f"{SHOW}.mp4")
    (home / "recordings" / f"{SHOW}.srt").write_text(TRANSCRIPT, encoding="utf-8")
    (home / "templates").mkdir()
    (home / "templates" / "fast.yaml").write_text(
        "extends: square\ndescription: 1:1, quick, for tests\npreset: ultrafast\nfps: 15\n",
        encoding="utf-8")
    created = page.request.post(f"{live_server}/api/v1/shows", data={
        "title": "羽绒服专场 Down jackets", "scheduled_start": "2026-12-10T20:00:00+08:00",
        "planned_duration_minutes": 60, "id": SHOW})
    assert created.ok, created.text()
    saved = page.request.put(f"{live_server}/api/v1/clips/{SHOW}/cuts", data={"cuts": [
        {"start": "0.5", "end": "1.5", "sku": "BT-SERUM-30", "title": "<b>烟酰胺精华</b>",
         "price": "159", "original_price": "259"}]})
    assert saved.ok, saved.text()
    return live_server


def _seek(page, seconds: float) -> None:
    page.evaluate("""(t) => new Promise((done) => {
        const video = document.querySelector("[data-testid=video]");
        video.pause();
        video.addEventListener("seeked", () => done(), { once: true });
        video.currentTime = t;
    })""", seconds)


def _video_time(page) -> float:
    return page.evaluate("document.querySelector('[data-testid=video]').currentTime")


def test_review_set_in_and_out_render_and_download(page, workspace, ui):
    live_server = workspace
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server}/clips/{SHOW}")
    root = page.locator("#clips")
    expect(root).to_have_attribute("data-state", "idle")
    rows = page.get_by_test_id("clip-row")
    expect(rows).to_have_count(1)
    expect(page.get_by_test_id("source-note")).to_have_text(ui("The saved cut list."))
    expect(page.get_by_test_id("recording-info")).to_contain_text("640×360 · 30 fps")
    # A title with markup stays text.
    expect(rows.nth(0).get_by_test_id("cut-title")).to_have_value("<b>烟酰胺精华</b>")
    assert root.locator("b").count() == 0

    # Clicking a row plays its cut and stops at its end.
    page.wait_for_function("document.querySelector('[data-testid=video]').readyState >= 1")
    rows.nth(0).get_by_test_id("cut-length").click()
    expect(rows.nth(0)).to_have_class("selected")
    page.wait_for_function("""() => {
        const v = document.querySelector("[data-testid=video]");
        return v.paused && v.currentTime >= 1.4; }""", timeout=15000)
    assert 1.4 <= _video_time(page) < 2.0  # rAF stops it, timeupdate (4 Hz) at the latest

    # In and out come from the player, on the 30 fps frame grid.
    _seek(page, 1.01)
    expect(page.get_by_test_id("clock")).to_have_text("00:00:01.010")
    page.get_by_test_id("set-in").click()
    _seek(page, 2.345)
    page.keyboard.press("o")
    expect(rows.nth(0).get_by_test_id("cut-start")).to_have_value("00:00:01.000")
    expect(rows.nth(0).get_by_test_id("cut-end")).to_have_value("00:00:02.333")
    expect(page.get_by_test_id("clock")).to_have_text("00:00:02.333")  # the player snaps to it
    expect(rows.nth(0).get_by_test_id("cut-length")).to_have_text("1.33 s")
    expect(page.get_by_test_id("unsaved")).to_be_visible()

    # A second cut from the player's position; a bad end is refused and named.
    page.get_by_test_id("add-row").click()
    expect(rows).to_have_count(2)
    second = rows.nth(1)
    expect(second.get_by_test_id("cut-start")).to_have_value("00:00:02.333")
    second.get_by_test_id("cut-sku").fill("HM-CUP")
    second.get_by_test_id("cut-end").fill("00:00:02.000")
    page.get_by_test_id("save-cuts").click()
    expect(page.get_by_test_id("error").locator("li")).to_contain_text(
        f"{ui('row {n}', n=2)} · {ui('Out')}: ")
    expect(second.get_by_test_id("cut-end")).to_have_class(re.compile(r"\binvalid\b"))
    second.get_by_test_id("cut-end").fill("00:00:04.000")
    page.get_by_test_id("save-cuts").click()
    expect(page.get_by_test_id("unsaved")).to_be_hidden()
    expect(page.get_by_test_id("error")).to_be_hidden()
    saved = page.request.get(f"{live_server}/api/v1/clips/{SHOW}").json()
    assert [(c["start"], c["end"], c["sku"]) for c in saved["cuts"]] == [
        (1.0, 2.333, "BT-SERUM-30"), (2.333, 4.0, "HM-CUP")]

    # The quick template, then render and follow the progress to the end.
    page.get_by_test_id("setting-template").select_option("fast")
    page.get_by_test_id("save-settings").click()
    expect(page.locator("[data-role=settings-status]")).to_have_text(f"✓ {ui('Saved')}")
    expect(page.get_by_test_id("render")).to_have_text(ui("Render"))
    page.get_by_test_id("render").click()
    expect(root).to_have_attribute("data-state", "rendering")
    expect(page.get_by_test_id("render")).to_be_disabled()
    screenshot(page, "clips-rendering")
    expect(root).to_have_attribute("data-state", "done", timeout=120_000)
    done = ui("Done: {rendered} rendered, {skipped} unchanged, {failed} failed", rendered=2,
              skipped=0, failed=0)
    expect(page.get_by_test_id("job-state")).to_have_text(  # and how long it took
        re.compile(rf"^{re.escape(done)} · \d+:\d\d$"))
    expect(page.get_by_test_id("overall-progress")).to_have_attribute("aria-valuenow", "100")
    assert f"{live_server}/api/v1/clips/{SHOW}/job/events" in requested  # followed by SSE

    for index, name in ((0, "01-BT-SERUM-30"), (1, "02-HM-CUP")):
        row = rows.nth(index)
        expect(row.get_by_test_id("clip-status")).to_have_text(ui("Rendered"))
        link = row.get_by_test_id("clip-video")
        expect(link).to_have_attribute("href", f"/clips/{SHOW}/files/{name}.mp4?v="
                                       + link.get_attribute("href").split("?v=")[1])
        clip = page.request.get(f"{live_server}{link.get_attribute('href')}")
        assert clip.ok and clip.headers["content-type"] == "video/mp4" and len(clip.body()) > 1000
        expect(row.get_by_test_id("clip-srt")).to_have_attribute("download", f"{name}.srt")
        cover = row.get_by_test_id("clip-cover")
        expect(cover).to_be_visible()
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                               arg=cover.element_handle())
        assert cover.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [1080, 1080]
    screenshot(page, "clips")


def test_a_show_without_a_recording_says_where_to_put_it(page, live_server, ui):
    created = page.request.post(f"{live_server}/api/v1/shows", data={
        "title": "空场 Empty", "scheduled_start": "2026-12-11T20:00:00+08:00",
        "planned_duration_minutes": 30, "id": "empty-show"})
    assert created.ok, created.text()
    page.goto(f"{live_server}/clips")
    expect(page.get_by_role("heading", level=1)).to_have_text(ui("Clips"))
    expect(page.locator("p.count")).to_have_text(ui.n("%(n)s show", "%(n)s shows", 1))
    show = page.get_by_test_id("clip-show")
    expect(show).to_have_count(1)
    expect(show.locator("td").nth(1)).to_have_text(f"— {ui('none yet')}")
    screenshot(page, "clips-list")
    show.get_by_role("link", name=ui("Clips page")).click()
    expect(page.locator("#clips")).to_have_attribute("data-state", "idle")
    expect(page.locator("[data-role=no-recording]")).to_contain_text("recordings/empty-show.mp4")
    expect(page.get_by_test_id("video")).to_be_hidden()
    expect(page.get_by_test_id("source-note")).to_contain_text("never went live")
