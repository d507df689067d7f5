"""Two reviews side by side (a show and its rehearsal, or this week and last)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from studio.replay.metrics import Review


def _figures(review: Review) -> dict[str, Any]:
    totals = review.totals.as_dict()
    return {
        "gmv": totals["gmv"], "refund_amount": totals["refund_amount"],
        "net_gmv": totals["net_gmv"], "orders": totals["orders"], "units": totals["units"],
        "buyers": totals["buyers"], "peak_online": review.audience["peak_online"],
        "avg_online": review.audience["avg_online"],
        "aov_per_buyer": review.derived["aov_per_buyer"]["value"],
        "gpm": review.derived["gpm"]["value"], "uv_value": review.derived["uv_value"]["value"],
        "comments_per_minute": review.audience["comments_per_minute"],
    }


def compare(a: Review, b: Review) -> dict[str, Any]:
    first, second = _figures(a), _figures(b)
    rows = []
    for metric in first:
        x, y = first[metric], second[metric]
        difference = (y - x) if isinstance(x, int | Decimal) and isinstance(y, int | Decimal) \
            else None
        rows.append({"metric": metric, "a": _text(x), "b": _text(y), "difference": _text(difference)})
    return {"a": a.show_id, "b": b.show_id, "rows": rows,
            # a rehearsal 彩排 compared with its show: say which side's sales were simulated
            "rehearsal_of": {"a": a.rehearsal_of, "b": b.rehearsal_of}}


def _text(value: Any) -> Any:
    return f"{value}" if isinstance(value, Decimal) else value
