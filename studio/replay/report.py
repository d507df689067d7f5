"""What a show's review (复盘) looks like outside the API: the dashboard's tables and chart data,
a self-contained HTML report and an XLSX workbook with one sheet per grain.

One list of columns per grain (minutes, slots, SKUs, findings, markers) drives both the HTML tables
(the text to show and a value to sort by) and the workbook (typed cells: money stays Decimal with a
two-place format, times are wall-clock times in the show's zone, text from exports and the event
log is always a string cell, never a formula). The charts draw with plotly.js, which the ``plotly``
package ships: the server serves that file, and the HTML report carries it inline, so neither needs
the internet.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from studio.replay.compare import compare
from studio.replay.metrics import Review
from studio.replay.service import review_json
from studio.tabular import write_atomic

MARKER_KINDS = {"card": "讲解卡 Card", "coupon": "优惠券 Coupon", "flash_sale": "秒杀 Flash sale",
                "giveaway": "福袋 Giveaway", "status": "状态 Status", "slot": "时段 Slot"}
COMPARE_LABELS = {"gmv": "成交金额 GMV", "refund_amount": "退款 Refunds", "net_gmv": "净成交 Net GMV",
                  "orders": "订单 Orders", "units": "件数 Units", "buyers": "买家 Buyers",
                  "peak_online": "峰值在线 Peak online", "avg_online": "平均在线 Average online",
                  "aov_per_buyer": "客单价 AOV per buyer", "gpm": "千次观看成交 GPM",
                  "uv_value": "UV价值 UV value", "comments_per_minute": "每分钟评论 Comments/min"}
MONEY_METRICS = {"gmv", "refund_amount", "net_gmv", "aov_per_buyer", "gpm", "uv_value"}
FINDING_KINDS = {"viewer_drop": "在线下降 Viewer drop", "low_gmv_slot": "低效时段 Weak slot",
                 "sold_outside_window": "讲解外成交 Sold off-window",
                 "promo_effect": "促销效果 Promotion", "unanswered_question": "未回复 Unanswered"}


# ---- the vendored chart library, from its package --------------------------------------------------

@functools.cache
def plotly_js() -> str:
    """plotly.min.js as the ``plotly`` package ships it (read once; about 4.8 MB)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


@functools.cache
def plotly_version() -> str:
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


def script_json(data: Any) -> str:
    """JSON to place inside <script type="application/json">: nothing in it can close the tag."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def inline_script(source: str) -> str:
    """JavaScript made safe to inline in HTML (``</script`` and ``<!--`` cannot end it early)."""
    return source.replace("</script", "<\\/script").replace("<!--", "<\\!--")


# ---- columns: one definition for the HTML tables and the workbook ----------------------------------

@dataclass(frozen=True, slots=True)
class Column:
    """One column of a grain: its key in the review's rows, its label, and what kind of value."""

    key: str
    label: str
    kind: str = "text"  # text list money count decimal share seconds delta offset time flag
    html: bool = True   # shown on the dashboard (the workbook has every column)

    @property
    def heading(self) -> tuple[str, str]:
        """(Chinese, English) for a two-line header; ("", label) for an English-only label."""
        first, _, rest = self.label.partition(" ")
        return (first, rest) if rest and not first.isascii() else ("", self.label)


