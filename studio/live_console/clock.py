"""The show clock 节目时钟: what time it is *in the show*, for rehearsals run in accelerated time.

A real show runs on the wall clock. A rehearsal may run ``speed`` times faster (a 180-minute show
rehearsed at ×60 takes three minutes), yet everything it produces must look like the real show:
events, orders, minute metrics and the recording on one time axis that starts at the show's
scheduled start, so replay's slot windows line up with the plan and a rehearsal's replay compares
minute for minute with the real one.

The clock is stored on the show row (``clock_speed``, ``clock_wall_start``, ``clock_show_start``),
so every worker serving the show, and the simulator and automatic operator talking to it, compute
the same show time from it::

    show time = clock_show_start + (wall now − clock_wall_start) × clock_speed

A show without a clock runs on the wall clock; the hub then never looks at this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ShowClock:
    """Show time as a linear function of wall time: ``speed`` show seconds per wall second."""

    speed: float
    wall_start: datetime
    show_start: datetime

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError("a show clock's speed is above 0")
        if self.wall_start.tzinfo is None or self.show_start.tzinfo is None:
            raise ValueError("a show clock's anchors are timezone-aware")

    def now(self) -> datetime:
        """The current show time (UTC)."""
        return self.at(datetime.now(UTC))

    def at(self, wall: datetime) -> datetime:
        """The show time at wall time ``wall``."""
        return self.show_start + (wall - self.wall_start) * self.speed

    def wall_seconds(self, show_seconds: float) -> float:
        """How long ``show_seconds`` of show time take on the wall clock."""
        return show_seconds / self.speed

    def show_seconds(self, moment: datetime | None = None) -> float:
        """Seconds of show time since ``show_start`` (now, or at show time ``moment``)."""
        return ((moment or self.now()) - self.show_start).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        """The clock as the live state shows it to clients (they scale countdowns by ``speed``)."""
        return {"speed": self.speed, "wall_start": self.wall_start.isoformat(),
                "show_start": self.show_start.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShowClock:
        return cls(float(data["speed"]), datetime.fromisoformat(data["wall_start"]),
                   datetime.fromisoformat(data["show_start"]))

    @classmethod
    def starting(cls, speed: float, show_start: datetime, *, wall_start: datetime | None = None
                 ) -> ShowClock:
        """A clock at ``show_start`` now (or at ``wall_start``)."""
        return cls(speed, wall_start or datetime.now(UTC), show_start.astimezone(UTC))


def clock_of(show: Any) -> ShowClock | None:
    """The clock stored on a ``Show`` row, or None when the show runs on the wall clock."""
    if show.clock_speed is None or show.clock_wall_start is None or show.clock_show_start is None:
        return None
    return ShowClock(float(show.clock_speed), show.clock_wall_start, show.clock_show_start)
