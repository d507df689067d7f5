"""What a show's review (复盘) looks like outside the API: the dashboard's tables and chart data,
a self-contained HTML report and an XLSX workbook with one sheet per grain.

One list of columns per grain (minutes, slots, SKUs, findings, markers) drives both the HTML tables
(the text to show and a value to sort by) and the workbook (typed cells: money stays Decimal with a
two-place format, times are wall-clock times in the show's zone, text from exports and the event
log is always a string cell, never a formula). The charts draw with plotly.js, which the ``plotly``
package ships: the server serves that file, and the HTML report carries it inline, so neither needs
the internet.

Labels are English message ids (``N_``) translated where they are shown: the dashboard and the
report in the page's language (studio.i18n), the workbook's headers in both, "成交金额 GMV".
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from studio import i18n
from studio.replay.compare import compare
from studio.replay.metrics import Review
from studio.replay.service import review_json
from studio.tabular import write_atomic


def N_(message: str) -> str:
    """Marks a label for extraction (babel.cfg); it is translated where it is shown."""
    return message


MARKER_KINDS = {"card": N_("Card"), "coupon": N_("Coupon"), "flash_sale": N_("Flash sale"),
                "giveaway": N_("Giveaway"), "status": N_("Status"), "slot": N_("Slot")}
COMPARE_LABELS = {"gmv": N_("GMV"), "refund_amount": N_("Refunds"), "net_gmv": N_("Net GMV"),
                  "orders": N_("Orders"), "units": N_("Units"), "buyers": N_("Buyers"),
                  "peak_online": N_("Peak online"), "avg_online": N_("Average online"),
                  "aov_per_buyer": N_("AOV per buyer"), "gpm": N_("GPM"),
                  "uv_value": N_("UV value"), "comments_per_minute": N_("Comments per minute")}
MONEY_METRICS = {"gmv", "refund_amount", "net_gmv", "aov_per_buyer", "gpm", "uv_value"}
FINDING_KINDS = {"viewer_drop": N_("Viewer drop"), "low_gmv_slot": N_("Weak slot"),
                 "sold_outside_window": N_("Sold off-window"),
                 "promo_effect": N_("Promotion effect"), "unanswered_question": N_("Unanswered")}
FUNNEL_STEPS = {"entries": N_("Entered the show"), "product_impressions": N_("Product impressions"),
                "product_clicks": N_("Product clicks"), "buyers": N_("Bought")}
TOTALS = {"entries": N_("Total entries"), "exits": N_("Total exits"), "views": N_("Total views"),
          "product_impressions": N_("Total product impressions"),
          "product_clicks": N_("Total product clicks"), "comments": N_("Total comments"),
          "likes": N_("Total likes"), "new_followers": N_("Total new followers")}
# Derived figures: label, kind, shown as a tile, and what it is divided by (GLOSSARY)
DERIVED = {"aov_per_buyer": (N_("AOV per buyer"), "money", True, N_("÷ buyers")),
           "aov_per_order": (N_("AOV per order"), "money", False, N_("÷ orders")),
           "gpm": (N_("GPM"), "money", True, N_("× 1000 ÷ views (PV)")),
           "uv_value": (N_("UV value"), "money", True, N_("÷ entries (sum of per-minute entries)")),
           "interaction_rate": (N_("Interaction rate"), "share", False, N_("comments ÷ views")),
           "refund_rate": (N_("Refund rate"), "share", True, N_("refund amount ÷ GMV"))}


def labeller(language: str) -> Callable[..., str]:
    """Labels in one language: ``label("Funnel: {step}", step=N_("Bought"))`` (params translated too)."""
    def label(message: str, **params: str) -> str:
        text = i18n.translate(language, message)
        return text.format(**{k: i18n.translate(language, v) for k, v in params.items()}) \
            if params else text
    return label


def bilingual(message: str, **params: str) -> str:
    """A label in Chinese and English for the workbook's headers: "成交金额 GMV", "SKU"."""
    chinese, english = labeller("zh-CN")(message, **params), labeller("en")(message, **params)
    return english if chinese == english else f"{chinese} {english}"


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
    label: str  # an English message id, translated where it is shown
    kind: str = "text"  # text list money count decimal share seconds delta offset time flag
    html: bool = True   # shown on the dashboard (the workbook has every column)


