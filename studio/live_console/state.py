"""Live state: a pure reducer over the event log, and the views each role may see.

``LiveState.apply(type, data, at)`` is the only way state changes — when a command is accepted,
when the server's own timers fire, and when the log is replayed at start-up — so a restarted
server rebuilds exactly the state its clients saw. It returns the top-level keys it changed; the
hub sends those keys of the role's view with each event, so clients merge them without knowing
any business rule.
"""

from __future__ import annotations

import copy
from collections import deque
from datetime import datetime
from decimal import Decimal
from typing import Any

from studio.live_console.feed import Moderation, money

RECENT_COMMENTS = 50
RECENT_QUESTIONS = 20
PUBLIC_KEYS = ("show", "slots", "status", "card", "listed", "pinned", "coupons", "flash_sale",
               "giveaways", "runsheet", "featured", "stats", "intents", "questions")
OPERATOR_KEYS = (*PUBLIC_KEYS, "moderation")


class LiveState:
    """Everything on air for one show, rebuilt from its events."""

    def replace_slots(self, slots: list[dict[str, Any]]) -> set[str]:
        """The plan was edited mid-show: keep the pointer on the same slot id."""
        current = (self.runsheet.get("slot") or {}).get("id")
        self.slots = slots
        index = next((i for i, s in enumerate(slots) if s["id"] == current), None)
        following = slots[index + 1] if index is not None and index + 1 < len(slots) else (
            slots[0] if current is None and slots else None)
        self.runsheet.update(index=index, slot=_slot_summary(slots[index]) if index is not None
                             else None, next=_slot_summary(following) if following else None)
        return {"runsheet"}

    def __init__(self, show: dict[str, Any], slots: list[dict[str, Any]]) -> None:
        show = dict(show)
        # the registry's status seeds a show with no events yet; after that the log rules
        self.status = show.pop("status", "planned")
        self.show = show  # id, title, timezone, platform, scheduled start
        self.slots = slots  # the plan's run sheet: id, title, kind, seconds, skus
        self.card: dict[str, Any] | None = None
        self.listed: list[str] = []
        self.pinned: str | None = None
        self.coupons: dict[str, dict[str, Any]] = {}
        self.flash_sale: dict[str, Any] | None = None
        self.giveaways: dict[str, dict[str, Any]] = {}
        self.entrants: dict[str, set[str]] = {}
        self.runsheet: dict[str, Any] = {"index": None, "slot": None, "started_at": None,
                                         "next": _slot_summary(slots[0]) if slots else None,
                                         "actual": {}}
        self.featured: dict[str, Any] | None = None
        self.stats = {"comments": 0, "likes": 0, "gifts": 0, "follows": 0, "orders": 0,
                      "units": 0, "gmv": "0.00", "online": 0, "peak_online": 0, "questions": 0,
                      "hidden": 0}
        self.intents: dict[str, int] = {}
        self.questions: deque[dict[str, Any]] = deque(maxlen=RECENT_QUESTIONS)
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_COMMENTS)
        self.comment_index: dict[str, dict[str, Any]] = {}
        self.seen_ids: set[str] = set()
        self.moderation = {"words": [], "patterns": [], "muted": []}
        self.seq = 0

    # ---- views ------------------------------------------------------------------------------------

    def view(self, role: str, keys: tuple[str, ...] | set[str] | None = None) -> dict[str, Any]:
        """What ``role`` may see (only ``keys`` when given). Hidden comments are the operator's."""
        allowed = OPERATOR_KEYS if role == "operator" else PUBLIC_KEYS
        chosen = [k for k in allowed if keys is None or k in keys]
        return {k: copy.deepcopy(self._value(k)) for k in chosen}

    def snapshot(self, role: str) -> dict[str, Any]:
        view = self.view(role)
        comments = [c for c in self.recent if role == "operator" or not c["hidden"]]
        view["comments"] = copy.deepcopy(comments)
        return view

    def _value(self, key: str) -> Any:
        if key == "show":
            return self.show
        if key == "questions":
            return list(self.questions)
        if key == "moderation":
            return self.moderation
        if key == "slots":
            return [_slot_summary(s) for s in self.slots]
        return getattr(self, key)

    # ---- the reducer --------------------------------------------------------------------------

    def apply(self, event_type: str, data: dict[str, Any], at: datetime) -> set[str]:
        """Change the state by one event; return the top-level keys that changed."""
        handler = getattr(self, "_on_" + event_type.replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"unknown event type {event_type!r}")
        return handler(data, at.isoformat(timespec="milliseconds"))

    def _on_plan_updated(self, data: dict[str, Any], at: str) -> set[str]:
        """The plan was saved mid-show (the hub has loaded its slots): re-point the sheet."""
        return self.replace_slots(self.slots) | {"slots"}

    def _on_status_changed(self, data: dict[str, Any], at: str) -> set[str]:
        self.status = data["status"]
        return {"status"}

    def _on_card_taken(self, data: dict[str, Any], at: str) -> set[str]:
        self.card = {**data["card"], "taken_at": at}
        return {"card"}

    def _on_card_cleared(self, data: dict[str, Any], at: str) -> set[str]:
        self.card = None
        return {"card"}

    def _on_products_listed(self, data: dict[str, Any], at: str) -> set[str]:
        self.listed.extend(s for s in data["skus"] if s not in self.listed)
        return {"listed"}

    def _on_products_delisted(self, data: dict[str, Any], at: str) -> set[str]:
        self.listed = [s for s in self.listed if s not in data["skus"]]
        changed = {"listed"}
        if self.pinned in data["skus"]:
            self.pinned = None
            changed.add("pinned")
        return changed

    def _on_product_pinned(self, data: dict[str, Any], at: str) -> set[str]:
        self.pinned = data.get("sku")
        return {"pinned"}

    def _on_coupon_launched(self, data: dict[str, Any], at: str) -> set[str]:
        coupon = dict(data["coupon"])
        coupon.update(remaining=coupon["quantity"], status="active", launched_at=at)
        self.coupons[coupon["id"]] = coupon
        return {"coupons"}

    def _on_coupon_ended(self, data: dict[str, Any], at: str) -> set[str]:
        coupon = self.coupons[data["id"]]
        coupon.update(status=data.get("status", "ended"), ended_at=at, ended_reason=data["reason"])
        return {"coupons"}

    def _on_flash_sale_started(self, data: dict[str, Any], at: str) -> set[str]:
        sale = dict(data["sale"])
        sale.update(remaining=sale["quantity"], status="active", launched_at=at)
        self.flash_sale = sale
        return {"flash_sale"}

    def _on_flash_sale_ended(self, data: dict[str, Any], at: str) -> set[str]:
        if self.flash_sale is not None:
            self.flash_sale.update(status="ended", ended_at=at, ended_reason=data["reason"])
        return {"flash_sale"}

    def _on_giveaway_started(self, data: dict[str, Any], at: str) -> set[str]:
        giveaway = dict(data["giveaway"])
        giveaway.update(status="open", entrants=0, winners=[], started_at=at)
        self.giveaways[giveaway["id"]] = giveaway
        self.entrants[giveaway["id"]] = set()
        return {"giveaways"}

    def _on_giveaway_drawn(self, data: dict[str, Any], at: str) -> set[str]:
        giveaway = self.giveaways[data["id"]]
        giveaway.update(status="drawn", winners=data["winners"], seed=data["seed"], drawn_at=at,
                        entrants=data["entrants"])
        return {"giveaways"}

    def _on_giveaway_cancelled(self, data: dict[str, Any], at: str) -> set[str]:
        self.giveaways[data["id"]].update(status="cancelled", ended_at=at)
        return {"giveaways"}

    def _on_runsheet_moved(self, data: dict[str, Any], at: str) -> set[str]:
        previous = self.runsheet.get("slot")
        actual = self.runsheet["actual"]
        if previous:
            actual.setdefault(previous["id"], {})["ended_at"] = at
        index = data["index"]
        if data.get("slot") is not None:  # the slot id survives edits of the plan; an index not
            index = next((i for i, s in enumerate(self.slots) if s["id"] == data["slot"]), index)
        slot = self.slots[index] if index is not None and index < len(self.slots) else None
        if slot is not None:
            actual.setdefault(slot["id"], {}).setdefault("started_at", at)
        following = self.slots[index + 1] if index is not None and index + 1 < len(self.slots) \
            else None
        self.runsheet.update(index=index, slot=_slot_summary(slot) if slot else None,
                             started_at=at if slot else None,
                             next=_slot_summary(following) if following else None)
        return {"runsheet"}

    def _on_comments(self, data: dict[str, Any], at: str) -> set[str]:
        """A batch from ingest: comments, gifts, likes, follows, orders and viewer counts."""
        changed = {"stats"}
        for record in data["items"]:
            self.seen_ids.add(record["id"])
            kind = record["kind"]
            if kind == "stats":
                online = record.get("online") or 0
                self.stats["online"] = online
                self.stats["peak_online"] = max(self.stats["peak_online"], online)
                continue
            if kind == "like":
                self.stats["likes"] += max(1, record.get("quantity") or 1)
                continue
            if kind == "follow":
                self.stats["follows"] += 1
                continue
            if kind == "gift":
                self.stats["gifts"] += 1
            if kind == "order":
                changed |= self._order(record)
                continue
            self.stats["comments"] += kind == "comment"
            self.comment_index[record["id"]] = record
            self.recent.append(record)
            if record["hidden"]:
                self.stats["hidden"] += 1
                continue
            if record.get("question"):
                self.stats["questions"] += 1
                self.questions.append(record)
                changed.add("questions")
            if record.get("intent") and self.card:
                key = self.card["sku"]
                self.intents[key] = self.intents.get(key, 0) + 1
                changed.add("intents")
            changed |= self._enter_giveaways(record)
        return changed

    def _order(self, record: dict[str, Any]) -> set[str]:
        changed = {"stats"}
        quantity = record.get("quantity") or 1
        self.stats["orders"] += 1
        self.stats["units"] += quantity
        self.stats["gmv"] = f"{money(self.stats['gmv']) + money(record.get('amount')):.2f}"
        sku = record.get("sku")
        if self.card and sku == self.card["sku"] and self.card.get("stock_left") is not None:
            self.card["stock_left"] = max(0, self.card["stock_left"] - quantity)
            changed.add("card")
        sale = self.flash_sale
        if sale and sale["status"] == "active" and sku == sale["sku"]:
            sale["remaining"] = max(0, sale["remaining"] - quantity)
            changed.add("flash_sale")
        coupon = self.coupons.get(record.get("coupon") or "")
        if coupon and coupon["status"] == "active":
            coupon["remaining"] = max(0, coupon["remaining"] - 1)
            changed.add("coupons")
        return changed

    def _enter_giveaways(self, record: dict[str, Any]) -> set[str]:
        changed: set[str] = set()
        user = f"{record['platform']}:{record['user_id']}"
        for giveaway_id, giveaway in self.giveaways.items():
            if giveaway["status"] != "open" or not record["user_id"]:
                continue
            keyword = giveaway.get("keyword") or ""
            if keyword and keyword.lower() not in record["text"].lower():
                continue
            entrants = self.entrants[giveaway_id]
            if user not in entrants:
                entrants.add(user)
                giveaway["entrants"] = len(entrants)
                changed.add("giveaways")
        return changed

    def _on_comment_hidden(self, data: dict[str, Any], at: str) -> set[str]:
        record = self.comment_index.get(data["id"])
        changed: set[str] = {"stats"}
        if record is not None and not record["hidden"]:
            record["hidden"] = True
            record["hidden_reason"] = data.get("reason", "hidden by operator")
            self.stats["hidden"] += 1
            if any(q["id"] == data["id"] for q in self.questions):
                self.questions = deque((q for q in self.questions if q["id"] != data["id"]),
                                       maxlen=RECENT_QUESTIONS)
                changed.add("questions")
        if self.featured and self.featured["id"] == data["id"]:
            self.featured = None
            changed.add("featured")
        return changed

    def _on_comment_featured(self, data: dict[str, Any], at: str) -> set[str]:
        record = self.comment_index.get(data.get("id") or "")
        self.featured = None if record is None else {**record, "featured_at": at}
        return {"featured"}

    def _on_question_answered(self, data: dict[str, Any], at: str) -> set[str]:
        self.questions = deque((q for q in self.questions if q["id"] != data["id"]),
                               maxlen=RECENT_QUESTIONS)
        return {"questions"}

    def _on_user_muted(self, data: dict[str, Any], at: str) -> set[str]:
        key = f"{data['platform']}:{data['user_id']}"
        if key not in self.moderation["muted"]:
            self.moderation["muted"].append(key)
        return {"moderation"}

    def _on_moderation_updated(self, data: dict[str, Any], at: str) -> set[str]:
        self.moderation["words"] = list(data["words"])
        self.moderation["patterns"] = list(data["patterns"])
        return {"moderation"}

    # ---- questions commands ask -------------------------------------------------------------------

    def moderation_rules(self) -> Moderation:
        return Moderation(tuple(self.moderation["words"]), tuple(self.moderation["patterns"]))

    def muted(self) -> set[str]:
        return set(self.moderation["muted"])

    def open_coupon(self, coupon_id: str) -> dict[str, Any] | None:
        coupon = self.coupons.get(coupon_id)
        return coupon if coupon and coupon["status"] == "active" else None


def _slot_summary(slot: dict[str, Any] | None) -> dict[str, Any] | None:
    if slot is None:
        return None
    return {k: slot.get(k) for k in ("id", "index", "title", "kind", "role", "seconds",
                                     "planned_start", "skus")}


def total(values: list[str]) -> Decimal:
    return sum((money(v) for v in values), Decimal(0))
