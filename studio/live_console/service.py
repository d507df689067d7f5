"""What the live console reads from the rest of Studio: the show, its plan's slots, product cards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.errors import NotFound
from studio.live_console.clock import clock_of
from studio.live_console.models import LiveEvent
from studio.scripts import service as plan_service
from studio.scripts.catalog_view import load_catalog_view
from studio.scripts.models import Plan
from studio.scripts.runsheet import build_runsheet
from studio.shows.models import Show
from studio.tabular import write_atomic


def load_show(session: Session, show_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The show as the console shows it, and its plan's slots (empty when it has no plan)."""
    show = session.get(Show, show_id)
    if show is None:
        raise NotFound(f"no show {show_id!r}")
    info = {"id": show.id, "title": show.title, "timezone": show.timezone,
            "platform": show.platform, "status": show.status.value,
            "scheduled_start": show.scheduled_start.isoformat()}
    if show.rehearsal_of is not None:  # only then, so a real show's state is what it always was
        info["rehearsal_of"] = show.rehearsal_of
    clock = clock_of(show)
    if clock is not None:  # the hub runs on it; clients scale their countdowns by its speed
        info["clock"] = clock.as_dict()
    plan = session.get(Plan, show_id)
    if plan is None:
        return info, []
    sheet = build_runsheet(plan_service.analyse(
        session=session, doc=plan_service.current_doc(session=session, plan=plan)))
    slots = [{"id": s["id"], "index": i, "title": s["title"], "kind": s["kind"],
              "role": s["role"], "seconds": s["seconds"], "planned_start": s["start"],
              "skus": s["skus"]} for i, s in enumerate(sheet["slots"])]
    return info, slots


def load_cards(session: Session, skus: list[str], show_id: str) -> dict[str, dict[str, Any]]:
    """Product cards 讲解卡 for ``skus``: title, image, price ladder, selling points, stock.

    The final price 券后价 is the one the plan gives that SKU (its slot's offers), or the live
    price when the SKU is not in the plan.
    """
    if not skus:
        return {}
    catalog = load_catalog_view(session, skus, with_history=False)
    plan_prices: dict[str, dict[str, Any]] = {}
    plan_points: dict[str, list[dict[str, Any]]] = {}
    plan = session.get(Plan, show_id)
    if plan is not None:
        sheet = build_runsheet(plan_service.analyse(
            session=session, doc=plan_service.current_doc(session=session, plan=plan)))
        for slot in sheet["slots"]:
            for price in slot["prices"]:
                plan_prices.setdefault(price["sku"], price)
                plan_points.setdefault(price["sku"], slot["selling_points"])
    images = {}
    if catalog.skus:
        from studio.catalog.models import Product

        codes = {f.product_code for f in catalog.skus.values()}
        images = dict(session.execute(select(Product.product_code, Product.image)
                                      .where(Product.product_code.in_(codes))).all())
    cards = {}
    for code, facts in catalog.skus.items():
        price = plan_prices.get(code, {})
        cards[code] = {
            "sku": code, "product_code": facts.product_code, "title": facts.title,
            "options": [list(o) for o in facts.options], "image": images.get(facts.product_code),
            "ladder": {
                "list_price": _money(facts.list_price), "daily_price": _money(facts.daily_price),
                "live_price": _money(facts.live_price),
                "final_price": price.get("final_price") or _money(facts.live_price)},
            "floor_price": _money(facts.floor_price),
            "selling_points": plan_points.get(code) or [p.model_dump()
                                                         for p in facts.selling_points],
            "stock_left": facts.stock,
        }
    return cards


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def event_rows(session: Session, show_id: str) -> Iterator[dict[str, Any]]:
    """The show's event log, oldest first, as plain records."""
    if session.get(Show, show_id) is None:
        raise NotFound(f"no show {show_id!r}")
    for row in session.scalars(select(LiveEvent).where(LiveEvent.show_id == show_id)
                               .order_by(LiveEvent.seq).execution_options(yield_per=1000)):
        yield {"seq": row.seq, "at": row.at.isoformat(timespec="milliseconds"),
               "type": row.type, "role": row.role, "command_id": row.command_id,
               "data": row.data}


def export_jsonl(session: Session, show_id: str, out: Path) -> int:
    """Write the log as JSON Lines atomically; returns the number of events."""
    import json

    count = 0

    def write(temp: Path) -> None:
        nonlocal count
        with temp.open("w", encoding="utf-8") as handle:
            for record in event_rows(session, show_id):
                handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
                count += 1

    write_atomic(out, write)
    return count