MINUTE_COLUMNS = (
    Column("minute", N_("Minute"), "time"), Column("seconds", N_("Video (s)"), "offset"),
    Column("gmv", N_("GMV"), "money"), Column("refund_amount", N_("Refunds"), "money"),
    Column("orders", N_("Orders"), "count"), Column("units", N_("Units"), "count"),
    Column("online_viewers", N_("Online"), "count"), Column("entries", N_("Entries"), "count"),
    Column("exits", N_("Exits"), "count"), Column("views", N_("Views"), "count"),
    Column("product_impressions", N_("Product impressions"), "count"),
    Column("product_clicks", N_("Product clicks"), "count"),
    Column("comments", N_("Comments"), "count"), Column("likes", N_("Likes"), "count"),
    Column("new_followers", N_("New followers"), "count"),
)
SLOT_COLUMNS = (
    Column("slot", N_("Slot id"), html=False), Column("title", N_("Slot")),
    Column("window_source", N_("Window from"), html=False),
    Column("start", N_("Start"), "time"), Column("end", N_("End"), "time", html=False),
    Column("seconds", N_("Length"), "seconds"),
    Column("planned_start", N_("Planned start"), "time", html=False),
    Column("planned_seconds", N_("Planned length"), "seconds", html=False),
    Column("start_delta_seconds", N_("Start Δ"), "delta"),
    Column("over_under_seconds", N_("Over/under"), "delta"),
    Column("gmv", N_("GMV"), "money"), Column("planned_gmv", N_("Target"), "money"),
    Column("gmv_vs_plan", N_("vs target"), "money"), Column("target_hit", N_("Hit"), "flag", html=False),
    Column("gmv_per_minute", N_("GMV per minute"), "money"), Column("orders", N_("Orders"), "count"),
    Column("units", N_("Units"), "count", html=False),
    Column("buyers", N_("Buyers"), "count", html=False),
    Column("refund_amount", N_("Refunds"), "money", html=False),
    Column("peak_online", N_("Peak online"), "count"),
    Column("avg_online", N_("Average online"), "decimal", html=False),
    Column("skus", "SKU", "list", html=False),
)
SKU_COLUMNS = (
    Column("sku", "SKU"), Column("title", N_("Product")), Column("gmv", N_("GMV"), "money"),
    Column("refund_amount", N_("Refunds"), "money"),
    Column("net_gmv", N_("Net GMV"), "money", html=False),
    Column("orders", N_("Orders"), "count"), Column("units", N_("Units"), "count"),
    Column("buyers", N_("Buyers"), "count", html=False),
    Column("explained_seconds", N_("Explained"), "seconds"),
    Column("gmv_during", N_("During"), "money"), Column("gmv_before", N_("Before"), "money"),
    Column("gmv_after", N_("After"), "money"),
    Column("orders_during", N_("Orders during"), "count", html=False),
    Column("share_during", N_("Share during"), "share"),
    Column("gmv_per_explained_minute", N_("GMV per explained minute"), "money"),
    Column("windows", N_("Windows"), "list", html=False),
)
FINDING_COLUMNS = (
    Column("rank", N_("Rank"), "count"), Column("kind", N_("Kind")),
    Column("title", N_("Finding")), Column("evidence", N_("Evidence")),
    Column("at", N_("Time"), "time"), Column("seconds", N_("Video (s)"), "offset"),
)
MARKER_COLUMNS = (
    Column("at", N_("Time"), "time"), Column("seconds", N_("Video (s)"), "offset"),
    Column("kind", N_("Kind")), Column("event", N_("Event")), Column("label", N_("Content")),
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


def cell_text(kind: str, value: Any, zone: ZoneInfo, language: str = i18n.DEFAULT) -> str:
    """How a value reads on the dashboard, in the page's language (money stays Decimal)."""
    if value is None or value == "" or value == []:
        return "—"
    locale = i18n.babel_locale(language)
    match kind:
        case "money":
            return format_currency(Decimal(value), "CNY", locale=locale)
        case "count" | "decimal":
            return format_decimal(Decimal(value), locale=locale)
        case "share":
            return format_percent(Decimal(value), "#,##0.0%", locale=locale)
        case "seconds" | "offset":
            return _clock(float(value))
        case "delta":
            return _clock(float(value), signed=True)
        case "time":
            return f"{wall_clock(value, zone):%H:%M:%S}"
        case "datetime":
            return moment_text(wall_clock(value, zone), language)
        case "flag":
            return "✓" if value else "✗"
        case "list":
            return ", ".join(_window_text(v, zone) if isinstance(v, dict) else str(v) for v in value)
    return str(value)


def moment_text(moment: datetime | None, language: str) -> str:
    """A wall-clock date and time as the language writes it (the zone is named next to it)."""
    if moment is None:
        return "—"
    pattern = "yyyy-MM-dd HH:mm:ss" if language == "zh-CN" else "medium"
    return format_datetime(moment, pattern, locale=i18n.babel_locale(language))


def _sort_key(kind: str, value: Any, zone: ZoneInfo, language: str) -> str:
    """What a sortable column compares: numbers as decimal text, times as ISO, the rest as text."""
    if value is None:
        return ""
    if kind == "time":
        return wall_clock(value, zone).isoformat()
    if kind == "flag":
        return "1" if value else "0"
    if kind in ("money", "count", "decimal", "share", "seconds", "delta", "offset"):
        return str(value)
    return cell_text(kind, value, zone, language)


def _window_text(window: dict[str, str], zone: ZoneInfo) -> str:
    return f"{wall_clock(window['start'], zone):%H:%M:%S}–{wall_clock(window['end'], zone):%H:%M:%S}"


@dataclass(frozen=True, slots=True)
class Grain:
    """One grain of the review as a table: a sheet in the workbook, maybe a table on the page."""

    sheet: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]


