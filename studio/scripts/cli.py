"""`studio plan …`: create, arrange, check, render, export and import show plans."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from studio import i18n
from studio.cli_support import actor_name, console, print_error, session_factory
from studio.db import transaction
from studio.errors import ValidationFailed
from studio.scripts import render, runsheet, service, targets
from studio.scripts.checks import ERROR

app = typer.Typer(help="Show plans (排品 run sheets): new, arrange, check, render, export, import.",
                  no_args_is_help=True)


def _decimal(text: str | None, name: str) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text.replace(",", "").lstrip("¥"))
    except InvalidOperation:
        raise ValidationFailed(f"{name} {text!r} is not a number") from None


def _timeline(sheet: dict, *, reasons: bool = False) -> Table:
    table = Table("start", "min", "segment", "role", "券后价 final", "target", "GMV",
                  *(["why"] if reasons else []), title=escape(sheet["title"]))
    for slot in sheet["slots"]:
        lead = slot["prices"][0] if slot["prices"] else None
        start = datetime.fromisoformat(slot["start"]).strftime("%H:%M")
        table.add_row(f"{start}{' ⚓' if slot['anchor'] else ''}{' 🔒' if slot['locked'] else ''}",
                      slot["minutes"], escape(f"{slot['id']}: {slot['title']}"),
                      slot["role"] or slot["kind"], lead["final_price"] if lead else "",
                      str(slot["target_units"] or ""), slot["expected_gmv"] or "",
                      *([escape(slot["reason"] or "")] if reasons else []))
    return table


@app.command("new")
def new_command(
    show: Annotated[str, typer.Option(help="the show id (see `studio show list`)")],
    skus: Annotated[str, typer.Option(help="comma-separated SKU codes")],
    arrange: Annotated[bool, typer.Option(help="order the slots by the arrange rules")] = True,
) -> None:
    """Create a show's plan from SKUs: one slot per product, roles from the catalogue tags."""
    codes = [c.strip() for c in skus.replace("，", ",").split(",") if c.strip()]
    if not codes:
        raise ValidationFailed("--skus lists no SKU codes")
    with transaction(session_factory()) as session:
        plan = service.new_plan(session=session, show_id=show, skus=codes, actor=actor_name(),
                                arrange=arrange)
        plan_id = plan.id
    console.print(plan_id)


