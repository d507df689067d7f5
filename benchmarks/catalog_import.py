"""Benchmark: import a 100,000-row catalogue CSV, against bare baselines measured in the same run.

    python benchmarks/catalog_import.py [--rows 100000] [--database-url URL] [--record]

Studio's import validates every cell, upserts products, SKUs, selling points and tags, and writes
the first price history (5 rows per SKU), all in one transaction. The baselines show what the
same bytes cost with no validation and no model:

- ``csv+sqlite3``: stdlib csv reader and one ``executemany`` into a flat 16-column table;
- ``validate only``: Studio's own parse-and-validate stage, without writing.

``--record`` rewrites this benchmark's section of docs/benchmarks.md with the figures and date.
"""

from __future__ import annotations

import argparse
import csv
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._record import record  # noqa: E402
from studio import schema  # noqa: E402
from studio.catalog.columns import CANONICAL_COLUMNS  # noqa: E402
from studio.catalog.importer import ImportReport, import_catalog_file, validate_table  # noqa: E402
from studio.db import make_engine, make_session_factory, transaction  # noqa: E402
from studio.tabular import read_table  # noqa: E402

SIZES = ("S", "M", "L", "XL")


def write_catalogue(path: Path, rows: int) -> None:
    """A realistic file: 4 sizes per product, Chinese titles, 3 selling points, 2 tags."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CANONICAL_COLUMNS)
        for i in range(rows):
            product = i // 4
            writer.writerow([
                f"SKU-{i:07d}", f"SPU-{product:06d}", f"冬季保暖卫衣 Winter hoodie {product}",
                "北屿 Beiyu", "服饰 Apparel", f"颜色=黑;尺码={SIZES[i % 4]}", "299.00", "259.00",
                f"{199 + i % 50}.90", "189.00", "80.00", "0.2", str(100 + i % 900),
                "F:加绒加厚|A:不起球|B:零下10度也暖和", "服饰,主推款", f"images/{product}.jpg",
            ])


def time_studio(path: Path, url: str) -> tuple[float, ImportReport]:
    engine = make_engine(url)
    schema.recreate(engine)
    factory = make_session_factory(engine)
    start = time.perf_counter()
    with transaction(factory) as session:
        report = import_catalog_file(session=session, path=path, actor="benchmark")
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed, report


def time_validate_only(path: Path) -> float:
    start = time.perf_counter()
    table = read_table(path)
    report = ImportReport(source=path.name)
    validate_table(table, report, source=path.name)
    assert not report.errors
    return time.perf_counter() - start


def time_bare_sqlite(path: Path, folder: Path) -> float:
    start = time.perf_counter()
    connection = sqlite3.connect(folder / "bare.db")
    columns = ", ".join(f'"{c}" TEXT' for c in CANONICAL_COLUMNS)
    connection.execute(f"CREATE TABLE rows ({columns})")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        marks = ", ".join("?" * len(CANONICAL_COLUMNS))
        connection.executemany(f"INSERT INTO rows VALUES ({marks})", reader)
    connection.commit()
    connection.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None,
                        help="default: a fresh SQLite file (the embedded default)")
    parser.add_argument("--record", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "catalog.csv"
        write_catalogue(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        url = args.database_url or f"sqlite:///{folder / 'studio.db'}"
        backend = url.split(":", 1)[0].split("+")[0]
        bare = time_bare_sqlite(path, folder)
        validate = time_validate_only(path)
        studio, report = time_studio(path, url)

    assert report.created_skus == args.rows, report
    rows = [
        ("csv+sqlite3 executemany, flat table (baseline)", bare, "no validation, 1 table"),
        ("Studio parse + validate only", validate, "every cell checked"),
        (f"Studio `catalog import` ({backend})", studio,
         f"{report.created_products} products, {report.created_skus} SKUs, "
         f"{report.price_changes} price-history rows"),
    ]
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()} "
        f"({_cpus()} cores, Python {platform.python_version()}), {args.rows:,} rows "
        f"({size_mb:.1f} MB CSV), {backend}.",
        "",
        "| run | seconds | rows/s | × baseline | what it does |",
        "|---|---:|---:|---:|---|",
    ]
    for name, seconds, what in rows:
        lines.append(f"| {name} | {seconds:.2f} | {args.rows / seconds:,.0f} | "
                     f"{seconds / bare:.1f} | {what} |")
    if args.rows == 100_000:
        verdict = "meets" if studio < 30 else "misses"
        lines += ["", f"Target: under 30 s for 100,000 rows on a 2-core machine — {verdict} it "
                  f"({studio:.1f} s)."]
    text = "\n".join(lines)
    print(text)
    if args.record:
        record(text, f"catalog-import:{backend}")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    main()