def grains(review: Review, label: Callable[[str], str] = bilingual) -> dict[str, Grain]:
    """Minutes, slots, SKUs, findings and markers, each row with its offset into the recording.

    ``label`` writes the kinds of findings and markers: in both languages by default (the
    workbook), or one (the dashboard).
    """
    start = review.recording_start
    minutes = [{**row, "seconds": offset(row["minute"], start)} for row in review.minutes]
    slots = [{**row, "video_seconds": offset(row["start"], start)} for row in review.slots]
    skus = [{**row, "video_seconds": offset(row["windows"][0]["start"], start)
             if row.get("windows") else None} for row in review.by_sku]
    findings = [{**row, "code": row["kind"],
                 "kind": label(FINDING_KINDS[row["kind"]]) if row["kind"] in FINDING_KINDS
                 else row["kind"]} for row in review.findings]
    markers = [{**row, "code": row["kind"],
                "kind": label(MARKER_KINDS[row["kind"]]) if row["kind"] in MARKER_KINDS
                else row["kind"]} for row in review.markers]
    return {"minutes": Grain("Minutes", MINUTE_COLUMNS, minutes),
            "slots": Grain("Slots", SLOT_COLUMNS, slots),
            "skus": Grain("SKUs", SKU_COLUMNS, skus),
            "findings": Grain("Findings", FINDING_COLUMNS, findings),
            "markers": Grain("Markers", MARKER_COLUMNS, markers)}


def html_table(grain: Grain, zone: ZoneInfo, language: str = i18n.DEFAULT) -> dict[str, Any]:
    """The dashboard's columns of a grain: headers, and per row its cells and video offset."""
    columns = [{"kind": c.kind, "heading": i18n.translate(language, c.label)}
               for c in grain.columns if c.html]
    shown = [c for c in grain.columns if c.html]
    rows = [{"seconds": row.get("video_seconds"),
             "cells": [{"text": cell_text(c.kind, row.get(c.key), zone, language),
                        "sort": _sort_key(c.kind, row.get(c.key), zone, language), "kind": c.kind,
                        "negative": c.kind == "money" and str(row.get(c.key)).startswith("-")}
                       for c in shown]} for row in grain.rows]
    return {"columns": columns, "rows": rows}