@app.command("list")
def list_command(
    json_output: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List plans with their show and current version."""
    with transaction(session_factory()) as session:
        rows = [(p.id, p.show_id, p.current_version, p.updated_at)
                for p in service.list_plans(session=session)]
    if json_output:
        console.print_json(json.dumps([{"plan": r[0], "show": r[1], "version": r[2],
                                        "updated_at": r[3].isoformat()} for r in rows]))
        return
    table = Table("plan", "show", "version", "updated", title=f"{len(rows)} plans")
    for plan_id, show_id, version, updated in rows:
        table.add_row(plan_id, show_id, str(version), f"{updated:%Y-%m-%d %H:%M} UTC")
    console.print(table)


@app.command("show")
def show_command(
    plan_id: Annotated[str, typer.Argument(metavar="PLAN")],
    json_output: Annotated[bool, typer.Option("--json", help="the whole run sheet as JSON")]
    = False,
) -> None:
    """Print the plan as a timeline with final prices, targets and expected GMV."""
    with transaction(session_factory()) as session:
        plan = service.get_plan(session=session, plan_id=plan_id)
        analysis = service.analyse(session=session, doc=service.current_doc(session=session,
                                                                              plan=plan))
        sheet = runsheet.build_runsheet(analysis)
    if json_output:
        console.print_json(json.dumps(sheet, ensure_ascii=False))
        return
    console.print(_timeline(sheet, reasons=True))
    console.print(f"expected GMV ¥{sheet['expected_gmv']} · margin ¥{sheet['expected_margin']} · "
                  f"{sheet['errors']} error(s), {sheet['warnings']} warning(s)")


@app.command("arrange")
def arrange_command(plan_id: Annotated[str, typer.Argument(metavar="PLAN")]) -> None:
    """Re-order the unlocked slots by the plan's rules; saves a new version with the reasons."""
    with transaction(session_factory()) as session:
        plan = service.get_plan(session=session, plan_id=plan_id)
        doc, changed = service.arrange_plan(session=session, plan=plan, actor=actor_name())
        sheet = runsheet.build_runsheet(service.analyse(session=session, doc=doc))
        version = plan.current_version
    console.print(_timeline(sheet, reasons=True))
    console.print(f"saved as version {version}" if changed else "already arranged: no change")


@app.command("check")
def check_command(
    plan_id: Annotated[str, typer.Argument(metavar="PLAN")],
    json_output: Annotated[bool, typer.Option("--json", help="findings as JSON")] = False,
) -> None:
    """Check prices, compliance, stock, timing and scripts; exit 1 when there are errors."""
    with transaction(session_factory()) as session:
        plan = service.get_plan(session=session, plan_id=plan_id)
        analysis = service.analyse(session=session,
                                   doc=service.current_doc(session=session, plan=plan))
    findings = analysis.findings
    if json_output:
        console.print_json(json.dumps([f.as_dict() for f in findings], ensure_ascii=False))
    else:
        for finding in findings:
            style = {"error": "red", "warning": "yellow"}.get(finding.severity, "cyan")
            slot = f"[{finding.slot}] " if finding.slot else ""
            console.print(f"[{style}]{finding.severity}[/] {escape(slot + finding.message)}")
        errors = sum(1 for f in findings if f.severity == ERROR)
        console.print(f"{errors} error(s), {len(findings) - errors} other finding(s)"
                      if findings else "all checks passed")
    if any(f.severity == ERROR for f in findings):
        raise typer.Exit(1)


@app.command("render")
def render_command(
    plan_id: Annotated[str, typer.Argument(metavar="PLAN")],
    out: Annotated[Path, typer.Option(help="file to write")],
    fmt: Annotated[str, typer.Option("--format", help="html, md or pdf")] = "html",
    lang: Annotated[str, typer.Option("--lang", help="zh-CN or en")] = i18n.DEFAULT,
) -> None:
    """Write a printable run sheet (HTML with print CSS, Markdown, or PDF)."""
    language = i18n.match(lang)
    if language is None:
        raise ValidationFailed(f"--lang {lang!r}: use zh-CN or en")
    with transaction(session_factory()) as session:
        plan = service.get_plan(session=session, plan_id=plan_id)
        sheet = runsheet.build_runsheet(service.analyse(
            session=session, doc=service.current_doc(session=session, plan=plan)))
    render.write_runsheet(sheet, fmt.lower(), out, language)
    console.print(f"wrote {out}")


@app.command("export")
def export_command(
    plan_id: Annotated[str, typer.Argument(metavar="PLAN")],
    file: Annotated[Path, typer.Argument(help="target .yaml file")],
) -> None:
    """Write the current version as YAML to edit and keep in git."""
    with transaction(session_factory()) as session:
        plan = service.get_plan(session=session, plan_id=plan_id)
        text = service.export_yaml(session=session, plan=plan)
    from studio.tabular import write_atomic

    write_atomic(file, lambda temp: temp.write_text(text, encoding="utf-8"))
    console.print(f"exported plan {plan_id} to {file}")


@app.command("import")
def import_command(file: Annotated[Path, typer.Argument(help="a plan .yaml file")]) -> None:
    """Create the show's plan from YAML, or save it as the plan's next version."""
    if not file.is_file():
        raise ValidationFailed(f"{file}: no such file")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(f"{file.name}: not UTF-8 text") from None
    with transaction(session_factory()) as session:
        plan, changed = service.import_yaml(session=session, text=text, actor=actor_name(),
                                            source=file.name)
        plan_id, version = plan.id, plan.current_version
    console.print(f"plan {plan_id} version {version}" + ("" if changed else " (unchanged)"))


@app.command("targets")
def targets_command(
    plan_id: Annotated[str, typer.Argument(metavar="PLAN")],
    gmv: Annotated[str | None, typer.Option(help="show GMV target (default: the plan's)")] = None,
    apply: Annotated[bool, typer.Option(help="write the slot targets into the plan")] = False,
) -> None:
    """Split the GMV target over the slots and show the viewers it needs, with the arithmetic."""
    with transaction(session_factory()) as session:
        plan = service.get_plan(session=session, plan_id=plan_id)
        doc = service.current_doc(session=session, plan=plan)
        analysis = service.analyse(session=session, doc=doc)
        breakdown = targets.decompose(analysis.evaluation, _decimal(gmv, "--gmv"))
        for line in breakdown.lines:
            console.print(escape(line))
        try:
            _, lines = targets.viewers_needed(breakdown.target, doc.assumptions)
            for line in lines:
                console.print(escape(line))
        except ValidationFailed as exc:
            print_error(f"viewers needed: {exc.message}")
        if apply:
            _, changed = service.save(session=session, plan=plan,
                                      doc=targets.apply_targets(doc, breakdown),
                                      actor=actor_name(), note="targets")
            console.print(f"saved as version {plan.current_version}" if changed else "no change")
