"""Benchmark: arrange 100 SKUs into a 4-hour plan, against baselines measured in the same run.

    python benchmarks/plan_arrange.py [--skus 100] [--minutes 240] [--repeat 20] [--record]

- ``sort by role`` (baseline): the least any arranger does — one ``sorted()`` of the slots;
- ``evaluate``: pricing every slot and laying the plan out in time once (what a preview costs);
- ``arrange``: Studio's rule-based arrange (greedy timeline walk, stretch to fill, reasons);
- ``plan new`` end to end: SQLite catalogue read, draft, arrange, store the first version.

``--record`` rewrites this benchmark's section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._record import record  # noqa: E402
from studio.scripts.arrange import arrange  # noqa: E402
from studio.scripts.catalog_view import CatalogView, PricePoint, SkuFacts  # noqa: E402
from studio.scripts.document import PlanDoc, Role, Segment, SegmentKind, SellingPoint  # noqa: E402
from studio.scripts.evaluate import evaluate  # noqa: E402

ROLES = [Role.TRAFFIC, Role.HERO, Role.PROFIT, Role.WELFARE, Role.IMAGE, Role.TEST]
CATEGORIES = ["美妆 Beauty", "零食 Snacks", "服饰 Apparel", "家居 Home"]
D = Decimal


def build(skus: int, minutes: int) -> tuple[PlanDoc, CatalogView]:
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    view = CatalogView()
    segments = []
    for i in range(skus):
        code = f"B{i:03d}-1"
        live = D(59 + (i * 37) % 400)
        view.skus[code] = SkuFacts(
            sku=code, product_code=f"B{i:03d}", title=f"商品 {i}", category=CATEGORIES[i % 4],
            options=(), list_price=live + 60, daily_price=live + 30, live_price=live,
            floor_price=live - 10, cost=live / 3, commission_rate=D("0.2"), stock=1000,
            history=(PricePoint(start - timedelta(days=20), "daily_price", None, live + 60),))
        segments.append(Segment(id=f"b{i:03d}", kind=SegmentKind.PRODUCT, role=ROLES[i % 6],
                                skus=[code], minutes=D(5), target_units=50 + i,
                                selling_points=[SellingPoint(text="卖点", fabe="F")]))
    doc = PlanDoc(show="bench", title="benchmark", start="2026-12-01T20:00:00+08:00",
                  minutes=minutes, timezone="Asia/Shanghai", segments=segments,
                  goals={"viewer_peaks": ["20:30", "21:30", "22:30"]})
    return doc, view


def timed(run: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def time_plan_new(skus: int) -> float:
    """`plan new` through the service on a fresh SQLite database with the demo catalogue's shape."""
    from studio import schema
    from studio.catalog.importer import import_catalog_file
    from studio.db import make_engine, make_session_factory, transaction
    from studio.scripts import service
    from studio.shows import schemas as show_schemas
    from studio.shows import service as show_service

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "c.csv"
        lines = ["sku,title,category,live_price,cost,tags"]
        lines += [f"B{i:03d}-1,商品 {i},{CATEGORIES[i % 4]},{59 + i}.00,20.00,"
                  f"{['引流款', '主推款', '利润款', '福利款', '形象款', '新品'][i % 6]}"
                  for i in range(skus)]
        csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        engine = make_engine(f"sqlite:///{tmp}/b.db")
        schema.upgrade(engine)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            import_catalog_file(session=session, path=csv_path, actor="bench")
            show_service.create_show(session=session, show_in=show_schemas.ShowCreate(
                id="bench", title="bench", scheduled_start=datetime(2026, 12, 1, 20, 0),
                planned_duration_minutes=240))
        start = time.perf_counter()
        with transaction(factory) as session:
            service.new_plan(session=session, show_id="bench",
                             skus=[f"B{i:03d}-1" for i in range(skus)], actor="bench")
        elapsed = time.perf_counter() - start
        engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skus", type=int, default=100)
    parser.add_argument("--minutes", type=int, default=240)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    doc, view = build(args.skus, args.minutes)
    order = {role: n for n, role in enumerate(ROLES)}
    baseline = timed(lambda: sorted(doc.segments, key=lambda s: order[s.role]), args.repeat)
    evaluated = timed(lambda: evaluate(doc, view), args.repeat)
    arranged = timed(lambda: arrange(doc, view), args.repeat)
    end_to_end = time_plan_new(args.skus)
    assert arrange(doc, view) == arrange(doc, view)  # deterministic

    rows = [("sort slots by role (baseline)", baseline), ("evaluate: price + lay out once", evaluated),
            ("arrange (rules, stretch, reasons)", arranged),
            ("`plan new` end to end, SQLite", end_to_end)]
    lines = [f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, Python "
             f"{platform.python_version()}: {args.skus} SKUs (one slot each), a "
             f"{args.minutes}-minute show, 3 viewer peaks; median of {args.repeat} runs.",
             "", "| run | milliseconds | × baseline |", "|---|---:|---:|"]
    for name, seconds in rows:
        lines.append(f"| {name} | {seconds * 1000:.2f} | {seconds / baseline:,.0f} |")
    verdict = "meets" if arranged < 1 else "misses"
    lines += ["", f"Target: arranging 100 SKUs into a 4-hour plan in under 1 s — {verdict} it "
              f"({arranged * 1000:.0f} ms; {end_to_end * 1000:.0f} ms with the database)."]
    text = "\n".join(lines)
    print(text)
    if args.record:
        record(text, "plan-arrange")


if __name__ == "__main__":
    main()
