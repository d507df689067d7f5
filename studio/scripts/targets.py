"""GMV targets: split a show target into slot targets, and work out the viewers a target needs.

Every result carries the arithmetic as lines a planner can check by hand.

- Show GMV = unique viewers × UV value, where UV value = conversion rate × AOV 客单价
  (conversion = buyers ÷ unique viewers; AOV = GMV ÷ buyers).
- A slot's share of the show target is its weight ÷ the sum of weights, where
  weight = role weight × minutes (heroes sell most per minute, welfare least).
- A slot's target units = its target GMV ÷ its lead SKU's final price 券后价, rounded up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from studio.errors import ValidationFailed
from studio.scripts.document import Assumptions, PlanDoc, Role, SegmentKind
from studio.scripts.evaluate import Evaluation
from studio.scripts.pricing import ZERO, fen

ROLE_WEIGHTS = {Role.HERO: Decimal("3"), Role.PROFIT: Decimal("1.5"), Role.TRAFFIC: Decimal("1"),
                Role.IMAGE: Decimal("0.6"), Role.TEST: Decimal("0.5"), Role.WELFARE: Decimal("0.3")}
ENCORE_WEIGHT = Decimal("1.2")


@dataclass(slots=True)
class SlotTarget:
    slot: str
    weight: Decimal
    gmv: Decimal
    units: int
    final_price: Decimal | None


@dataclass(slots=True)
class TargetBreakdown:
    target: Decimal
    slots: list[SlotTarget] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def slot_weight(doc: PlanDoc, segment_id: str) -> Decimal:
    segment = doc.segment(segment_id)
    base = ENCORE_WEIGHT if segment.kind is SegmentKind.ENCORE else ROLE_WEIGHTS[segment.role]
    return base * segment.minutes


def decompose(evaluation: Evaluation, target: Decimal | None = None) -> TargetBreakdown:
    """Split the show's GMV target over its selling slots, with the arithmetic."""
    doc = evaluation.doc
    target = target if target is not None else doc.goals.gmv_target
    if target is None:
        raise ValidationFailed("no GMV target: set goals.gmv_target or pass --gmv")
    selling = [s for s in doc.segments if s.sells]
    if not selling:
        raise ValidationFailed("the plan has no selling slots to give targets to")
    weights = {s.id: slot_weight(doc, s.id) for s in selling}
    total = sum(weights.values(), ZERO)
    result = TargetBreakdown(target=target)
    result.lines.append(f"show target ¥{target:,.2f} over {len(selling)} selling slots; "
                        f"weight = role weight × minutes, total weight {total}")
    assigned = ZERO
    for number, segment in enumerate(selling, start=1):
        share = target - assigned if number == len(selling) else fen(target * weights[segment.id]
                                                                      / total)
        assigned += share
        lead = evaluation.economics[segment.id].lead
        price = lead.final_price if lead else None
        units = int((share / price).to_integral_value(ROUND_CEILING)) if price else 0
        result.slots.append(SlotTarget(segment.id, weights[segment.id], share, units, price))
        per_unit = f" ÷ ¥{price} = {units} units" if price else ""
        result.lines.append(f"{segment.id}: ¥{target:,.2f} × {weights[segment.id]} ÷ {total} "
                            f"= ¥{share:,.2f}{per_unit}")
    return result


def apply_targets(doc: PlanDoc, breakdown: TargetBreakdown) -> PlanDoc:
    """The plan with each selling slot's target GMV and units set from ``breakdown``."""
    by_slot = {t.slot: t for t in breakdown.slots}
    segments = [s.model_copy(update={"target_gmv": by_slot[s.id].gmv,
                                     "target_units": by_slot[s.id].units})
                if s.id in by_slot else s for s in doc.segments]
    goals = doc.goals.model_copy(update={"gmv_target": breakdown.target})
    return doc.model_copy(update={"segments": segments, "goals": goals})


def uv_value(assumptions: Assumptions) -> tuple[Decimal, str]:
    """UV value 价值, stated or derived from conversion × AOV, with how it was found."""
    if assumptions.uv_value is not None:
        return assumptions.uv_value, f"UV value ¥{assumptions.uv_value} (stated)"
    if assumptions.conversion_rate is not None and assumptions.aov is not None:
        value = assumptions.conversion_rate * assumptions.aov
        return value, (f"UV value = conversion {assumptions.conversion_rate:.2%} × AOV "
                       f"¥{assumptions.aov} = ¥{value:.4f}")
    raise ValidationFailed("state uv_value, or conversion_rate and aov, in the assumptions")


def viewers_needed(target: Decimal, assumptions: Assumptions) -> tuple[int, list[str]]:
    """Unique viewers a GMV target needs, with the arithmetic."""
    value, how = uv_value(assumptions)
    if value <= 0:
        raise ValidationFailed("UV value must be above zero")
    viewers = int((target / value).to_integral_value(ROUND_CEILING))
    return viewers, [how, f"viewers needed = ¥{target:,.2f} ÷ ¥{value:.4f} = {viewers:,}"]


def expected_gmv(assumptions: Assumptions) -> tuple[Decimal, list[str]]:
    """GMV the assumptions predict (unique viewers × UV value), with the arithmetic."""
    if assumptions.unique_viewers is None:
        raise ValidationFailed("state unique_viewers in the assumptions")
    value, how = uv_value(assumptions)
    gmv = fen(assumptions.unique_viewers * value)
    return gmv, [how, f"GMV = {assumptions.unique_viewers:,} viewers × ¥{value:.4f} "
                      f"= ¥{gmv:,.2f}"]
