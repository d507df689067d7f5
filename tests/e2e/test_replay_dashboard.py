"""A review team opens a show's 复盘 dashboard in Chromium: the charts render, clicking a chart
point, a finding or a marker seeks the recording to that moment, tables sort by their headers; two
shows side by side; and the HTML report does the same opened from disk, with no server."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.video.conftest import ffmpeg

pytestmark = pytest.mark.browser

SHOW, OTHER = "replay-e2e", "replay-e2e-rehearsal"
MINUTES = 12
T0 = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai, when the show went live
ORDERS_PER_MINUTE = [2, 3, 5, 8, 6, 9, 4, 12, 7, 3, 2, 1]
ONLINE = [120, 340, 520, 610, 580, 640, 700, 690, 450, 430, 380, 300]  # a drop at 20:08
SKUS = {"SKU-A": ("精华 Serum", "159.00"), "SKU-B": ("坚果 <b>Nuts</b>", "59.90"),
        "SKU-C": ("羽绒服 Down jacket", "899.00")}
EVENTS = [(0, "status.changed", {"status": "live"}),
          (10, "card.taken", {"card": {"sku": "SKU-A", "title": "精华 Serum"}}),
          (130, "coupon.launched", {"coupon": {"id": "c1", "label": "满100减20"}}),
          (200, "card.taken", {"card": {"sku": "SKU-B", "title": "坚果 <b>Nuts</b>"}}),
          (250, "coupon.ended", {"id": "c1"}),
          (330, "flash_sale.started", {"sale": {"id": "f1", "label": "秒杀 9.9"}}),
          (400, "card.taken", {"card": {"sku": "SKU-C", "title": "羽绒服 Down jacket"}}),
          (420, "flash_sale.ended", {"id": "f1"}),
          (480, "giveaway.started", {"giveaway": {"id": "g1", "prize": "福袋 lucky bag"}}),
          (540, "giveaway.drawn", {"id": "g1"}),
          (690, "card.cleared", {}),
          (715, "status.changed", {"status": "ended"})]


def _sku_at(seconds: int) -> str:
    return "SKU-A" if seconds < 200 else "SKU-B" if seconds < 400 else "SKU-C"


def _orders(rehearsal: bool) -> list[tuple[int, int, str]]:
    """(minute, n, sku) of each order: the rehearsal sold a third as much."""
    return [(minute, n, _sku_at(minute * 60 + (n * 53) % 60))
            for minute, count in enumerate(ORDERS_PER_MINUTE) for n in range(count)
            if not (rehearsal and n % 3)]


def _gmv(rehearsal: bool = False) -> Decimal:
    return sum((Decimal(SKUS[sku][1]) for _, _, sku in _orders(rehearsal)), Decimal(0))


def exports(folder: Path, rehearsal: bool = False) -> tuple[Path, Path]:
    """Twelve minutes of order lines and minute metrics, as a platform would export them; the
    rehearsal sold a third as much to fewer viewers."""
    orders = ["order_id,created_at,paid_at,sku,quantity,amount,refund_amount,status,buyer_id"]
    for minute, n, sku in _orders(rehearsal):
        paid = T0 + timedelta(seconds=minute * 60 + (n * 53) % 60)
        orders.append(f"O{minute}-{n},{paid.isoformat()},{paid.isoformat()},{sku},1,"
                      f"{SKUS[sku][1]},0,paid,b{(minute * 7 + n) % 40}")
    metrics = ["minute,online_viewers,entries,exits,views,product_impressions,product_clicks,"
               "comments,likes,new_followers"]
    for minute, online in enumerate(ONLINE):
        online = online * 3 // 5 if rehearsal else online
        at = T0 + timedelta(minutes=minute)
        metrics.append(f"{at.isoformat()},{online},{online // 3},{online // 5},{online // 2},"
                       f"{online // 4},{online // 20},{5 + minute},{online},{minute % 3}")
    paths = folder / f"orders-{rehearsal}.csv", folder / f"metrics-{rehearsal}.csv"
    paths[0].write_text("\n".join(orders) + "\n", encoding="utf-8")
    paths[1].write_text("\n".join(metrics) + "\n", encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def recording_file(tmp_path_factory) -> Path:
    """Twelve minutes of a tiny test picture (160x90, 5 fps): a keyframe a second, for seeking."""
    path = tmp_path_factory.mktemp("replay") / "recording.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=5", "-t", str(MINUTES * 60),
           "-c:v", "libx264", "-preset", "ultrafast", "-g", "5", "-pix_fmt", "yuv420p",
           "-movflags", "+faststart", str(path))
    return path


@pytest.fixture
def shows(live_server, run_cli, session, settings, recording_file, tmp_path) -> str:
    """The show and its rehearsal with orders, metrics, event logs and recordings in place."""
    from studio.live_console.models import LiveEvent

    for show_id, title in ((SHOW, "冬季专场 Winter show"), (OTHER, "彩排 Rehearsal")):
        result = run_cli("show", "create", title, "--start", "2026-12-10T20:00", "--duration",
                         "60", "--id", show_id)
        assert result.exit_code == 0, result.output
        orders, metrics = exports(tmp_path, rehearsal=show_id == OTHER)
        result = run_cli("replay", "import", show_id, "--orders", str(orders), "--metrics",
                         str(metrics))
        assert result.exit_code == 0, result.output
        events = EVENTS if show_id == SHOW else EVENTS[:2] + EVENTS[-1:]
        for seq, (seconds, kind, data) in enumerate(events, start=1):
            session.add(LiveEvent(show_id=show_id, seq=seq, at=T0 + timedelta(seconds=seconds),
                                  type=kind, role="operator", data=data))
    session.commit()
    recordings = Path(settings.home) / "recordings"
    recordings.mkdir(parents=True)
    for show_id in (SHOW, OTHER):
        shutil.copyfile(recording_file, recordings / f"{show_id}.mp4")
    return live_server


def _moment(value: datetime, language: str) -> str:
    from studio.web import format_moment

    return format_moment(value, "Asia/Shanghai", language)


def _column(table, heading: str):
    """The header cell named ``heading``, kept by its place (sorting adds an arrow to its name)."""
    names = [name.strip() for name in table.locator("thead th").all_text_contents()]
    assert names.count(heading) == 1, (heading, names)
    return table.locator("thead th").nth(names.index(heading))


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    return problems


def _ready(page, testid: str = "video") -> None:
    expect(page.locator("#replay")).to_have_attribute("data-state", "ready")
    page.wait_for_function(f"document.querySelector('[data-testid={testid}]').readyState >= 1")


def _at(page, seconds: float, testid: str = "video") -> None:
    """The video reached ``seconds`` (it plays on after a seek, so allow a moment past it)."""
    page.wait_for_function(
        f"""(t) => {{ const v = document.querySelector('[data-testid={testid}]');
                     return !v.seeking && v.currentTime >= t - 0.05 && v.currentTime < t + 3; }}""",
        arg=seconds, timeout=10000)


def _click_bar(page, chart: str, trace: int, index: int) -> None:
    """Hover then click a bar the way a person does: plotly answers the pointer, not the element."""
    bar = page.locator(f"[data-testid={chart}] .barlayer .trace").nth(trace).locator(".point").nth(index)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + max(box["height"] - 3, 1)
    page.mouse.move(x - 5, y)
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def test_the_dashboard_charts_seek_and_sort(page, shows, ui):
    problems = _watch(page)
    page.goto(f"{shows}/replay/{SHOW}")
    _ready(page)
    timeline = page.locator("[data-testid=timeline]")
    expect(timeline).to_have_attribute("data-ready", "true")
    assert timeline.locator("svg.main-svg").count() >= 1  # plotly drew in SVG
    assert timeline.locator(".barlayer .trace").first.locator(".point").count() == MINUTES
    assert timeline.locator(".scatterlayer .trace").count() >= 5  # online, and four marker kinds
    screenshot(page, "replay-dashboard")

    _click_bar(page, "timeline", 0, 5)  # GMV at 20:05: five minutes into the recording
    _at(page, 300)
    expect(page.locator("[data-testid=video-clock]")).to_contain_text("20:05")

    finding = page.locator("[data-testid=finding]").first  # the 20:08 drop ranks first
    expect(finding).to_have_class("finding finding-viewer_drop")
    expect(finding.locator(".kind")).to_have_text(ui("Viewer drop"))
    expect(finding.locator(".time")).to_have_text("20:08:00")
    finding.click()
    _at(page, 480)
    marker = page.locator("[data-testid=marker]", has_text="秒杀 9.9")
    marker.click()
    _at(page, 330)
    expect(marker).to_have_class("marker marker-flash_sale playing")
    page.locator("[data-testid=skus-table] tbody tr", has_text="SKU-B").click()
    _at(page, 200)
    page.mouse.move(10, 10)
    screenshot(page, "replay-dashboard-seeked")

    table = page.locator("[data-testid=skus-table]")
    gmv = _column(table, ui("GMV"))
    gmv.locator("button").click()
    expect(gmv).to_have_attribute("aria-sort", "descending")
    assert table.locator("tbody tr td:first-child").all_inner_texts() == ["SKU-C", "SKU-A", "SKU-B"]
    gmv.locator("button").click()
    expect(gmv).to_have_attribute("aria-sort", "ascending")
    assert table.locator("tbody tr td:first-child").all_inner_texts() == ["SKU-B", "SKU-A", "SKU-C"]
    title = _column(table, ui("Product"))
    title.locator("button").click()
    expect(title).to_have_attribute("aria-sort", "ascending")
    gmv_a = next(r for r in table.locator("tbody tr").all() if r.locator("td").first.inner_text()
                 == "SKU-A")
    sold = sum(1 for _, _, sku in _orders(False) if sku == "SKU-A")
    expect(gmv_a).to_contain_text(ui.money(Decimal(SKUS["SKU-A"][1]) * sold))
    assert problems == []


def test_findings_read_in_the_pages_language(page, shows, ui):
    page.goto(f"{shows}/replay/{SHOW}")
    _ready(page)
    finding = page.locator("[data-testid=finding].finding-viewer_drop").first
    expect(finding.locator(".title")).to_have_text(
        ui("{lost} viewers lost in one minute", lost="240"), timeout=1000)
    expect(finding.locator(".evidence")).to_have_text(
        ui("online {before} → {after}", before="690", after="450")
        + ui(", while “{product}” was on screen", product="羽绒服 Down jacket"), timeout=1000)


def test_chart_labels_from_the_log_stay_text(page, shows):
    page.goto(f"{shows}/replay/{SHOW}")
    _ready(page)
    point = page.locator("[data-testid=timeline] .scatterlayer .trace .points path").nth(
        MINUTES + 1)  # after the online line's points: the first card marker, then SKU-B's
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hover = page.locator("[data-testid=timeline] .hoverlayer")
    expect(hover).to_contain_text("坚果 <b>Nuts</b>")
    screenshot(page, "replay-dashboard-hover")


def test_two_shows_side_by_side(page, shows, ui):
    problems = _watch(page)
    page.goto(f"{shows}/replay")
    expect(page.get_by_role("heading", level=1)).to_have_text(ui("Review"))
    expect(page.locator("[data-testid=replay-show]")).to_have_count(2)
    row = page.locator(f"[data-testid=replay-show][data-show='{SHOW}']")
    expect(row.locator("td").nth(1)).to_have_text(_moment(T0, ui.lang))  # scheduled, 20:00 local
    expect(row.locator("td").nth(2)).to_have_text(f"✓ {ui('imported')}")
    screenshot(page, "replay-index")
    form = page.locator("[data-testid=compare-form]")
    form.locator("select[name=a]").select_option(SHOW)
    form.locator("select[name=b]").select_option(OTHER)
    form.get_by_role("button", name=ui("Compare")).click()
    page.wait_for_url(f"**/replay/{SHOW}/vs/{OTHER}")
    _ready(page, "video-b")
    overlay = page.locator("[data-testid=overlay]")
    expect(overlay).to_have_attribute("data-ready", "true")
    assert overlay.locator(".barlayer .trace").count() == 2
    expect(page.get_by_role("heading", level=1)).to_have_text(ui("Compare"))
    gmv = page.get_by_test_id("compare-table").get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=ui("GMV"), exact=True))
    # the rehearsal sold less: b − a is negative, in the language's money
    expect(gmv.locator("td")).to_have_text([ui.money(_gmv()), ui.money(_gmv(rehearsal=True)),
                                            ui.money(_gmv(rehearsal=True) - _gmv())])
    _click_bar(page, "overlay", 1, 3)  # the rehearsal's GMV in its fourth minute
    _at(page, 180, "video-b")
    assert page.evaluate("document.querySelector('[data-testid=video-a]').currentTime") == 0
    screenshot(page, "replay-compare")
    assert problems == []


def test_the_report_works_from_disk(page, shows, run_cli, recording_file, tmp_path, ui):
    out = tmp_path / "report" / "replay.html"
    made = run_cli("replay", "report", SHOW, "--out", str(out), "--lang", ui.lang)
    assert made.exit_code == 0, made.output
    problems = _watch(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(out.as_uri())
    expect(page.locator("html")).to_have_attribute("lang", ui.lang)
    expect(page.locator("#replay")).to_have_attribute("data-state", "ready")
    expect(page.locator("[data-testid=timeline]")).to_have_attribute("data-ready", "true")
    assert page.locator("[data-testid=timeline] svg.main-svg").count() >= 1
    expect(page.locator("[data-testid=no-recording]")).to_be_visible()
    page.locator("[data-testid=finding]").first.click()
    expect(page.locator("[data-role=status]")).to_have_text(
        f"8:00 · {ui('Open the recording first')}")
    screenshot(page, "replay-report")

    page.locator("[data-role=pick]").set_input_files(str(recording_file))
    page.wait_for_function("document.querySelector('[data-testid=video]').readyState >= 1")
    expect(page.locator("[data-testid=no-recording]")).to_be_hidden()
    page.locator("[data-testid=finding]").first.click()
    _at(page, 480)
    assert {url.split(":", 1)[0] for url in requested} <= {"file", "blob", "data"}
    assert problems == []
