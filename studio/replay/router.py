"""JSON API of review 复盘 under /api/v1/replay: one show's whole review, and two shows compared."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from studio.deps import DbSession
from studio.replay import service
from studio.replay.compare import compare

router = APIRouter(prefix="/replay", tags=["replay"])


@router.get("/{show_id}")
def read_review(show_id: str, session: DbSession) -> dict[str, Any]:
    """Totals, audience, ratios with their denominators, funnel, minutes, SKUs with attribution,
    slots (plan vs actual), markers and ranked findings; money as decimal strings."""
    return service.review_json(service.build_review(session, show_id))


@router.get("/{show_a}/compare/{show_b}")
def compare_reviews(show_a: str, show_b: str, session: DbSession) -> dict[str, Any]:
    """Two shows' totals, audience and ratios side by side, with the difference (b − a)."""
    return compare(service.build_review(session, show_a, full=False),
                   service.build_review(session, show_b, full=False))
