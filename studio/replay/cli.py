"""`studio replay …`: import a show's platform exports, print its summary, compare two shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from studio.cli_support import console, session_factory
from studio.db import transaction
from studio.errors import ValidationFailed
from studio.replay import importer, service

app = typer.Typer(help="Review 复盘: import platform exports, metrics, findings, reports.",
                  no_args_is_help=True)

FileOption = Annotated[Path | None, typer.Option(help="CSV, XLSX or JSON")]


@app.command("import")
def import_command(
    show: Annotated[str, typer.Argument(help="show id")],
    orders: FileOption = None,
    metrics: FileOption = None,
    comments: FileOption = None,
    profile: Annotated[str, typer.Option(help="canonical, douyin, tiktok or shopify")]
    = "canonical",
    tz: Annotated[str | None, typer.Option(help="zone for times without an offset "
                                                "(default: the show's)")] = None,
    skip_invalid: Annotated[bool, typer.Option(help="import the good rows, report the bad")]
    = False,
    dry_run: Annotated[bool, typer.Option(help="check everything, write nothing")] = False,
) -> None:
    """Import order lines, minute metrics and comments; all files in one transaction."""
    from studio.shows import service as show_service

    files = [(kind, path) for kind, path in (("orders", orders), ("metrics", metrics),
                                              ("comments", comments)) if path is not None]
    if not files:
        raise ValidationFailed("give at least one of --orders, --metrics, --comments")
    with transaction(session_factory()) as session:
        found = show_service.get_show(session=session, show_id=show)
        reports = importer.import_files(session, found.id, found.timezone, files, profile=profile,
                                        tz=tz, skip_invalid=skip_invalid, dry_run=dry_run)
    for report in reports:
        console.print(report.line(), markup=False)
        for detail in report.errors[:20]:
            console.print(f"  {detail}", markup=False)


@app.command("summary")
def summary_command(
    show: Annotated[str, typer.Argument(help="show id")],
    json_output: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """GMV, refunds, orders, units, buyers, viewers, per SKU and per minute."""
    with transaction(session_factory()) as session:
        review = service.build_review(session, show, full=not json_output)
    if json_output:
        typer.echo(json.dumps(service.summary_json(review), ensure_ascii=False, indent=2))
        return
    data = service.review_json(review)
    totals = data["totals"]
    console.print(f"[bold]{escape(show)}[/]  GMV ¥{totals['gmv']}  refunds ¥{totals['refund_amount']}"
                  f"  net ¥{totals['net_gmv']}  orders {totals['orders']}  units {totals['units']}"
                  f"  buyers {totals['buyers']}")
    audience = data["audience"]
    console.print(f"peak online {audience['peak_online']}  average {audience['avg_online']}  "
                  f"AOV/buyer ¥{data['derived']['aov_per_buyer']['value']}  "
                  f"GPM ¥{data['derived']['gpm']['value']} (per 1,000 views)", markup=False)
    table = Table("slot", "window", "GMV", "¥/min", "plan", "Δ start", "Δ length", box=None)
    for slot in data["slots"]:
        table.add_row(escape(slot["title"] or slot["slot"]), slot["start"][11:16] + "–" +
                      slot["end"][11:16], slot["gmv"], str(slot["gmv_per_minute"] or "–"),
                      str(slot.get("planned_gmv") or "–"),
                      _seconds(slot.get("start_delta_seconds")),
                      _seconds(slot.get("over_under_seconds")))
    if data["slots"]:
        console.print(table)
    for finding in data["findings"][:10]:
        console.print(f"{finding['rank']:>2}. {escape(finding['title'])} — "
                      f"{escape(finding['evidence'])}")


def _seconds(value: int | None) -> str:
    if value is None:
        return "–"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{abs(value) // 60}:{abs(value) % 60:02d}"


@app.command("compare")
def compare_command(
    show_a: Annotated[str, typer.Argument(help="first show id")],
    show_b: Annotated[str, typer.Argument(help="second show id")],
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Two shows side by side: totals, audience and ratios, with the difference."""
    from studio.replay.compare import compare

    with transaction(session_factory()) as session:
        result = compare(service.build_review(session, show_a, full=False),
                         service.build_review(session, show_b, full=False))
    if json_output:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    marked = [f"{name} (彩排 rehearsal)" if result["rehearsal_of"][side] else name
              for side, name in (("a", show_a), ("b", show_b))]
    table = Table("metric", *marked, "difference", box=None)
    for row in result["rows"]:
        table.add_row(row["metric"], str(row["a"]), str(row["b"]), str(row["difference"] or "–"))
    console.print(table)


OutOption = typer.Option("--out", "-o", help="file to write (replaced atomically)")


@app.command("report")
def report_command(
    show: Annotated[str, typer.Argument(help="show id")],
    out: Annotated[Path, OutOption],
    video: Annotated[str | None, typer.Option(
        help="the recording as the report should load it, e.g. a file name next to the report; "
             "without it the report asks for the file")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh-CN or en")] = "zh-CN",
) -> None:
    """A self-contained HTML report: charts, findings, tables and data inline; opens from disk."""
    from studio import i18n
    from studio.config import get_settings
    from studio.replay import report
    from studio.shows import service as show_service

    language = i18n.match(lang)
    if language is None:
        raise ValidationFailed(f"--lang {lang!r}: use zh-CN or en")
    with transaction(session_factory()) as session:
        found = show_service.get_show(session=session, show_id=show)
        review = service.build_review(session, found.id)
        title = found.title
        shift = report.recording(get_settings(), found.id, found.timezone,
                                 review.recording_start)["offset"]
    size = report.write_report(out, review, title=title, video_src=video, video_offset=shift,
                               language=language)
    console.print(f"wrote {out} ({size / 1e6:.1f} MB): {len(review.minutes)} minutes, "
                  f"{len(review.slots)} slots, {len(review.by_sku)} SKUs, "
                  f"{len(review.findings)} findings", markup=False)


@app.command("export")
def export_command(
    show: Annotated[str, typer.Argument(help="show id")],
    out: Annotated[Path, OutOption],
) -> None:
    """An XLSX workbook with a sheet per grain: summary, minutes, slots, SKUs, findings, markers."""
    from studio.replay import report
    from studio.shows import service as show_service

    if out.suffix.lower() != ".xlsx":
        raise ValidationFailed(f"--out {out}: give a file name ending in .xlsx")
    with transaction(session_factory()) as session:
        found = show_service.get_show(session=session, show_id=show)
        review = service.build_review(session, found.id)
        title = found.title
    sheets = report.write_workbook(out, review, title=title)
    console.print(f"wrote {out}: sheets {', '.join(sheets)}", markup=False)