MINUTE_COLUMNS = (
    Column("minute", "分钟 Minute", "time"), Column("seconds", "录像位置 Video (s)", "offset"),
    Column("gmv", "成交 GMV", "money"), Column("refund_amount", "退款 Refunds", "money"),
    Column("orders", "订单 Orders", "count"), Column("units", "件数 Units", "count"),
    Column("online_viewers", "在线 Online", "count"), Column("entries", "进入 Entries", "count"),
    Column("exits", "离开 Exits", "count"), Column("views", "观看 Views", "count"),
    Column("product_impressions", "商品曝光 Product impressions", "count"),
    Column("product_clicks", "商品点击 Product clicks", "count"),
    Column("comments", "评论 Comments", "count"), Column("likes", "点赞 Likes", "count"),
    Column("new_followers", "新增关注 New followers", "count"),
)
SLOT_COLUMNS = (
    Column("slot", "编号 Slot id", html=False), Column("title", "时段 Slot"),
    Column("window_source", "来源 Window from", html=False),
    Column("start", "开始 Start", "time"), Column("end", "结束 End", "time", html=False),
    Column("seconds", "时长 Length", "seconds"),
    Column("planned_start", "计划开始 Planned start", "time", html=False),
    Column("planned_seconds", "计划时长 Planned length", "seconds", html=False),
    Column("start_delta_seconds", "开始偏差 Start Δ", "delta"),
    Column("over_under_seconds", "超/欠时 Over/under", "delta"),
    Column("gmv", "成交 GMV", "money"), Column("planned_gmv", "目标 Target", "money"),
    Column("gmv_vs_plan", "差额 vs target", "money"), Column("target_hit", "达成 Hit", "flag", html=False),
    Column("gmv_per_minute", "每分钟 ¥/min", "money"), Column("orders", "订单 Orders", "count"),
    Column("units", "件数 Units", "count", html=False),
    Column("buyers", "买家 Buyers", "count", html=False),
    Column("refund_amount", "退款 Refunds", "money", html=False),
    Column("peak_online", "峰值在线 Peak", "count"),
    Column("avg_online", "平均在线 Average", "decimal", html=False),
    Column("skus", "SKU", "list", html=False),
)
SKU_COLUMNS = (
    Column("sku", "SKU"), Column("title", "商品 Product"), Column("gmv", "成交 GMV", "money"),
    Column("refund_amount", "退款 Refunds", "money"),
    Column("net_gmv", "净成交 Net GMV", "money", html=False),
    Column("orders", "订单 Orders", "count"), Column("units", "件数 Units", "count"),
    Column("buyers", "买家 Buyers", "count", html=False),
    Column("explained_seconds", "讲解时长 Explained", "seconds"),
    Column("gmv_during", "讲解中 During", "money"), Column("gmv_before", "讲解前 Before", "money"),
    Column("gmv_after", "讲解后 After", "money"),
    Column("orders_during", "讲解中订单 Orders during", "count", html=False),
    Column("share_during", "讲解中占比 Share during", "share"),
    Column("gmv_per_explained_minute", "每讲解分钟 ¥/explained min", "money"),
    Column("windows", "讲解窗口 Windows", "list", html=False),
)
FINDING_COLUMNS = (
    Column("rank", "排名 Rank", "count"), Column("kind", "类型 Kind"),
    Column("title", "发现 Finding"), Column("evidence", "依据 Evidence"),
    Column("at", "时间 Time", "time"), Column("seconds", "录像位置 Video (s)", "offset"),
)
MARKER_COLUMNS = (
    Column("at", "时间 Time", "time"), Column("seconds", "录像位置 Video (s)", "offset"),
    Column("kind", "类型 Kind"), Column("event", "事件 Event"), Column("label", "内容 Label"),
)


def wall_clock(value: str | datetime | None, zone: ZoneInfo) -> datetime | None:
    """A moment as the naive wall-clock time of the show's zone (what charts and Excel show)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(zone).replace(tzinfo=None)


def offset(value: str | datetime | None, start: datetime | None) -> float | None:
    """Seconds from the recording's start (when the show went live) to a moment."""
    if value is None or start is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return round((moment - start).total_seconds(), 1)


def _clock(seconds: float, signed: bool = False) -> str:
    whole = round(abs(seconds))
    hours, rest = divmod(whole, 3600)
    text = f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
    if not signed:
        return ("−" if seconds < 0 else "") + text
    return ("+" if seconds > 0 else "−" if seconds < 0 else "±") + text


