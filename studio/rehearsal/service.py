"""Rehearsal copies of a show: a new show, status ``rehearsal``, its plan copied, its own clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.errors import Conflict, ValidationFailed
from studio.live_console.clock import ShowClock, clock_of
from studio.scripts import service as plan_service
from studio.scripts.models import Plan
from studio.shows import service as show_service
from studio.shows.models import Show, ShowStatus

TITLE_MARK = "彩排 Rehearsal"
MAX_SPEED = 3600.0  # an hour of show a second: beyond it a slot lasts less than a frame


def copy_id_for(session: Session, show_id: str) -> str:
    """``<show>-rehearsal-<n>``, the next free n (the show id is shortened to fit 80 chars)."""
    taken = set(session.scalars(select(Show.id).where(Show.rehearsal_of == show_id)))
    pattern = re.compile(r"-rehearsal-(\d+)$")
    numbers = [int(m.group(1)) for t in taken if (m := pattern.search(t))]
    number = max(numbers, default=0) + 1
    while True:
        suffix = f"-rehearsal-{number}"
        candidate = show_id[:80 - len(suffix)].rstrip("-") + suffix
        if session.get(Show, candidate) is None:
            return candidate
        number += 1


def create_copy(*, session: Session, show_id: str, speed: float = 1.0,
                now: datetime | None = None) -> Show:
    """A rehearsal copy of ``show_id``: same zone, platform, start and length, the original's
    current plan as its first version, status ``rehearsal`` and a show clock at ``speed``.

    The clock stands at the scheduled start from ``now``; ``start_clock`` moves it to the moment
    the rehearsal really begins.
    """
    original = show_service.get_show(session=session, show_id=show_id)
    if original.is_rehearsal:
        raise ValidationFailed(f"{show_id} is itself a rehearsal of {original.rehearsal_of}: "
                               f"rehearse {original.rehearsal_of} instead")
    check_speed(speed)
    plan = session.get(Plan, original.id)
    if plan is None:
        raise ValidationFailed(f"show {show_id} has no plan to rehearse: make one first "
                               f"(`studio plan new {show_id} SKU…`)")
    doc = plan_service.current_doc(session=session, plan=plan)
    copy_id = copy_id_for(session, original.id)
    title = f"{TITLE_MARK} · {original.title}"[:300]
    copy = Show(id=copy_id, title=title, platform=original.platform, timezone=original.timezone,
                scheduled_start=original.scheduled_start,
                planned_duration_minutes=original.planned_duration_minutes,
                status=ShowStatus.REHEARSAL, rehearsal_of=original.id, clock_speed=float(speed),
                clock_wall_start=(now or datetime.now(UTC)),
                clock_show_start=original.scheduled_start)
    session.add(copy)
    session.flush()
    plan_service.create(session=session, doc=doc.model_copy(update={"show": copy_id,
                                                                    "title": title}),
                        actor="rehearsal",
                        note=f"copied from {original.id} version {plan.current_version}")
    return copy


def check_speed(speed: float) -> None:
    if not 0 < speed <= MAX_SPEED:
        raise ValidationFailed(f"--speed {speed:g}: give a speed above 0 and at most "
                               f"{MAX_SPEED:g} (show seconds per second)")


def start_clock(*, session: Session, show_id: str, at: datetime | None = None) -> ShowClock:
    """Stand the copy's clock at its scheduled start now: call it just before anyone connects.

    Every worker reads the clock from the show row when it first opens the show, so it must not
    move once the show is on air.
    """
    show = show_service.get_show(session=session, show_id=show_id)
    if not show.is_rehearsal or show.clock_speed is None:
        raise ValidationFailed(f"{show_id} is not a rehearsal copy with a clock")
    from studio.live_console.models import LiveEvent

    if session.scalar(select(LiveEvent.id).where(LiveEvent.show_id == show_id).limit(1)):
        raise Conflict(f"rehearsal {show_id} has already run; start a new one")
    show.clock_wall_start = at or datetime.now(UTC)
    show.clock_show_start = show.scheduled_start
    session.flush()
    clock = clock_of(show)
    assert clock is not None
    return clock
