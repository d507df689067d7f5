"""`studio catalog …`: import, export and list the product catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from studio.catalog import importer, service
from studio.cli_support import actor_name, console, err_console, session_factory
from studio.db import transaction

app = typer.Typer(help="Product catalogue: import, export, list.", no_args_is_help=True)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8/GBK), XLSX or JSON file")],
    skip_invalid: Annotated[bool, typer.Option(help="import the valid rows, list the rest")] = False,
    dry_run: Annotated[bool, typer.Option(help="validate and count, write nothing")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Upsert products and SKUs from FILE; any invalid row rejects the whole file by default."""
    with transaction(session_factory()) as session:
        report = importer.import_catalog_file(
            session=session, path=file, actor=actor_name(), skip_invalid=skip_invalid,
            dry_run=dry_run,
        )
    if json_output:
        console.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    if report.errors:
        err_console.print(f"[yellow]skipped {len(report.invalid_rows)} invalid row(s):[/]")
        for error in report.errors:
            err_console.print(f"  {error}", markup=False)
    verb = "would import" if dry_run else "imported"
    console.print(
        f"{verb} {report.valid_rows} of {report.rows} rows from {file.name}"
        f"{f' ({report.encoding})' if report.encoding else ''}: "
        f"{report.created_skus} SKUs created, {report.updated_skus} updated, "
        f"{report.unchanged_skus} unchanged; {report.created_products} products created, "
        f"{report.updated_products} updated; {report.price_changes} price changes recorded"
    )


@app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="target .csv, .xlsx or .json")],
) -> None:
    """Write the whole catalogue to FILE in the canonical columns (re-importable as is)."""
    with transaction(session_factory()) as session:
        count = service.export_catalog_file(session=session, path=file)
    console.print(f"exported {count} SKUs to {file}")


@app.command("list")
def list_command(
    query: Annotated[str | None, typer.Option("--search", "-s", help="SKU, title or tag")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 200,
    json_output: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List products with their SKUs and live prices."""
    with transaction(session_factory()) as session:
        products, total = service.search_products(session=session, query=query, limit=limit)
        if json_output:
            items = [service.product_out(p).model_dump(mode="json") for p in products]
            console.print_json(json.dumps({"total": total, "items": items}, ensure_ascii=False))
            return
        table = Table("product_code", "title", "SKUs", "直播价 live", "stock", "tags",
                      title=f"{total} products")
        for p in products:
            prices = sorted(s.live_price for s in p.skus)
            price = f"{prices[0]}" if len(set(prices)) == 1 else f"{prices[0]}–{prices[-1]}"
            table.add_row(escape(p.product_code), escape(p.title), str(len(p.skus)), price,
                          str(sum(s.stock for s in p.skus)),
                          escape(", ".join(t.tag for t in p.tags)))
        console.print(table)