# ---- the summary: workbook's first sheet, the dashboard's tiles -----------------------------------

@dataclass(frozen=True, slots=True)
class Figure:
    label: str  # in the language(s) the summary was made for
    value: Any
    kind: str
    note: str = ""
    tile: bool = False


def summary(review: Review, title: str, *, language: str = i18n.DEFAULT,
            label: Callable[..., str] | None = None) -> list[Figure]:
    """Every headline figure with its unit or denominator, in reading order.

    Notes are in ``language``; labels by ``label`` (one language, or ``bilingual``).
    """
    label = label or labeller(language)
    note = labeller(language)
    totals, audience, derived = review.totals.as_dict(), review.audience, review.derived
    zone = ZoneInfo(review.timezone)

    def text(kind: str, value: Any) -> str:
        return cell_text(kind, value, zone, language)

    figures = [
        Figure(label(N_("Show")), review.show_id, "text"), Figure(label(N_("Title")), title, "text"),
        Figure(label(N_("Timezone")), review.timezone, "text"),
        Figure(label(N_("Went live")), review.recording_start, "datetime",
               note(N_("video offsets count from here"))),
        Figure(label(N_("GMV")), totals["gmv"], "money", note(N_("paid lines, refunded later or not")),
               True),
        Figure(label(N_("Refund amount")), totals["refund_amount"], "money"),
        Figure(label(N_("Net GMV")), totals["net_gmv"], "money",
               note(N_("refunds {amount}")).format(amount=text("money", totals["refund_amount"])), True),
        Figure(label(N_("Orders")), totals["orders"], "count", note(N_("distinct paid orders")), True),
        Figure(label(N_("Units")), totals["units"], "count", "", True),
        Figure(label(N_("Buyers")), totals["buyers"], "count", note(N_("distinct buyers")), True),
        Figure(label(N_("Peak online")), audience["peak_online"], "count",
               note(N_("average {n}")).format(n=text("decimal", audience["avg_online"])), True),
        Figure(label(N_("Average online")), audience["avg_online"], "decimal"),
        Figure(label(N_("Minutes with metrics")), audience["minutes_with_metrics"], "count"),
    ]
    for name, total in TOTALS.items():
        figures.append(Figure(label(total), audience[f"total_{name}"], "count"))
    figures.append(Figure(label(N_("Comments per minute")), audience["comments_per_minute"],
                          "decimal"))
    for key, (name, kind, tile, denominator) in DERIVED.items():
        figures.append(Figure(label(name), derived[key]["value"], kind, note(denominator), tile))
    for step in review.funnel:
        rate = step["rate_from_previous"]
        figures.append(Figure(label(N_("Funnel: {step}"), step=FUNNEL_STEPS.get(step["step"], step["label"])),
                              step["count"], "count", "" if rate is None else
                              note(N_("{rate} of the step before")).format(rate=_rate(rate, language))))
    return figures


def _rate(rate: Decimal, language: str) -> str:
    return format_percent(rate, "#,##0.00%", locale=i18n.babel_locale(language))


def _funnel(review: Review, language: str) -> list[dict[str, Any]]:
    top = max((step["count"] for step in review.funnel), default=0)
    locale = i18n.babel_locale(language)
    return [{**step, "label": i18n.translate(language, FUNNEL_STEPS.get(step["step"], step["label"])),
             "width": round(100 * step["count"] / top, 1) if top else 0,
             "count_text": format_decimal(step["count"], locale=locale),
             "rate": None if step["rate_from_previous"] is None
             else _rate(step["rate_from_previous"], language)} for step in review.funnel]


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


