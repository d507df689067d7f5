"""JSON API of the show registry under /api/v1/shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from studio.deps import DbSession
from studio.shows import schemas, service
from studio.shows.models import Show, ShowStatus

router = APIRouter(prefix="/shows", tags=["shows"])


def _show(show_id: str, session: DbSession) -> Show:
    return service.get_show(session=session, show_id=show_id)


CurrentShow = Annotated[Show, Depends(_show)]


@router.get("", response_model=schemas.ShowPage)
def list_shows(
    session: DbSession,
    status: ShowStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    rehearsal: Annotated[bool | None, Query(
        description="true: only rehearsal copies 彩排; false: leave them out; unset: both, "
                    "each marked with rehearsal_of")] = None,
) -> schemas.ShowPage:
    """Shows, newest scheduled first."""
    items, total = service.list_shows(session=session, status=status, limit=limit, offset=offset,
                                      rehearsals=rehearsal)
    return schemas.ShowPage(items=[service.show_out(s) for s in items], total=total,
                            limit=limit, offset=offset)


@router.post("", response_model=schemas.ShowOut, status_code=201)
def create_show(show_in: schemas.ShowCreate, session: DbSession,
                response: Response) -> schemas.ShowOut:
    """Register a show; a naive start time is read in the show's timezone."""
    show = service.create_show(session=session, show_in=show_in)
    response.headers["Location"] = f"/api/v1/shows/{show.id}"
    return service.show_out(show)


@router.get("/{show_id}", response_model=schemas.ShowOut)
def read_show(show: CurrentShow) -> schemas.ShowOut:
    """One show."""
    return service.show_out(show)


@router.patch("/{show_id}", response_model=schemas.ShowOut)
def update_show(show_in: schemas.ShowUpdate, show: CurrentShow,
                session: DbSession) -> schemas.ShowOut:
    """Change a show; status changes follow the allowed transitions."""
    return service.show_out(service.update_show(session=session, show=show, show_in=show_in))


@router.delete("/{show_id}", status_code=204)
def delete_show(show: CurrentShow, session: DbSession) -> Response:
    """Remove a show from the registry."""
    service.delete_show(session=session, show=show)
    return Response(status_code=204)
