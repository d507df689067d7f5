"""The review API and pages: JSON shapes, the dashboard, compare and index pages, escaping of
text from exports and the event log, the recording, downloads and the chart library's route."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.replay.conftest import COMMENTS, METRICS, ORDERS

SHOW = "review-page"
T0 = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
QUESTION = {"id": "douyin:q1", "platform": "douyin", "user_id": "u7", "nickname": "<i>小王</i>",
            "text": "<b>多少钱</b>?", "kind": "comment", "question": True, "hidden": False,
            "time": (T0 + timedelta(seconds=95)).isoformat()}
EVENTS = [(0, "status.changed", {"status": "live"}),
          (20, "card.taken", {"card": {"sku": "SKU-1", "title": "精华<script>alert(1)</script>"}}),
          (95, "comments", {"items": [QUESTION]}),
          (105, "card.taken", {"card": {"sku": "SKU-2", "title": "坚果"}}),
          (150, "coupon.launched", {"coupon": {"id": "c1", "label": "满100减20", "quantity": 50}}),
          (170, "card.cleared", {}),
          (180, "coupon.ended", {"id": "c1", "reason": "timer"}),
          (180, "status.changed", {"status": "ended"})]


def load_show(run_cli, session, folder: Path, show_id: str = SHOW, *, title: str = "复盘页 Review",
              events: list | None = None) -> str:
    """A show with the sample orders, minute metrics and comments, and an event log."""
    from studio.live_console.models import LiveEvent

    result = run_cli("show", "create", title, "--start", "2026-12-10T20:00", "--duration", "60",
                     "--id", show_id)
    assert result.exit_code == 0, result.output
    files = {}
    for kind, text in (("orders", ORDERS), ("metrics", METRICS), ("comments", COMMENTS)):
        files[kind] = folder / f"{show_id}-{kind}.csv"
        files[kind].write_text(text, encoding="utf-8")
    result = run_cli("replay", "import", show_id, *(a for k, p in files.items()
                                                     for a in (f"--{k}", str(p))))
    assert result.exit_code == 0, result.output
    for seq, (seconds, kind, data) in enumerate(EVENTS if events is None else events, start=1):
        session.add(LiveEvent(show_id=show_id, seq=seq, at=T0 + timedelta(seconds=seconds),
                              type=kind, role="operator", data=data))
    session.commit()
    return show_id


@pytest.fixture
def reviewed(run_cli, session, tmp_path) -> str:
    return load_show(run_cli, session, tmp_path)


def data_of(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="replay-data">(.*?)</script>', html, re.S)
    assert found, "the page carries its data"
    return json.loads(found.group(1))


# ---- the JSON API ---------------------------------------------------------------------------------

def test_the_api_answers_the_whole_review(client, reviewed):
    response = client.get(f"/api/v1/replay/{SHOW}")
    assert response.status_code == 200
    review = response.json()
    assert set(review) >= {"show", "timezone", "totals", "audience", "derived", "funnel", "by_minute",
                           "by_sku", "slots", "markers", "findings", "recording_start"}
    assert review["totals"]["gmv"] == "667.90" and review["totals"]["orders"] == 4
    assert review["derived"]["gpm"]["denominator"].startswith("views")
    assert [m["minute"] for m in review["by_minute"]] == [
        "2026-12-10T20:00:00+08:00", "2026-12-10T20:01:00+08:00", "2026-12-10T20:02:00+08:00"]
    assert [(m["kind"], m["seconds"]) for m in review["markers"]][:3] == [
        ("status", 0.0), ("card", 20.0), ("card", 105.0)]
    assert [f["rank"] for f in review["findings"]] == list(range(1, len(review["findings"]) + 1))
    question = next(f for f in review["findings"] if f["kind"] == "unanswered_question")
    assert question["evidence"] == "<i>小王</i>: <b>多少钱</b>?" and question["seconds"] == 95.0
    assert review["recording_start"] == T0.isoformat()


def test_the_api_compares_two_shows(client, run_cli, session, tmp_path, reviewed):
    load_show(run_cli, session, tmp_path, "review-rehearsal", events=[])
    result = client.get(f"/api/v1/replay/{SHOW}/compare/review-rehearsal").json()
    assert (result["a"], result["b"]) == (SHOW, "review-rehearsal")
    gmv = next(r for r in result["rows"] if r["metric"] == "gmv")
    assert gmv == {"metric": "gmv", "a": "667.90", "b": "667.90", "difference": "0.00"}


def test_an_unknown_show_is_a_404_in_the_one_error_shape(client):
    response = client.get("/api/v1/replay/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    page = client.get("/replay/nope", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]


# ---- pages ----------------------------------------------------------------------------------------

def test_the_index_lists_shows_with_data_and_sends_the_compare_form_on(client, run_cli, reviewed):
    assert run_cli("show", "create", "空场 Empty", "--start", "2026-12-11T20:00", "--duration", "60",
                   "--id", "no-data").exit_code == 0
    page = client.get("/replay")
    assert page.status_code == 200
    assert f'data-show="{SHOW}"' in page.text and 'data-show="no-data"' not in page.text
    row = re.search(rf'data-show="{SHOW}">(.*?)</tr>', page.text, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["3", "300"]  # minutes, peak
    assert '<a href="/replay" aria-current="page">复盘</a>' in page.text
    moved = client.get("/replay", params={"a": SHOW, "b": "other show"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/replay/{SHOW}/vs/other%20show"


def test_the_dashboard_escapes_text_from_exports_and_the_log(client, reviewed):
    page = client.get(f"/replay/{SHOW}")
    assert page.status_code == 200
    html = page.text
    assert "&lt;i&gt;小王&lt;/i&gt;: &lt;b&gt;多少钱&lt;/b&gt;?" in html  # a finding's evidence
    assert "精华&lt;script&gt;alert(1)&lt;/script&gt;" in html      # a card title, as a marker
    assert "<b>多少钱</b>" not in html and "<script>alert(1)" not in html
    data = data_of(html)  # inside the JSON script, nothing can close the tag
    assert "\\u003cscript\\u003e" in html
    assert data["markers"][1]["label"] == "精华<script>alert(1)</script>"
    assert data["by_minute"][1] | {"x": "2026-12-10 20:01:00", "seconds": 60.0} == data["by_minute"][1]
    assert data["recording_start_x"] == "2026-12-10 20:00:00"


def test_the_dashboard_shows_tables_findings_funnel_and_scripts(client, reviewed):
    html = client.get(f"/replay/{SHOW}").text
    for testid in ("tiles", "timeline", "findings", "funnel", "slots-table", "skus-table", "markers"):
        assert f'data-testid="{testid}"' in html, testid
    assert re.search(r'<button type="button" class="finding finding-viewer_drop" data-testid="finding" '
                     r'data-seconds="120.0"', html)
    assert re.search(r'<td data-sort="318.00" class="k-money num">¥318.00</td>', html)  # SKU-1 GMV
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', html)
    assert scripts[0].startswith("/vendor/plotly.min.js?v=") and scripts[1].endswith("js/replay.js")
    assert {urlsplit(s).netloc for s in scripts} <= {"", "testserver"}  # nothing from elsewhere
    assert 'data-testid="no-recording"' in html and "recordings/review-page.mp4" in html


def test_the_dashboard_plays_the_clips_recording_with_its_start(client, reviewed, settings):
    recordings = Path(settings.home) / "recordings"
    recordings.mkdir(parents=True)
    (recordings / f"{SHOW}.mp4").write_bytes(b"not really a video")
    html = client.get(f"/replay/{SHOW}").text
    assert f'src="/clips/{SHOW}/recording"' in html and 'data-offset="0.0"' in html
    clips = Path(settings.home) / "clips" / SHOW  # the editor said the recording began 30 s early
    clips.mkdir(parents=True)
    (clips / "clips.json").write_text(json.dumps({"recording_start": "2026-12-10T19:59:30+08:00"}),
                                      encoding="utf-8")
    assert 'data-offset="30.0"' in client.get(f"/replay/{SHOW}").text


def test_an_empty_show_says_what_to_import(client, run_cli):
    assert run_cli("show", "create", "空场 Empty", "--start", "2026-12-11T20:00", "--duration", "60",
                   "--id", "no-data").exit_code == 0
    html = client.get("/replay/no-data").text
    assert "还没有订单或分钟数据" in html and 'data-testid="timeline"' not in html
    assert client.get("/replay").text.count("还没有复盘数据") == 1
    english = client.get("/replay/no-data", headers={"Accept-Language": "en"}).text
    assert "No orders or minute metrics yet" in english


def test_the_compare_page_overlays_two_shows(client, run_cli, session, tmp_path, reviewed):
    load_show(run_cli, session, tmp_path, "review-rehearsal", title="彩排 <Rehearsal>", events=[])
    page = client.get(f"/replay/{SHOW}/vs/review-rehearsal")
    assert page.status_code == 200
    assert "彩排 &lt;Rehearsal&gt;" in page.text and 'data-testid="overlay"' in page.text
    data = data_of(page.text)
    assert data["kind"] == "compare" and data["b"]["title"] == "彩排 <Rehearsal>"
    assert [m["t"] for m in data["a"]["minutes"]] == [0.0, 1.0, 2.0]
    # the rehearsal never went live in its log: minutes count from its scheduled start
    assert [m["seconds"] for m in data["b"]["minutes"]] == [0.0, 60.0, 120.0]
    assert re.search(r"成交金额</th><td class=\"num\">¥667.90</td>", page.text)
    english = client.get(f"/replay/{SHOW}/vs/review-rehearsal", headers={"Accept-Language": "en"}).text
    assert re.search(r"GMV</th><td class=\"num\">CN¥667.90</td>", english)


def test_the_report_and_workbook_download(client, reviewed):
    report = client.get(f"/replay/{SHOW}/report.html")
    assert report.status_code == 200
    assert report.headers["content-disposition"] == f"attachment; filename*=UTF-8''{SHOW}-replay.html"
    assert "window.Plotly" in report.text and data_of(report.text)["totals"]["gmv"] == "667.90"
    book = client.get(f"/replay/{SHOW}/export.xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")


def test_the_chart_library_comes_from_the_plotly_package(client):
    from plotly.offline import get_plotlyjs

    plain = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("text/javascript")
    assert plain.text == get_plotlyjs()
    packed = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and packed.text == plain.text
    assert len(gzip.compress(plain.content)) < len(plain.content) / 2
    again = client.get("/vendor/plotly.min.js", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304


def test_the_demo_plan_shows_slots_against_their_targets(client, show):
    """A show with a plan and no imports yet: the plan's slots, each with its target."""
    html = client.get(f"/replay/{show}").text
    slots = re.search(r'data-testid="slots-table">(.*?)</table>', html, re.S).group(1)
    assert slots.count("<tr data-seconds=") >= 3
    assert re.search(r'<td data-sort="\d+(\.\d+)?" class="k-money num">¥[\d,]+\.\d\d</td>', slots)
    assert "还没有订单或分钟数据" in html