def finding_text(finding: dict[str, Any], language: str) -> tuple[str, str]:
    """A finding's title and evidence in ``language``, from its figures (``params``).

    The API's ``title`` and ``evidence`` stay as they are; a question's evidence is the viewer's
    own words, never translated.
    """
    tr = functools.partial(i18n.translate, language)
    locale = i18n.babel_locale(language)
    params = finding.get("params") or {}

    def number(value: Any) -> str:
        return format_decimal(Decimal(value), locale=locale)

    def cash(value: Any) -> str:
        return format_currency(Decimal(value), "CNY", locale=locale)

    title, evidence = finding["title"], finding["evidence"]
    match finding.get("code", finding["kind"]):
        case "viewer_drop" if params:
            title = tr(N_("{lost} viewers lost in one minute")).format(lost=number(params["lost"]))
            evidence = tr(N_("online {before} → {after}")).format(before=number(params["before"]),
                                                                after=number(params["after"]))
            if params.get("shown"):
                evidence += tr(N_(", while “{product}” was on screen")).format(product=params["shown"])
        case "low_gmv_slot" if params:
            title = tr(N_("Slot “{slot}” sold {amount} a minute")).format(slot=params["slot"],
                                                                         amount=cash(params["rate"]))
            evidence = tr(N_("GMV {amount} in {minutes} min")).format(amount=cash(params["gmv"]),
                                                                      minutes=number(params["minutes"]))
            if params.get("planned"):
                evidence += tr(N_(", target {amount}")).format(amount=cash(params["planned"]))
        case "sold_outside_window" if params:
            title = tr(N_("{sku} sold {share} outside its explanation")).format(
                sku=params["sku"], share=format_percent(Decimal(params["share"]), locale=locale))
            evidence = tr(N_("{during} during, {before} before, {after} after")).format(
                during=cash(params["during"]), before=cash(params["before"]),
                after=cash(params["after"]))
        case "promo_effect" if params:
            promotion = tr(N_("Coupon") if params["promo"] == "coupon" else N_("Flash sale"))
            title = tr(N_("{promotion} “{label}”: {before} → {during} orders a minute")).format(
                promotion=promotion, label=params["label"], before=number(params["rate_before"]),
                during=number(params["rate_during"]))
            evidence = tr(N_("{before} orders in the {minutes} min before, {during} during")).format(
                before=number(params["orders_before"]), minutes=number(params["minutes"]),
                during=number(params["orders_during"]))
            if params.get("lift") is not None:
                lift = format_percent(Decimal(params["lift"]), "+#,##0%;-#,##0%", locale=locale)
                evidence += f" ({lift})"
        case "unanswered_question":
            title = tr(N_("Unanswered question"))
    return title, evidence


def dashboard_context(review: Review, *, title: str, video: dict[str, Any],
                      language: str = i18n.DEFAULT) -> dict[str, Any]:
    """Everything the dashboard partial renders, in ``language``: tiles, funnel, findings, markers,
    tables and the charts' data."""
    zone = ZoneInfo(review.timezone)
    tables = grains(review, labeller(language))
    figures = summary(review, title, language=language)

    def moment(row: dict[str, Any]) -> dict[str, Any]:
        local = wall_clock(row["at"], zone)
        return {**row, "clock": f"{local:%H:%M:%S}", "when": moment_text(local, language)}

    def finding(row: dict[str, Any]) -> dict[str, Any]:
        title, evidence = finding_text(row, language)
        return {**moment(row), "title": title, "evidence": evidence}

    went_live = wall_clock(review.recording_start, zone)
    return {
        "show_id": review.show_id, "title": title, "timezone": review.timezone, "video": video,
        "lang": language, "went_live": went_live,
        "went_live_text": moment_text(went_live, language) if went_live else None,
        "tiles": [{"label": f.label, "text": cell_text(f.kind, f.value, zone, language), "note": f.note}
                  for f in figures if f.tile],
        "funnel": _funnel(review, language),
        "findings": [finding(f) for f in tables["findings"].rows],
        "markers": [moment(m) for m in tables["markers"].rows],
        "slots": html_table(tables["slots"], zone, language),
        "skus": html_table(tables["skus"], zone, language),
        "has_minutes": bool(review.minutes),
        "data_json": script_json(chart_data(review, title=title, video=video)),
    }


