"""In-process notifications between subsystems that must not import each other.

Planning must not depend on the live console, yet a plan saved in the browser mid-show should
reach the control room at once; the live console listens here. (Another process's save is
picked up by the console's periodic check.)
"""

from __future__ import annotations

from collections.abc import Callable

_plan_saved: list[Callable[[str], None]] = []


def on_plan_saved(listener: Callable[[str], None]) -> None:
    if listener not in _plan_saved:
        _plan_saved.append(listener)


def plan_saved(show_id: str) -> None:
    for listener in list(_plan_saved):
        listener(show_id)


def off_plan_saved(listener: Callable[[str], None]) -> None:
    if listener in _plan_saved:
        _plan_saved.remove(listener)
