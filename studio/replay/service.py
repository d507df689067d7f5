"""A show's whole review: metrics, slots (plan vs actual), attribution, markers and findings."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy.orm import Session

from studio.replay import metrics as m
from studio.replay.importer import epoch_minute, minute_moment
from studio.replay.metrics import Review, Window, money, ratio

MARKER_TYPES = {"card.taken": "card", "coupon.launched": "coupon", "flash_sale.started": "flash_sale",
                "giveaway.started": "giveaway", "giveaway.drawn": "giveaway",
                "status.changed": "status", "runsheet.moved": "slot"}


def events_of(session: Session, show_id: str) -> list[dict[str, Any]]:
    from studio.live_console.service import event_rows

    return [e for e in event_rows(session, show_id) if e["type"] != "comments"]


def question_events(session: Session, show_id: str) -> tuple[list[dict[str, Any]], set[str]]:
    """Questions viewers asked in the live feed, and the ids the operator marked answered."""
    from studio.live_console.service import event_rows

    questions, answered = [], set()
    for event in event_rows(session, show_id):
        if event["type"] == "comments":
            questions += [r for r in event["data"].get("items", [])
                          if r.get("question") and not r.get("hidden")]
        elif event["type"] == "question.answered":
            answered.add(event["data"].get("id"))
    return questions, answered


def build_review(session: Session, show_id: str, *, full: bool = True) -> Review:
    from studio.shows import service as show_service

    show = show_service.get_show(session=session, show_id=show_id)
    review = m.summarise(session, show_id, show.timezone)
    review.rehearsal_of = show.rehearsal_of
    if not full:
        return review
    events = events_of(session, show_id)
    went_live = next((datetime.fromisoformat(e["at"]) for e in events
                      if e["type"] == "status.changed" and e["data"].get("status") == "live"), None)
    review.recording_start = went_live or show.scheduled_start
    cards = m.card_windows(events)
    by_sku = m.sku_sales(session, show_id, buyers=True)
    attribution = m.attribution(session, show_id, cards, by_sku)
    titles = {w.sku: w.label for w in cards if w.sku}
    for row in review.by_sku:
        row["title"] = titles.get(row["sku"])
    review.by_sku = _with_attribution(review.by_sku, attribution)
    review.slots = _slots(session, show_id, events, cards)
    review.markers = _markers(events, review.recording_start)
    metrics = m.minute_metrics(session, show_id)
    review.findings = _findings(session, show_id, review, metrics, cards, events)
    return review


def _with_attribution(by_sku: list[dict[str, Any]], attribution: list[dict[str, Any]],
                      ) -> list[dict[str, Any]]:
    extra = {a["sku"]: a for a in attribution}
    rows = []
    for row in by_sku:
        found = extra.get(row["sku"], {})
        rows.append({**row, **{k: v for k, v in found.items() if k not in ("sku", "gmv")}})
    return rows


def _planned_slots(session: Session, show_id: str) -> list[dict[str, Any]]:
    from studio.scripts import service as plan_service
    from studio.scripts.models import Plan
    from studio.scripts.runsheet import build_runsheet

    plan = session.get(Plan, show_id)
    if plan is None:
        return []
    sheet = build_runsheet(plan_service.analyse(
        session=session, doc=plan_service.current_doc(session=session, plan=plan)))
    return sheet["slots"]


def _slots(session: Session, show_id: str, events: list[dict[str, Any]],
           cards: list[Window]) -> list[dict[str, Any]]:
    planned = _planned_slots(session, show_id)
    actual = m.slot_windows(events)
    metrics = m.minute_metrics(session, show_id)
    rows = []
    if planned:
        for slot in planned:
            plan_start = datetime.fromisoformat(slot["start"])
            plan_end = datetime.fromisoformat(slot["end"])
            window = actual.get(slot["id"])
            source = "event_log" if window else "plan"
            start, end = (window.start, window.end) if window else (plan_start, plan_end)
            rows.append(_slot_row(session, show_id, metrics, slot["id"], slot["title"], start, end,
                                  source, slot.get("skus", []), plan_start, plan_end,
                                  slot.get("expected_gmv")))
        return rows
    for index, window in enumerate(cards, start=1):  # no plan: each card on screen is a slot
        rows.append(_slot_row(session, show_id, metrics, f"card-{index}", window.label,
                              window.start, window.end, "event_log",
                              [window.sku] if window.sku else [], None, None, None))
    return rows


def _slot_row(session, show_id, metrics, slot_id, title, start, end, source, skus, plan_start,
              plan_end, planned_gmv) -> dict[str, Any]:
    sold = m.sales(session, show_id, start=start, end=end)
    seconds = (end - start).total_seconds()
    gmv = money(sold.gmv_fen)
    row = {"slot": slot_id, "title": title, "skus": skus, "window_source": source,
           "start": start.isoformat(), "end": end.isoformat(), "seconds": round(seconds),
           **sold.as_dict(), "gmv_per_minute": ratio(gmv * 60, Decimal(seconds)) if seconds else None,
           **m.window_audience(metrics, start, end)}
    if plan_start is not None:
        planned_seconds = (plan_end - plan_start).total_seconds()
        row.update({
            "planned_start": plan_start.isoformat(), "planned_seconds": round(planned_seconds),
            "start_delta_seconds": round((start - plan_start).total_seconds()),
            "over_under_seconds": round(seconds - planned_seconds),
            "planned_gmv": Decimal(planned_gmv) if planned_gmv else None,
        })
        if planned_gmv:
            row["gmv_vs_plan"] = gmv - Decimal(planned_gmv)
            row["target_hit"] = gmv >= Decimal(planned_gmv)
    return row


def _markers(events: list[dict[str, Any]], recording_start: datetime | None) -> list[dict[str, Any]]:
    markers = []
    for event in events:
        kind = MARKER_TYPES.get(event["type"])
        if kind is None:
            continue
        data = event["data"]
        if kind == "status" and data.get("status") not in ("live", "ended"):
            continue
        label = {
            "card": (data.get("card") or {}).get("title") or (data.get("card") or {}).get("sku"),
            "coupon": (data.get("coupon") or {}).get("label") or (data.get("coupon") or {}).get("id"),
            "flash_sale": (data.get("sale") or {}).get("label") or "flash sale",
            "giveaway": ((data.get("giveaway") or {}).get("prize") or data.get("id") or "giveaway"),
            "status": data.get("status"), "slot": data.get("slot"),
        }[kind]
        at = datetime.fromisoformat(event["at"])
        markers.append({"at": at.isoformat(), "kind": kind, "event": event["type"],
                        "label": str(label or kind), "seconds": _offset(at, recording_start)})
    return markers


def _offset(at: datetime, recording_start: datetime | None) -> float | None:
    return None if recording_start is None else round((at - recording_start).total_seconds(), 1)


def on_screen(cards: list[Window], at: datetime) -> str | None:
    for window in cards:
        if window.start <= at < window.end:
            return window.label
    return None


def _findings(session, show_id, review: Review, metrics, cards, events) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []
    start = review.recording_start

    def link(at: datetime) -> dict[str, Any]:
        return {"at": at.isoformat(), "seconds": _offset(at, start)}

    # 1. the largest drops in viewers, with what was on screen
    ordered = sorted(metrics.items())
    drops = sorted((b.online_viewers - a.online_viewers, minute_b, a.online_viewers)
                   for (_, a), (minute_b, b) in pairwise(ordered)
                   if b.online_viewers < a.online_viewers)
    for drop, minute, before in drops[:3]:
        at = minute_moment(minute)
        shown = on_screen(cards, at)
        findings.append({"kind": "viewer_drop", "severity": -drop,
                         "title": f"在线人数下降 {-drop:,} viewers lost in one minute",
                         "evidence": f"online {before:,} → {metrics[minute].online_viewers:,}"
                                     + (f" while “{shown}” was on screen" if shown else ""),
                         "params": {"lost": -drop, "before": before,
                                    "after": metrics[minute].online_viewers, "shown": shown},
                         **link(at)})
    # 2. the slots that earned least per minute
    timed = [s for s in review.slots if s["seconds"] >= 60 and s["gmv_per_minute"] is not None]
    # only slots well below the show's own pace: the weakest three of three are not "weak"
    pace = ratio(sum(s["gmv_per_minute"] for s in timed), len(timed)) if timed else None
    weak = [s for s in timed if pace and s["gmv_per_minute"] < pace * Decimal("0.75")]
    for slot in sorted(weak, key=lambda s: s["gmv_per_minute"])[:3]:
        at = datetime.fromisoformat(slot["start"])
        findings.append({"kind": "low_gmv_slot", "severity": float(-slot["gmv_per_minute"]),
                         "title": f"低效时段 slot “{slot['title']}” sold ¥{slot['gmv_per_minute']}/min",
                         "evidence": f"GMV ¥{slot['gmv']} in {slot['seconds'] // 60} min"
                                     + (f", plan ¥{slot['planned_gmv']}" if slot.get('planned_gmv')
                                        else ""),
                         "params": {"slot": slot["title"], "rate": slot["gmv_per_minute"],
                                    "gmv": slot["gmv"], "minutes": slot["seconds"] // 60,
                                    "planned": slot.get("planned_gmv") or None}, **link(at)})
    # 3. products that sold mostly outside their explanation window
    for row in review.by_sku:
        share = row.get("share_during")
        if share is not None and row.get("windows") and share < Decimal("0.5") and row["orders"]:
            at = datetime.fromisoformat(row["windows"][0]["start"])
            outside = money(int(Decimal(row["gmv"]).scaleb(2)) - int(Decimal(row["gmv_during"]).scaleb(2)))
            findings.append({"kind": "sold_outside_window", "severity": float(outside),
                             "title": f"讲解外成交 {row['sku']} sold {100 - share * 100:.0f}% "
                                      "outside its explanation",
                             "evidence": f"¥{row['gmv_during']} during, ¥{row['gmv_before']} before, "
                                         f"¥{row['gmv_after']} after",
                             "params": {"sku": row["sku"], "share": 1 - share,
                                        "during": row["gmv_during"], "before": row["gmv_before"],
                                        "after": row["gmv_after"]}, **link(at)})
    # 4. orders a minute before and during each coupon or flash sale
    for promo in m.promo_windows(events):
        if promo.kind == "giveaway" or promo.seconds < 30:
            continue
        during = m.sales(session, show_id, start=promo.start, end=promo.end)
        before_start = promo.start - timedelta(seconds=promo.seconds)
        before = m.sales(session, show_id, start=before_start, end=promo.start)
        minutes = Decimal(promo.seconds) / 60
        rate_during, rate_before = ratio(during.orders, minutes), ratio(before.orders, minutes)
        lift = ratio((rate_during or 0) - (rate_before or 0), rate_before or 0, "0.01") \
            if rate_before else None
        findings.append({"kind": "promo_effect",
                         "severity": float(abs((rate_during or 0) - (rate_before or 0))),
                         "title": f"{'优惠券 coupon' if promo.kind == 'coupon' else '秒杀 flash sale'} "
                                  f"“{promo.label}”: {rate_before or 0} → {rate_during or 0} orders/min",
                         "evidence": f"{before.orders} orders in the {promo.seconds / 60:.1f} min "
                                     f"before, {during.orders} during"
                                     + (f" ({lift * 100:+.0f}%)" if lift is not None else ""),
                         "params": {"promo": promo.kind, "label": promo.label,
                                    "rate_before": rate_before or 0, "rate_during": rate_during or 0,
                                    "orders_before": before.orders, "orders_during": during.orders,
                                    "minutes": minutes.quantize(Decimal("0.1")),
                                    "lift": lift},
                         **link(promo.start)})
    # 5. questions nobody answered
    questions, answered = question_events(session, show_id)
    open_questions = [q for q in questions if q["id"] not in answered]
    for question in open_questions[:5]:
        at = datetime.fromisoformat(question["time"])
        findings.append({"kind": "unanswered_question", "severity": 1.0,
                         "title": "未回复的问题 unanswered question",
                         "evidence": f"{question.get('nickname') or question.get('user_id')}: "
                                     f"{question['text']}", **link(at)})
    order = {"viewer_drop": 0, "low_gmv_slot": 1, "sold_outside_window": 2, "promo_effect": 3,
             "unanswered_question": 4}
    findings.sort(key=lambda f: (order[f["kind"]], -f["severity"]))
    for rank, finding in enumerate(findings, start=1):
        finding["rank"] = rank
    return findings


def summary_json(review: Review) -> dict[str, Any]:
    """The fields `studio replay summary --json` promises, money as decimal strings."""
    totals = review.totals.as_dict()
    return _plain({
        "show": review.show_id, "timezone": review.timezone, **_rehearsal(review), **totals,
        "peak_online": review.audience["peak_online"], "avg_online": review.audience["avg_online"],
        "aov_per_buyer": review.derived["aov_per_buyer"]["value"],
        "aov_per_order": review.derived["aov_per_order"]["value"],
        "gpm": review.derived["gpm"],
        "by_sku": [{"sku": r["sku"], "gmv": r["gmv"], "orders": r["orders"], "units": r["units"],
                    "refund_amount": r["refund_amount"]} for r in review.by_sku],
        "by_minute": [{"minute": r["minute"], "gmv": r["gmv"], "orders": r["orders"],
                       "units": r["units"], "online_viewers": r["online_viewers"]}
                      for r in review.minutes],
    })


def review_json(review: Review) -> dict[str, Any]:
    return _plain({
        "show": review.show_id, "timezone": review.timezone, **_rehearsal(review),
        "totals": review.totals.as_dict(),
        "audience": review.audience, "derived": review.derived, "funnel": review.funnel,
        "by_minute": review.minutes, "by_sku": review.by_sku, "slots": review.slots,
        "markers": review.markers, "findings": review.findings,
        "recording_start": review.recording_start.isoformat() if review.recording_start else None,
    })


def _rehearsal(review: Review) -> dict[str, Any]:
    """Every summary says whether its sales were real: a rehearsal's were simulated."""
    return {"rehearsal": review.rehearsal_of is not None, "rehearsal_of": review.rehearsal_of}


def _plain(value: Any) -> Any:
    """JSON-ready: Decimal as a string (never a float), recursively."""
    if isinstance(value, Decimal):
        return f"{value}"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


__all__ = ["build_review", "epoch_minute", "review_json", "summary_json"]
