"""The run sheet: a plan laid out in time with prices, targets and findings, as plain data.

One shape serves the printed sheet (HTML, Markdown, PDF), the host screen and the planner page.
Money is written as decimal strings and times with their offset, so JSON never holds a float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from studio.scripts.document import ROLE_LABELS, SegmentKind
from studio.scripts.pricing import PriceBreakdown
from studio.scripts.service import Analysis

KIND_LABELS = {SegmentKind.OPENING: "开场 Opening", SegmentKind.PRODUCT: "讲品 Product",
               SegmentKind.GIVEAWAY: "福袋 Giveaway", SegmentKind.INTERACTION: "互动 Interaction",
               SegmentKind.ENCORE: "返场 Encore", SegmentKind.CLOSING: "收尾 Closing"}


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _ladder(price: PriceBreakdown, label: str) -> dict[str, Any]:
    return {
        "sku": price.sku, "label": label,
        "list_price": _money(price.list_price), "daily_price": _money(price.daily_price),
        "live_price": _money(price.live_price), "start_price": _money(price.start_price),
        "transaction_price": _money(price.transaction_price),
        "final_price": _money(price.final_price),
        "steps": [{"offer": s.offer, "label": s.label, "off": _money(s.off_per_unit),
                   "shop_pays": _money(s.shop_pays)} for s in price.steps],
        "cost": _money(price.cost), "commission": _money(price.commission),
        "shop_discount": _money(price.shop_discount), "margin": _money(price.margin),
        "margin_rate": None if price.margin_rate is None else f"{price.margin_rate:.4f}",
        "total_discount": None if price.total_discount is None else
        f"{price.total_discount:.4f}",
    }


def build_runsheet(analysis: Analysis) -> dict[str, Any]:
    """Everything a person reading or running the plan needs, in slot order."""
    doc, ev = analysis.doc, analysis.evaluation
    findings_by_slot: dict[str | None, list[dict[str, Any]]] = {}
    for finding in analysis.findings:
        findings_by_slot.setdefault(finding.slot, []).append(finding.as_dict())
    slots = []
    for placed in ev.timeline:
        segment = placed.segment
        economics = ev.economics.get(segment.id)
        prices = []
        if economics:
            for code, price in economics.prices.items():
                facts = analysis.catalog.get(code)
                prices.append(_ladder(price, facts.label if facts else code))
        offers = [doc.offer(o) for o in segment.offers]
        slots.append({
            "id": segment.id, "index": placed.index, "kind": segment.kind.value,
            "kind_label": KIND_LABELS[segment.kind],
            "role": segment.role.value if segment.role else None,
            "role_label": ROLE_LABELS[segment.role] if segment.role else None,
            "title": segment.title or (prices[0]["label"] if prices else segment.id),
            "start": _time(placed.start), "end": _time(placed.end),
            "minutes": f"{segment.minutes}", "seconds": int(segment.minutes * 60),
            "anchor": segment.anchor, "locked": segment.locked,
            "late_seconds": int(placed.late.total_seconds()),
            "skus": list(segment.skus), "prices": prices,
            "offers": [{"id": o.id, "kind": o.kind, "label": o.label or o.id} for o in offers],
            "selling_points": [p.model_dump() for p in segment.selling_points],
            "talk_track": list(segment.talk_track), "stock": dict(segment.stock),
            "target_units": sum(economics.units.values()) if economics else None,
            "expected_gmv": _money(economics.gmv) if economics else None,
            "expected_margin": _money(economics.margin) if economics else None,
            "prize": segment.prize, "winners": segment.winners, "entry_rule": segment.entry_rule,
            "notes": segment.notes, "reason": segment.reason,
            "findings": findings_by_slot.get(segment.id, []),
        })
    errors = sum(1 for f in analysis.findings if f.severity == "error")
    return {
        "plan": doc.show, "show": doc.show, "title": doc.title, "timezone": doc.timezone,
        "currency": doc.currency, "start": _time(doc.local_start()),
        "planned_end": _time(ev.planned_end), "end": _time(ev.end), "minutes": doc.minutes,
        "gmv_target": _money(doc.goals.gmv_target), "expected_gmv": _money(ev.gmv),
        "expected_margin": _money(ev.margin), "slots": slots,
        "findings": [f.as_dict() for f in analysis.findings],
        "errors": errors, "warnings": sum(1 for f in analysis.findings if f.severity == "warning"),
    }
