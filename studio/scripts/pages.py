"""HTML pages of planning: the plan list, the planner (editor), the host screen, the print sheet."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from studio.deps import DbSession
from studio.scripts import render, runsheet, service
from studio.web import page_language, remember_language
from studio.web import render as render_page

router = APIRouter(include_in_schema=False)


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request, session: DbSession) -> HTMLResponse:
    """Every plan with links to the planner, host screen and printable sheet."""
    plans = service.list_plans(session=session)
    return render_page(request, "plans/list.html", {"plans": plans})


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def planner_page(request: Request, plan_id: str, session: DbSession) -> HTMLResponse:
    """The planner: reorder, retime, offers, locks, arrange — checks update as you edit."""
    plan = service.get_plan(session=session, plan_id=plan_id)
    return render_page(request, "plans/planner.html", {"plan": plan})


@router.get("/plans/{plan_id}/host", response_class=HTMLResponse)
def host_page(request: Request, plan_id: str, session: DbSession) -> HTMLResponse:
    """The host screen: current and next slot in large type, countdown, over/under."""
    plan = service.get_plan(session=session, plan_id=plan_id)
    return render_page(request, "plans/host.html", {"plan": plan})


@router.get("/plans/{plan_id}/sheet", response_class=HTMLResponse)
def sheet_page(request: Request, plan_id: str, session: DbSession) -> HTMLResponse:
    """The printable run sheet (print it from the browser, or `studio plan render`)."""
    plan = service.get_plan(session=session, plan_id=plan_id)
    sheet = runsheet.build_runsheet(service.analyse(
        session=session, doc=service.current_doc(session=session, plan=plan)))
    response = HTMLResponse(render.render_html(sheet, page_language(request)))
    remember_language(request, response)
    return response