def cell_text(kind: str, value: Any, zone: ZoneInfo) -> str:
    """How a value reads on the dashboard."""
    if value is None or value == "" or value == []:
        return "—"
    match kind:
        case "money":
            amount = Decimal(value)
            return f"{'−' if amount < 0 else ''}¥{abs(amount):,.2f}"
        case "count":
            return f"{value:,}"
        case "decimal":
            return f"{Decimal(value):,}"
        case "share":
            return f"{Decimal(value) * 100:.1f}%"
        case "seconds" | "offset":
            return _clock(float(value))
        case "delta":
            return _clock(float(value), signed=True)
        case "time":
            return f"{wall_clock(value, zone):%H:%M:%S}"
        case "datetime":
            return f"{wall_clock(value, zone):%Y-%m-%d %H:%M:%S}"
        case "flag":
            return "✓" if value else "✗"
        case "list":
            return ", ".join(_window_text(v, zone) if isinstance(v, dict) else str(v) for v in value)
    return str(value)


def _sort_key(kind: str, value: Any, zone: ZoneInfo) -> str:
    """What a sortable column compares: numbers as decimal text, times as ISO, the rest as text."""
    if value is None:
        return ""
    if kind == "time":
        return wall_clock(value, zone).isoformat()
    if kind == "flag":
        return "1" if value else "0"
    if kind in ("money", "count", "decimal", "share", "seconds", "delta", "offset"):
        return str(value)
    return cell_text(kind, value, zone)


def _window_text(window: dict[str, str], zone: ZoneInfo) -> str:
    return f"{wall_clock(window['start'], zone):%H:%M:%S}–{wall_clock(window['end'], zone):%H:%M:%S}"


@dataclass(frozen=True, slots=True)
class Grain:
    """One grain of the review as a table: a sheet in the workbook, maybe a table on the page."""

    sheet: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]


def grains(review: Review) -> dict[str, Grain]:
    """Minutes, slots, SKUs, findings and markers, each row with its offset into the recording."""
    start = review.recording_start
    minutes = [{**row, "seconds": offset(row["minute"], start)} for row in review.minutes]
    slots = [{**row, "video_seconds": offset(row["start"], start)} for row in review.slots]
    skus = [{**row, "video_seconds": offset(row["windows"][0]["start"], start)
             if row.get("windows") else None} for row in review.by_sku]
    findings = [{**row, "code": row["kind"], "kind": FINDING_KINDS.get(row["kind"], row["kind"])}
                for row in review.findings]
    markers = [{**row, "code": row["kind"], "kind": MARKER_KINDS.get(row["kind"], row["kind"])}
               for row in review.markers]
    return {"minutes": Grain("Minutes", MINUTE_COLUMNS, minutes),
            "slots": Grain("Slots", SLOT_COLUMNS, slots),
            "skus": Grain("SKUs", SKU_COLUMNS, skus),
            "findings": Grain("Findings", FINDING_COLUMNS, findings),
            "markers": Grain("Markers", MARKER_COLUMNS, markers)}


def html_table(grain: Grain, zone: ZoneInfo) -> dict[str, Any]:
    """The dashboard's columns of a grain: headers, and per row its cells and video offset."""
    columns = [c for c in grain.columns if c.html]
    rows = [{"seconds": row.get("video_seconds"),
             "cells": [{"text": cell_text(c.kind, row.get(c.key), zone),
                        "sort": _sort_key(c.kind, row.get(c.key), zone), "kind": c.kind,
                        "negative": c.kind == "money" and str(row.get(c.key)).startswith("-")}
                       for c in columns]} for row in grain.rows]
    return {"columns": columns, "rows": rows}


# ---- the summary: workbook's first sheet, the dashboard's tiles -----------------------------------

@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: Any
    kind: str
    note: str = ""
    tile: bool = False