def compare_context(a: Review, b: Review, *, titles: tuple[str, str],
                    videos: tuple[dict[str, Any], dict[str, Any]],
                    language: str = i18n.DEFAULT) -> dict[str, Any]:
    """Two shows by minutes since each went live, and the compare table, in ``language``."""
    sides = [{"show": r.show_id, "title": t, "video": v, "minutes": _since_start(r)}
             for r, t, v in zip((a, b), titles, videos, strict=True)]
    zone = ZoneInfo(a.timezone)
    rows = []
    for row in compare(a, b)["rows"]:
        kind = "money" if row["metric"] in MONEY_METRICS else "decimal" \
            if isinstance(row["a"], str) or isinstance(row["b"], str) else "count"
        label = COMPARE_LABELS.get(row["metric"])
        rows.append({"metric": row["metric"],
                     "label": i18n.translate(language, label) if label else row["metric"],
                     **{side: cell_text(kind, row[side], zone, language) for side in ("a", "b")},
                     "difference": cell_text(kind, row["difference"], zone, language),
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
                  video_offset: float = 0.0, generated: datetime | None = None,
                  language: str = i18n.DEFAULT) -> str:
    """One HTML file with the charts' library, styles, script and data inline: opens from disk."""
    video = {"url": video_src, "offset": video_offset, "mode": "report"}
    context = dashboard_context(review, title=title, video=video, language=language)
    context.update(
        mode="report", generated=generated or datetime.now(ZoneInfo(review.timezone)),
        css=_asset("css/studio.css") + "\n" + _asset("css/replay.css"),
        plotly=inline_script(plotly_js()), plotly_version=plotly_version(),
        script=inline_script(_asset("js/replay.js")),
    )
    return _environment().get_template("replay/report.html").render(context)


def write_report(path: Path, review: Review, *, title: str, video_src: str | None = None,
                 video_offset: float = 0.0, language: str = i18n.DEFAULT) -> int:
    """Write the HTML report atomically; returns its size in bytes."""
    data = render_report(review, title=title, video_src=video_src, video_offset=video_offset,
                         language=language).encode("utf-8")
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


def workbook(review: Review, *, title: str, language: str = i18n.DEFAULT):
    """The review as an openpyxl Workbook: Summary, Minutes, Slots, SKUs, Findings, Markers.

    Headers are in Chinese and English ("成交金额 GMV"), the summary's notes in ``language``.
    """
    from openpyxl import Workbook

    zone = ZoneInfo(review.timezone)
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "Summary", ["项目 Item", "数值 Value", "说明 Note"], [36, 22, 48],
           [[("text", f.label), (f.kind, f.value), ("text", f.note or None)]
            for f in summary(review, title, language=language, label=bilingual)], zone)
    for grain in grains(review).values():
        _sheet(book, grain.sheet, [bilingual(c.label) for c in grain.columns],
               [WIDTHS.get(c.kind, 14) for c in grain.columns],
               [[(c.kind, row.get(c.key)) for c in grain.columns] for row in grain.rows], zone)
    return book


def write_workbook(path: Path, review: Review, *, title: str) -> list[str]:
    """Write the XLSX atomically; returns the sheet names."""
    book = workbook(review, title=title)
    write_atomic(path, book.save)
    return book.sheetnames


# ---- the show's recording, from the clips workspace ----------------------------------------------

def recording(settings, show_id: str, timezone: str, went_live: datetime | None,
              language: str = i18n.DEFAULT) -> dict[str, Any]:
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
        note = i18n.translate(language, N_("{path} is not there")) if path else i18n.translate(
            language, N_("No recording: put it at {path} (or .mkv, .mov, .flv), or choose one on the "
                         "clips page"))
        return {"path": None, "offset": 0.0,
                "note": note.format(path=path or f"STUDIO_HOME/recordings/{show_id}.mp4")}
    shift = (went_live - began).total_seconds() if began and went_live else 0.0
    return {"path": path, "offset": round(shift, 3), "note": None}
