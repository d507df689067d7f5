"""Request-scoped dependencies shared by every router: the database session and the actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent, rolled back on error."""
    factory = request.app.state.session_factory
    with factory() as session, session.begin():
        yield session


DbSession = Annotated[Session, Depends(get_session, scope="function")]


def get_actor(
    x_studio_actor: Annotated[
        str | None,
        Header(description="who makes the change, for the price history (percent-encode non-ASCII)"),
    ] = None,
) -> str:
    name = unquote(x_studio_actor or "").strip()
    return name[:120] if name else "api"


Actor = Annotated[str, Depends(get_actor)]