def summary(review: Review, title: str) -> list[Figure]:
    """Every headline figure with its unit or denominator, in reading order."""
    totals, audience, derived = review.totals.as_dict(), review.audience, review.derived
    refund_note = f"退款 refunds ¥{totals['refund_amount']:,}"
    figures = [
        Figure("场次 Show", review.show_id, "text"), Figure("标题 Title", title, "text"),
        Figure("时区 Timezone", review.timezone, "text"),
        Figure("开播 Went live", review.recording_start, "datetime",
               "录像位置从此算起 video offsets count from here"),
        Figure("成交金额 GMV", totals["gmv"], "money", "paid lines, refunded later or not", True),
        Figure("退款 Refund amount", totals["refund_amount"], "money"),
        Figure("净成交 Net GMV", totals["net_gmv"], "money", refund_note, True),
        Figure("订单 Orders", totals["orders"], "count", "distinct paid orders", True),
        Figure("件数 Units", totals["units"], "count", "", True),
        Figure("买家 Buyers", totals["buyers"], "count", "distinct buyers", True),
        Figure("峰值在线 Peak online", audience["peak_online"], "count",
               f"平均 average {audience['avg_online'] if audience['avg_online'] is not None else '—'}",
               True),
        Figure("平均在线 Average online", audience["avg_online"], "decimal"),
        Figure("有数据的分钟 Minutes with metrics", audience["minutes_with_metrics"], "count"),
    ]
    for name in ("entries", "exits", "views", "product_impressions", "product_clicks", "comments",
                 "likes", "new_followers"):
        figures.append(Figure(f"合计 total {name.replace('_', ' ')}", audience[f"total_{name}"],
                              "count"))
    figures.append(Figure("每分钟评论 Comments per minute", audience["comments_per_minute"],
                          "decimal"))
    labels = {"aov_per_buyer": ("客单价 AOV per buyer", "money", True),
              "aov_per_order": ("笔单价 AOV per order", "money", False),
              "gpm": ("千次观看成交 GPM", "money", True), "uv_value": ("UV价值 UV value", "money", True),
              "interaction_rate": ("互动率 Interaction rate", "share", False),
              "refund_rate": ("退款率 Refund rate", "share", True)}
    for key, (label, kind, tile) in labels.items():
        denominator = derived[key]["denominator"]
        figures.append(Figure(label, derived[key]["value"], kind,
                              denominator if "÷" in denominator else f"÷ {denominator}", tile))
    for step in review.funnel:
        figures.append(Figure(f"漏斗 funnel: {step['label']}", step["count"], "count",
                              "" if step["rate_from_previous"] is None else
                              f"{step['rate_from_previous'] * 100:.2f}% of the step before"))
    return figures


def _funnel(review: Review) -> list[dict[str, Any]]:
    top = max((step["count"] for step in review.funnel), default=0)
    return [{**step, "width": round(100 * step["count"] / top, 1) if top else 0,
             "count_text": f"{step['count']:,}", "rate": None if step["rate_from_previous"] is None
             else f"{step['rate_from_previous'] * 100:.2f}%"} for step in review.funnel]


# ---- what the dashboard page and the report render --------------------------------------------------

def chart_data(review: Review, *, title: str, video: dict[str, Any]) -> dict[str, Any]:
    """The review as the API gives it, plus each point's wall-clock time (``x``) and video offset."""
    zone, start = ZoneInfo(review.timezone), review.recording_start
    data = review_json(review)

    def x(value: str | None) -> str | None:
        moment = wall_clock(value, zone)
        return None if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}"

    for row in data["by_minute"]:
        row.update(x=x(row["minute"]), seconds=offset(row["minute"], start))
    for row in (*data["markers"], *data["findings"]):
        row["x"] = x(row["at"])
    for row in data["slots"]:
        row.update(x=x(row["start"]), x_end=x(row["end"]))
    data.update(kind="show", title=title, video=video,
                recording_start_x=x(data["recording_start"]))
    return data


