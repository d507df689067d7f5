"""Plan operations: create from a show and SKUs, save versions, import/export YAML, analyse."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio import signals
from studio.errors import Conflict, NotFound, ValidationFailed
from studio.scripts import arrange as arranger
from studio.scripts.catalog_view import CatalogView, load_catalog_view
from studio.scripts.checks import ERROR, Finding, run_checks
from studio.scripts.document import (
    PlanDoc,
    Role,
    Segment,
    SegmentKind,
    from_yaml,
    to_yaml,
    validate_plan,
)
from studio.scripts.evaluate import Evaluation, evaluate
from studio.scripts.models import Plan, PlanVersion
from studio.shows import service as show_service
from studio.shows.models import Show


@dataclass(slots=True)
class Analysis:
    """A plan with everything computed from it and the catalogue."""

    doc: PlanDoc
    catalog: CatalogView
    evaluation: Evaluation
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]


def analyse(*, session: Session, doc: PlanDoc) -> Analysis:
    catalog = load_catalog_view(session, {code for s in doc.segments for code in s.skus})
    evaluation = evaluate(doc, catalog)
    return Analysis(doc, catalog, evaluation, run_checks(doc, catalog, evaluation))


def get_plan(*, session: Session, plan_id: str) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id!r} (plans are named after their show; "
                       "see `studio plan list`)")
    return plan


def current_doc(*, session: Session, plan: Plan) -> PlanDoc:
    return version_doc(session=session, plan=plan, version=plan.current_version)


def version_doc(*, session: Session, plan: Plan, version: int) -> PlanDoc:
    row = session.scalars(select(PlanVersion).where(
        PlanVersion.plan_id == plan.id, PlanVersion.version == version)).one_or_none()
    if row is None:
        raise NotFound(f"plan {plan.id} has no version {version}")
    return PlanDoc.model_validate(row.document)


def list_plans(*, session: Session) -> Sequence[Plan]:
    return session.scalars(select(Plan).order_by(Plan.id)).all()


def versions(*, session: Session, plan: Plan) -> Sequence[PlanVersion]:
    return session.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id)
                           .order_by(PlanVersion.version.desc())).all()


def save(*, session: Session, plan: Plan, doc: PlanDoc, actor: str, note: str | None = None
         ) -> tuple[Plan, bool]:
    """Store ``doc`` as the plan's next version, unless it equals the current one."""
    if doc.show != plan.show_id:
        raise ValidationFailed(f"this document is for show {doc.show!r}, not {plan.show_id!r}")
    if current_doc(session=session, plan=plan) == doc:
        return plan, False
    plan.current_version += 1
    session.add(PlanVersion(plan_id=plan.id, version=plan.current_version,
                            document=doc.model_dump(mode="json"), created_by=actor, note=note))
    session.flush()
    signals.plan_saved(plan.show_id)
    return plan, True


def create(*, session: Session, doc: PlanDoc, actor: str, note: str | None = None) -> Plan:
    show = session.get(Show, doc.show)
    if show is None:
        raise NotFound(f"no show {doc.show!r}: create it first with `studio show create`")
    if session.get(Plan, show.id) is not None:
        raise Conflict(f"show {show.id} already has a plan: edit it, or import a new version")
    plan = Plan(id=show.id, show_id=show.id, current_version=1)
    session.add(plan)
    session.add(PlanVersion(plan_id=plan.id, version=1, document=doc.model_dump(mode="json"),
                            created_by=actor, note=note))
    session.flush()
    return plan


def draft_for_show(*, session: Session, show_id: str, skus: list[str]) -> PlanDoc:
    """A first plan: opening, one slot per product (SKUs grouped), closing — in the given order."""
    show = show_service.get_show(session=session, show_id=show_id)
    catalog = load_catalog_view(session, skus, with_history=False)
    unknown = [code for code in skus if catalog.get(code) is None]
    if unknown:
        raise ValidationFailed(f"not in the catalogue: {', '.join(unknown)}")
    groups: dict[str, list[str]] = {}
    for code in dict.fromkeys(skus):
        groups.setdefault(catalog.skus[code].product_code, []).append(code)
    segments = [Segment(id="opening", kind=SegmentKind.OPENING, title="开场 Opening",
                        minutes=Decimal("5"))]
    for product_code, codes in groups.items():
        facts = catalog.skus[codes[0]]
        segments.append(Segment(
            id=_slot_id(product_code, {s.id for s in segments}), kind=SegmentKind.PRODUCT,
            title=facts.title, role=facts.role or Role.PROFIT, skus=codes,
            minutes=Decimal("5"), selling_points=list(facts.selling_points)))
    segments.append(Segment(id="closing", kind=SegmentKind.CLOSING, title="收尾 Closing",
                            minutes=Decimal("5")))
    return PlanDoc(show=show.id, title=show.title, start=show_service.local_start(show),
                   minutes=show.planned_duration_minutes, timezone=show.timezone,
                   segments=segments)


def _slot_id(product_code: str, taken: set[str]) -> str:
    import re

    base = re.sub(r"[^a-z0-9_-]+", "-", product_code.lower()).strip("-")[:60] or "slot"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def new_plan(*, session: Session, show_id: str, skus: list[str], actor: str,
             arrange: bool = True) -> Plan:
    """Create a show's plan from SKUs (arranged by the rules unless told not to)."""
    doc = draft_for_show(session=session, show_id=show_id, skus=skus)
    if arrange:
        doc = arranger.arrange(doc, load_catalog_view(session, skus, with_history=False))
    return create(session=session, doc=doc, actor=actor, note="created")


def arrange_plan(*, session: Session, plan: Plan, actor: str) -> tuple[PlanDoc, bool]:
    doc = current_doc(session=session, plan=plan)
    catalog = load_catalog_view(session, {c for s in doc.segments for c in s.skus},
                                with_history=False)
    arranged = arranger.arrange(doc, catalog)
    _, changed = save(session=session, plan=plan, doc=arranged, actor=actor, note="arranged")
    return arranged, changed


def import_yaml(*, session: Session, text: str, actor: str, source: str) -> tuple[Plan, bool]:
    """A new plan, or a new version of the show's plan, from a YAML file."""
    doc = from_yaml(text, source=source)
    plan = session.get(Plan, doc.show)
    if plan is None:
        return create(session=session, doc=doc, actor=actor, note=f"imported from {source}"), True
    return save(session=session, plan=plan, doc=doc, actor=actor, note=f"imported from {source}")


def export_yaml(*, session: Session, plan: Plan) -> str:
    return to_yaml(current_doc(session=session, plan=plan))


def parse_document(data: dict) -> PlanDoc:
    return validate_plan(data, source="plan")
