"""JSON API of plans under /api/v1/plans: documents, versions, run sheets, arrange, checks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from studio.deps import Actor, DbSession
from studio.errors import Conflict, ValidationFailed
from studio.scripts import arrange as arranger
from studio.scripts import runsheet, schemas, service, targets
from studio.scripts.catalog_view import load_catalog_view
from studio.scripts.models import Plan

router = APIRouter(prefix="/plans", tags=["plans"])


def _plan(plan_id: str, session: DbSession) -> Plan:
    return service.get_plan(session=session, plan_id=plan_id)


CurrentPlan = Annotated[Plan, Depends(_plan)]


def _sheet(session, doc) -> dict[str, Any]:
    return runsheet.build_runsheet(service.analyse(session=session, doc=doc))


@router.get("", response_model=list[schemas.PlanSummary])
def list_plans(session: DbSession) -> list[schemas.PlanSummary]:
    """Every plan with its show and current version."""
    return [schemas.PlanSummary(plan=p.id, show=p.show_id, version=p.current_version)
            for p in service.list_plans(session=session)]


@router.post("", status_code=201)
def create_plan(body: schemas.PlanCreate, session: DbSession, actor: Actor,
                response: Response) -> dict[str, Any]:
    """Create a show's plan from SKUs (one slot per product), arranged by the rules."""
    plan = service.new_plan(session=session, show_id=body.show, skus=body.skus, actor=actor,
                            arrange=body.arrange)
    response.headers["Location"] = f"/api/v1/plans/{plan.id}"
    doc = service.current_doc(session=session, plan=plan)
    return {"plan": plan.id, "version": plan.current_version,
            "document": doc.model_dump(mode="json")}


@router.get("/{plan_id}")
def read_plan(plan: CurrentPlan, session: DbSession,
              version: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None) -> dict[str, Any]:
    """The plan document (current version unless ``version`` is given)."""
    doc = service.version_doc(session=session, plan=plan, version=version or plan.current_version)
    return {"plan": plan.id, "version": version or plan.current_version,
            "current_version": plan.current_version, "document": doc.model_dump(mode="json")}


@router.put("/{plan_id}")
def save_plan(body: schemas.PlanSave, plan: CurrentPlan, session: DbSession,
              actor: Actor) -> dict[str, Any]:
    """Save an edited document as the next version (no new version when nothing changed)."""
    if body.base_version is not None and body.base_version != plan.current_version:
        raise Conflict(f"plan {plan.id} was saved as version {plan.current_version} since you "
                       f"opened version {body.base_version}: reload it and apply your change again")
    doc = service.parse_document(body.document)
    _, changed = service.save(session=session, plan=plan, doc=doc, actor=actor, note=body.note)
    return {"plan": plan.id, "version": plan.current_version, "changed": changed,
            "runsheet": _sheet(session, doc)}


@router.post("/{plan_id}/preview")
def preview_plan(body: schemas.PlanPreview, plan: CurrentPlan, session: DbSession
                 ) -> dict[str, Any]:
    """Timing, prices, margins and findings of an unsaved edit (the planner page calls this)."""
    doc = service.parse_document(body.document)
    if doc.show != plan.show_id:
        raise ValidationFailed(f"this document is for show {doc.show!r}, not {plan.show_id!r}")
    return _sheet(session, doc)


@router.post("/{plan_id}/arrange")
def arrange_plan(body: schemas.PlanArrange, plan: CurrentPlan, session: DbSession,
                 actor: Actor) -> dict[str, Any]:
    """Arrange the saved plan (or the edit sent); save it as a new version when asked."""
    doc = (service.parse_document(body.document) if body.document is not None
           else service.current_doc(session=session, plan=plan))
    catalog = load_catalog_view(session, {c for s in doc.segments for c in s.skus},
                                with_history=False)
    arranged = arranger.arrange(doc, catalog)
    changed = False
    if body.save:
        _, changed = service.save(session=session, plan=plan, doc=arranged, actor=actor,
                                  note="arranged")
    return {"plan": plan.id, "version": plan.current_version, "saved": changed,
            "document": arranged.model_dump(mode="json"), "runsheet": _sheet(session, arranged)}


@router.get("/{plan_id}/runsheet")
def read_runsheet(plan: CurrentPlan, session: DbSession) -> dict[str, Any]:
    """The current version laid out in time with prices, targets and findings."""
    return _sheet(session, service.current_doc(session=session, plan=plan))


@router.get("/{plan_id}/check")
def check_plan(plan: CurrentPlan, session: DbSession) -> dict[str, Any]:
    """Findings of every check: severity, code, slot, message."""
    analysis = service.analyse(session=session, doc=service.current_doc(session=session, plan=plan))
    return {"errors": len(analysis.errors), "findings": [f.as_dict() for f in analysis.findings]}


@router.get("/{plan_id}/versions")
def list_versions(plan: CurrentPlan, session: DbSession) -> list[dict[str, Any]]:
    """Saved versions, newest first."""
    return [{"version": v.version, "created_at": v.created_at.isoformat(),
             "created_by": v.created_by, "note": v.note}
            for v in service.versions(session=session, plan=plan)]


@router.get("/{plan_id}/export.yaml", response_class=Response)
def export_plan(plan: CurrentPlan, session: DbSession) -> Response:
    """The current version as YAML."""
    return Response(service.export_yaml(session=session, plan=plan),
                    media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{plan.id}.yaml"'})


@router.post("/import", status_code=201)
async def import_plan(request: Request, session: DbSession, actor: Actor) -> dict[str, Any]:
    """Create or version a plan from a YAML body."""
    body = await request.body()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("the plan file is not UTF-8 text") from None
    plan, changed = service.import_yaml(session=session, text=text, actor=actor, source="upload")
    return {"plan": plan.id, "version": plan.current_version, "changed": changed}


@router.get("/{plan_id}/targets", response_model=schemas.TargetsOut)
def plan_targets(plan: CurrentPlan, session: DbSession,
                 gmv: Annotated[str | None, Query(description="show GMV target")] = None
                 ) -> schemas.TargetsOut:
    """The show target split over the slots, and the viewers it needs, with the arithmetic."""
    from decimal import Decimal, InvalidOperation

    doc = service.current_doc(session=session, plan=plan)
    analysis = service.analyse(session=session, doc=doc)
    try:
        target = Decimal(gmv) if gmv else None
    except InvalidOperation:
        raise ValidationFailed(f"gmv {gmv!r} is not a number") from None
    breakdown = targets.decompose(analysis.evaluation, target)
    lines = list(breakdown.lines)
    viewers = None
    try:
        viewers, more = targets.viewers_needed(breakdown.target, doc.assumptions)
        lines += more
    except ValidationFailed as exc:
        lines.append(f"viewers needed: {exc.message}")
    return schemas.TargetsOut(
        target=breakdown.target, viewers_needed=viewers, lines=lines,
        slots=[{"slot": t.slot, "weight": str(t.weight), "gmv": f"{t.gmv:.2f}", "units": t.units,
                "final_price": None if t.final_price is None else f"{t.final_price:.2f}"}
               for t in breakdown.slots])