def dashboard_context(review: Review, *, title: str, video: dict[str, Any]) -> dict[str, Any]:
    """Everything the dashboard partial renders: tiles, funnel, findings, markers, tables, data."""
    zone = ZoneInfo(review.timezone)
    tables = grains(review)
    figures = summary(review, title)

    def moment(row: dict[str, Any]) -> dict[str, Any]:
        local = wall_clock(row["at"], zone)
        return {**row, "clock": f"{local:%H:%M:%S}", "when": f"{local:%Y-%m-%d %H:%M:%S}"}

    return {
        "show_id": review.show_id, "title": title, "timezone": review.timezone, "video": video,
        "went_live": wall_clock(review.recording_start, zone),
        "tiles": [{"label": f.label, "text": cell_text(f.kind, f.value, zone), "note": f.note}
                  for f in figures if f.tile],
        "funnel": _funnel(review),
        "findings": [moment(f) for f in tables["findings"].rows],
        "markers": [moment(m) for m in tables["markers"].rows],
        "marker_kinds": MARKER_KINDS,
        "slots": html_table(tables["slots"], zone), "skus": html_table(tables["skus"], zone),
        "has_minutes": bool(review.minutes),
        "data_json": script_json(chart_data(review, title=title, video=video)),
    }


def compare_context(a: Review, b: Review, *, titles: tuple[str, str],
                    videos: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    """Two shows by minutes since each went live, and the compare table."""
    sides = [{"show": r.show_id, "title": t, "video": v, "minutes": _since_start(r)}
             for r, t, v in zip((a, b), titles, videos, strict=True)]
    zone = ZoneInfo(a.timezone)
    rows = []
    for row in compare(a, b)["rows"]:
        kind = "money" if row["metric"] in MONEY_METRICS else "decimal" \
            if isinstance(row["a"], str) or isinstance(row["b"], str) else "count"
        rows.append({"metric": row["metric"], "label": COMPARE_LABELS.get(row["metric"], row["metric"]),
                     **{side: cell_text(kind, row[side], zone) for side in ("a", "b")},
                     "difference": cell_text(kind, row["difference"], zone),
                     "sign": _sign(row["difference"])})
    return {"a": sides[0], "b": sides[1], "rows": rows,
            "data_json": script_json({"kind": "compare", "a": sides[0], "b": sides[1]})}


def _sign(value: Any) -> str:
    if value is None:
        return ""
    number = Decimal(value)
    return "up" if number > 0 else "down" if number < 0 else ""


def _since_start(review: Review) -> list[dict[str, Any]]:
    start = review.recording_start
    if start is None and review.minutes:
        start = datetime.fromisoformat(review.minutes[0]["minute"])
    rows = []
    for row in review_json(review)["by_minute"]:
        seconds = offset(row["minute"], start)
        rows.append({"t": round(seconds / 60, 2), "seconds": seconds, "minute": row["minute"][11:16],
                     "gmv": row["gmv"], "orders": row["orders"],
                     "online_viewers": row["online_viewers"]})
    return rows


# ---- the self-contained HTML report -----------------------------------------------------------------

@functools.cache
def _environment():
    from studio.web import make_templates

    return make_templates().env


def _asset(relative: str) -> str:
    from studio.web import web_root

    return (web_root() / "static" / relative).read_text(encoding="utf-8")


def render_report(review: Review, *, title: str, video_src: str | None = None,
                  video_offset: float = 0.0, generated: datetime | None = None) -> str:
    """One HTML file with the charts' library, styles, script and data inline: opens from disk."""
    video = {"url": video_src, "offset": video_offset, "mode": "report"}
    context = dashboard_context(review, title=title, video=video)
    context.update(
        mode="report", generated=generated or datetime.now(ZoneInfo(review.timezone)),
        css=_asset("css/studio.css") + "\n" + _asset("css/replay.css"),
        plotly=inline_script(plotly_js()), plotly_version=plotly_version(),
        script=inline_script(_asset("js/replay.js")),
    )
    return _environment().get_template("replay/report.html").render(context)


def write_report(path: Path, review: Review, *, title: str, video_src: str | None = None,
                 video_offset: float = 0.0) -> int:
    """Write the HTML report atomically; returns its size in bytes."""
    data = render_report(review, title=title, video_src=video_src,
                         video_offset=video_offset).encode("utf-8")
    write_atomic(path, lambda temp: temp.write_bytes(data))
    return len(data)


# ---- the workbook ---------------------------------------------------------------------------------

FORMATS = {"money": "#,##0.00", "count": "#,##0", "decimal": "#,##0.00", "share": "0.00%",
           "seconds": "0", "delta": "+0;-0;0", "offset": "0.0", "time": "yyyy-mm-dd hh:mm:ss",
           "datetime": "yyyy-mm-dd hh:mm:ss"}
WIDTHS = {"text": 28, "list": 36, "time": 20, "datetime": 20}


def _put(sheet, row: int, column: int, kind: str, value: Any, zone: ZoneInfo) -> None:
    """One typed cell: Decimal money with two places, wall-clock times, text never a formula."""
    if kind in ("time", "datetime"):
        value = wall_clock(value, zone)
    elif kind == "list":
        value = cell_text(kind, value, zone) if value else None
    elif kind in ("money", "decimal", "share") and value is not None:
        value = Decimal(value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # "=…" from a comment or a title stays text
    elif kind in FORMATS and value is not None:
        cell.number_format = FORMATS[kind]


def _sheet(book, name: str, header: list[str], widths: list[int],
           rows: list[list[tuple[str, Any]]], zone: ZoneInfo) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(name)
    for column, (label, width) in enumerate(zip(header, widths, strict=True), start=1):
        sheet.cell(row=1, column=column, value=label).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    for index, cells in enumerate(rows, start=2):
        for column, (kind, value) in enumerate(cells, start=1):
            _put(sheet, index, column, kind, value, zone)
    sheet.freeze_panes = "A2"


def workbook(review: Review, *, title: str):
    """The review as an openpyxl Workbook: Summary, Minutes, Slots, SKUs, Findings, Markers."""
    from openpyxl import Workbook

    zone = ZoneInfo(review.timezone)
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "Summary", ["项目 Item", "数值 Value", "说明 Note"], [36, 22, 48],
           [[("text", f.label), (f.kind, f.value), ("text", f.note or None)]
            for f in summary(review, title)], zone)
    for grain in grains(review).values():
        _sheet(book, grain.sheet, [c.label for c in grain.columns],
               [WIDTHS.get(c.kind, 14) for c in grain.columns],
               [[(c.kind, row.get(c.key)) for c in grain.columns] for row in grain.rows], zone)
    return book


def write_workbook(path: Path, review: Review, *, title: str) -> list[str]:
    """Write the XLSX atomically; returns the sheet names."""
    book = workbook(review, title=title)
    write_atomic(path, book.save)
    return book.sheetnames


# ---- the show's recording, from the clips workspace ----------------------------------------------

def recording(settings, show_id: str, timezone: str, went_live: datetime | None) -> dict[str, Any]:
    """The recording the clips page uses, and how far into it the show went live.

    Review offsets count from going live; when the editor typed when the recording began (the
    clips page's "recording start"), the video is ``went_live − recording_start`` seconds ahead.
    """
    from studio.errors import ValidationFailed
    from studio.video.service import parse_moment
    from studio.video.workspace import workspace

    space = workspace(settings, show_id)
    try:
        chosen = space.settings()
        path = space.recording_path(chosen)
        began = parse_moment(chosen.recording_start, timezone) if chosen.recording_start else None
    except ValidationFailed as exc:
        return {"path": None, "offset": 0.0, "note": exc.message}
    if path is None or not path.is_file():
        return {"path": None, "offset": 0.0,
                "note": f"{path} is not there" if path else
                f"没有录像 No recording: put it at STUDIO_HOME/recordings/{show_id}.mp4 "
                "(or .mkv, .mov, .flv), or choose one on the clips page"}
    shift = (went_live - began).total_seconds() if began and went_live else 0.0
    return {"path": path, "offset": round(shift, 3), "note": None}
