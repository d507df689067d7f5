"""Commands: validated against the live state, they become events — or a rejection with a reason.

``decide(state, name, args, role, now, cards)`` is pure: it reads the state and returns the events
to append, in order. The hub writes them (committed before the ack), then applies them.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from studio.decimals import Money, Percent
from studio.live_console.feed import validate_patterns
from studio.live_console.state import LiveState
from studio.shows.models import ALLOWED_TRANSITIONS, ShowStatus

ROLES = ("operator", "host", "overlay", "ingest")
Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
Event = tuple[str, dict[str, Any]]


def N_(message: str) -> str:
    """Marks a message for the catalogues (babel.cfg's keyword N_); the screens translate it."""
    return message


class Rejected(Exception):
    """A command that cannot be carried out; ``code`` is stable, ``reason`` is for people.

    ``message`` is the reason's English template and ``params`` what fills it: a screen shows
    ``message`` in its own language when its catalogue has it, else ``reason``.
    """

    def __init__(self, code: str, message: str, **params: object) -> None:
        self.params = {name: str(value) for name, value in params.items()}
        reason = message.format(**self.params) if params else message
        super().__init__(reason)
        self.code, self.reason, self.message = code, reason, message


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoArgs(_Args):
    pass


class StatusArgs(_Args):
    status: Literal["rehearsal", "live", "paused", "ended"]


class TakeCardArgs(_Args):
    sku: str | None = Field(None, max_length=64)
    slot: str | None = Field(None, max_length=64)

    @model_validator(mode="after")
    def _one(self) -> TakeCardArgs:
        if not self.sku and not self.slot:
            raise ValueError("give sku or slot")
        return self


class SkusArgs(_Args):
    skus: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1, max_length=200)


class PinArgs(_Args):
    sku: str | None = Field(None, max_length=64)


class CouponArgs(_Args):
    id: Id | None = None
    label: str | None = Field(None, max_length=60)
    amount: Money | None = None
    percent_off: Percent | None = None
    min_spend: Money | None = None
    quantity: int = Field(gt=0, le=1_000_000)
    duration_seconds: int | None = Field(None, gt=0, le=24 * 3600)
    ends_at: datetime | None = None

    @model_validator(mode="after")
    def _shape(self) -> CouponArgs:
        if (self.amount is None) == (self.percent_off is None):
            raise ValueError("a coupon has either amount or percent_off")
        if self.ends_at is not None and self.ends_at.tzinfo is None:
            raise ValueError("ends_at needs a UTC offset")
        return self


class IdArgs(_Args):
    id: Id


class FlashSaleArgs(_Args):
    id: Id | None = None
    sku: str = Field(max_length=64)
    price: Money
    quantity: int = Field(gt=0, le=1_000_000)
    per_buyer_limit: int = Field(1, gt=0, le=100)
    countdown_seconds: int = Field(0, ge=0, le=3600)
    duration_seconds: int | None = Field(None, gt=0, le=24 * 3600)


class GiveawayArgs(_Args):
    """A lucky bag 福袋: entrants are distinct viewers commenting ``keyword`` while it is open."""

    id: Id | None = None
    prize: str = Field(min_length=1, max_length=100)
    keyword: str = Field("", max_length=30)
    entry_rule: str | None = Field(None, max_length=200)
    winners: int = Field(1, gt=0, le=1000)
    draw_in_seconds: int | None = Field(None, gt=0, le=24 * 3600)
    draw_at: datetime | None = None


class GotoArgs(_Args):
    slot: str | None = Field(None, max_length=64)
    take_card: bool = True


class MoveArgs(_Args):
    take_card: bool = True


class CommentArgs(_Args):
    id: str = Field(max_length=200)


class FeatureArgs(_Args):
    id: str | None = Field(None, max_length=200)


class MuteArgs(_Args):
    platform: str = Field(max_length=30)
    user_id: str = Field(min_length=1, max_length=120)


class BlockArgs(_Args):
    words: list[Annotated[str, Field(max_length=50)]] = Field(default_factory=list,
                                                              max_length=500)
    patterns: list[str] = Field(default_factory=list, max_length=100)


@dataclass(frozen=True, slots=True)
class Spec:
    args: type[_Args]
    roles: frozenset[str]
    handler: Callable[..., list[Event]]


def _ensure_open(state: LiveState) -> None:
    if state.status in ("ended", "cancelled"):
        raise Rejected("show_ended", N_("the show is {status}; it takes no more commands"),
                       status=state.status)


def _card(cards: Callable[[str], dict[str, Any] | None], sku: str, slot: str | None
          ) -> dict[str, Any]:
    card = cards(sku)
    if card is None:
        raise Rejected("unknown_sku", N_("SKU {sku} is not in the catalogue"), sku=sku)
    return {**card, "slot": slot}


def status_set(state: LiveState, args: StatusArgs, now: datetime, cards) -> list[Event]:
    current, wanted = ShowStatus(state.status), ShowStatus(args.status)
    if current == wanted:
        raise Rejected("no_change", N_("the show is already {status}"), status=wanted.value)
    if wanted not in ALLOWED_TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[current])) or "none"
        raise Rejected("illegal_transition",
                       N_("a {current} show cannot become {wanted} (allowed: {allowed})"),
                       current=current.value, wanted=wanted.value, allowed=allowed)
    events: list[Event] = [("status.changed", {"status": wanted.value})]
    if wanted is ShowStatus.ENDED:
        events += _end_everything(state, "show ended")
    return events


def _end_everything(state: LiveState, reason: str) -> list[Event]:
    events: list[Event] = []
    for coupon in state.coupons.values():
        if coupon["status"] == "active":
            events.append(("coupon.ended", {"id": coupon["id"], "reason": reason}))
    if state.flash_sale and state.flash_sale["status"] == "active":
        events.append(("flash_sale.ended", {"reason": reason}))
    if state.runsheet.get("slot"):
        events.append(("runsheet.moved", {"index": None, "slot": None}))
    return events


def card_take(state: LiveState, args: TakeCardArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    slot = None
    sku = args.sku
    if args.slot:
        slot = next((s for s in state.slots if s["id"] == args.slot), None)
        if slot is None:
            raise Rejected("unknown_slot", N_("no slot {slot} in the plan"), slot=args.slot)
        if not slot.get("skus"):
            raise Rejected("no_product", N_("slot {slot} has no product to show"), slot=args.slot)
        sku = sku or slot["skus"][0]
    return [("card.taken", {"card": _card(cards, sku, slot["id"] if slot else None)})]


def card_clear(state: LiveState, args: NoArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    if state.card is None:
        raise Rejected("no_card", N_("no product card is showing"))
    return [("card.cleared", {"sku": state.card["sku"]})]


def products_list(state: LiveState, args: SkusArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    unknown = [s for s in args.skus if cards(s) is None]
    if unknown:
        raise Rejected("unknown_sku", N_("not in the catalogue: {skus}"), skus=", ".join(unknown))
    return [("products.listed", {"skus": list(dict.fromkeys(args.skus))})]


def products_delist(state: LiveState, args: SkusArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    missing = [s for s in args.skus if s not in state.listed]
    if missing:
        raise Rejected("not_listed", N_("not listed: {skus}"), skus=", ".join(missing))
    return [("products.delisted", {"skus": list(dict.fromkeys(args.skus))})]


def product_pin(state: LiveState, args: PinArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    if args.sku is not None and args.sku not in state.listed:
        raise Rejected("not_listed", N_("list {sku} (上架) before pinning it"), sku=args.sku)
    return [("product.pinned", {"sku": args.sku})]


def _new_id(prefix: str, taken: dict[str, Any], wanted: str | None) -> str:
    if wanted:
        if wanted in taken:
            raise Rejected("duplicate_id", N_("{kind} {id} already exists"), kind=prefix, id=wanted)
        return wanted
    return f"{prefix}-{len(taken) + 1}"


def _deadline(at: datetime | None, seconds: int | None, now: datetime, what: str
              ) -> datetime | None:
    """An absolute UTC deadline from a given time or a delay; refused when already past."""
    moment = at.astimezone(UTC) if at else (now + timedelta(seconds=seconds) if seconds else None)
    if moment is not None and moment <= now:
        raise Rejected("in_the_past", N_("{what} has already passed"), what=what)
    return moment


def coupon_launch(state: LiveState, args: CouponArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    coupon_id = _new_id("coupon", state.coupons, args.id)
    ends = _deadline(args.ends_at, args.duration_seconds, now, "the coupon's end time")
    label = args.label or coupon_label(args.amount, args.percent_off, args.min_spend)
    coupon = {"id": coupon_id, "label": label,
              "amount": None if args.amount is None else f"{args.amount:.2f}",
              "percent_off": None if args.percent_off is None else f"{args.percent_off}",
              "min_spend": None if args.min_spend is None else f"{args.min_spend:.2f}",
              "quantity": args.quantity,
              "ends_at": None if ends is None else ends.isoformat(timespec="milliseconds")}
    return [("coupon.launched", {"coupon": coupon})]


def coupon_label(amount: Decimal | None, percent_off: Decimal | None,
                 min_spend: Decimal | None) -> str:
    """The label viewers know: 满199减20, 立减20元, 8.5折."""
    if amount is not None:
        whole = f"{amount.normalize():f}"
        return f"满{min_spend.normalize():f}减{whole}" if min_spend else f"立减{whole}元"
    rate = ((100 - percent_off) / 10).normalize()
    prefix = f"满{min_spend.normalize():f}享" if min_spend else ""
    return f"{prefix}{rate:f}折"


def coupon_cancel(state: LiveState, args: IdArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    if state.open_coupon(args.id) is None:
        raise Rejected("not_active", N_("coupon {id} is not active"), id=args.id)
    return [("coupon.ended", {"id": args.id, "reason": "cancelled", "status": "cancelled"})]


def flash_sale_start(state: LiveState, args: FlashSaleArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    if state.flash_sale and state.flash_sale["status"] == "active":
        raise Rejected("sale_running", N_("flash sale {id} is still running"),
                       id=state.flash_sale["id"])
    card = cards(args.sku)
    if card is None:
        raise Rejected("unknown_sku", N_("SKU {sku} is not in the catalogue"), sku=args.sku)
    floor = card.get("floor_price")
    if floor is not None and args.price < Decimal(floor):
        raise Rejected("below_floor", N_("¥{price} is below {sku}'s floor price ¥{floor}"),
                       price=args.price, sku=args.sku, floor=floor)
    starts = now + timedelta(seconds=args.countdown_seconds)
    ends = starts + timedelta(seconds=args.duration_seconds) if args.duration_seconds else None
    sale = {"id": args.id or f"sale-{args.sku}-{now:%H%M%S}",
            "sku": args.sku, "title": card.get("title"), "price": f"{args.price:.2f}",
            "quantity": args.quantity, "per_buyer_limit": args.per_buyer_limit,
            "starts_at": starts.isoformat(timespec="milliseconds"),
            "ends_at": None if ends is None else ends.isoformat(timespec="milliseconds")}
    return [("flash_sale.started", {"sale": sale})]


def flash_sale_end(state: LiveState, args: NoArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    if not state.flash_sale or state.flash_sale["status"] != "active":
        raise Rejected("not_active", N_("no flash sale is running"))
    return [("flash_sale.ended", {"reason": "ended by operator"})]


def giveaway_start(state: LiveState, args: GiveawayArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    giveaway_id = _new_id("giveaway", state.giveaways, args.id)
    draw_at = _deadline(args.draw_at, args.draw_in_seconds, now, "the draw time")
    giveaway = {"id": giveaway_id, "prize": args.prize, "keyword": args.keyword,
                "entry_rule": args.entry_rule or (f"comment “{args.keyword}”" if args.keyword
                                                  else "comment anything"),
                "winners_count": args.winners,
                "draw_at": None if draw_at is None else draw_at.isoformat(timespec="milliseconds")}
    return [("giveaway.started", {"giveaway": giveaway})]


def giveaway_draw(state: LiveState, args: IdArgs, now: datetime, cards) -> list[Event]:
    """Draw winners fairly: a fresh random seed, recorded with the sorted entrants it drew from,
    so anyone can repeat the draw from the log."""
    _ensure_open(state)
    giveaway = state.giveaways.get(args.id)
    if giveaway is None or giveaway["status"] != "open":
        raise Rejected("not_open", N_("giveaway {id} is not open"), id=args.id)
    return [("giveaway.drawn", draw(args.id, state.entrants[args.id], giveaway["winners_count"]))]


def draw(giveaway_id: str, entrants: set[str], count: int, seed: str | None = None
         ) -> dict[str, Any]:
    pool = sorted(entrants)
    seed = seed or secrets.token_hex(16)
    winners = random.Random(seed).sample(pool, min(count, len(pool)))
    return {"id": giveaway_id, "seed": seed, "entrants": len(pool), "winners": winners}


def giveaway_cancel(state: LiveState, args: IdArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    giveaway = state.giveaways.get(args.id)
    if giveaway is None or giveaway["status"] != "open":
        raise Rejected("not_open", N_("giveaway {id} is not open"), id=args.id)
    return [("giveaway.cancelled", {"id": args.id})]


def _move(state: LiveState, index: int, take_card: bool, cards) -> list[Event]:
    slot = state.slots[index]
    events: list[Event] = [("runsheet.moved", {"index": index, "slot": slot["id"]})]
    if take_card and slot.get("skus"):
        events.append(("card.taken", {"card": _card(cards, slot["skus"][0], slot["id"])}))
    elif take_card and state.card is not None:
        events.append(("card.cleared", {"sku": state.card["sku"]}))
    return events


def runsheet_next(state: LiveState, args: MoveArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    index = state.runsheet["index"]
    target = 0 if index is None else index + 1
    if target >= len(state.slots):
        raise Rejected("end_of_plan", N_("already at the last slot of the plan"))
    return _move(state, target, args.take_card, cards)


def runsheet_previous(state: LiveState, args: MoveArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    index = state.runsheet["index"]
    if not index:
        raise Rejected("start_of_plan", N_("already at the first slot of the plan"))
    return _move(state, index - 1, args.take_card, cards)


def runsheet_goto(state: LiveState, args: GotoArgs, now: datetime, cards) -> list[Event]:
    _ensure_open(state)
    index = next((i for i, s in enumerate(state.slots) if s["id"] == args.slot), None)
    if index is None:
        raise Rejected("unknown_slot", N_("no slot {slot} in the plan"), slot=args.slot)
    return _move(state, index, args.take_card, cards)


def comment_hide(state: LiveState, args: CommentArgs, now: datetime, cards) -> list[Event]:
    if args.id not in state.comment_index:
        raise Rejected("unknown_comment", N_("no comment {id}"), id=args.id)
    return [("comment.hidden", {"id": args.id, "reason": "hidden by operator"})]


def comment_feature(state: LiveState, args: FeatureArgs, now: datetime, cards) -> list[Event]:
    if args.id is not None:
        record = state.comment_index.get(args.id)
        if record is None:
            raise Rejected("unknown_comment", N_("no comment {id}"), id=args.id)
        if record["hidden"]:
            raise Rejected("hidden", N_("a hidden comment cannot be featured"))
    return [("comment.featured", {"id": args.id})]


def question_answered(state: LiveState, args: CommentArgs, now: datetime, cards) -> list[Event]:
    if not any(q["id"] == args.id for q in state.questions):
        raise Rejected("unknown_question", N_("no open question {id}"), id=args.id)
    return [("question.answered", {"id": args.id})]


def user_mute(state: LiveState, args: MuteArgs, now: datetime, cards) -> list[Event]:
    return [("user.muted", {"platform": args.platform, "user_id": args.user_id})]


def moderation_set(state: LiveState, args: BlockArgs, now: datetime, cards) -> list[Event]:
    try:
        validate_patterns(args.patterns)
    except ValueError as exc:
        raise Rejected("bad_pattern", str(exc)) from None  # already names the pattern
    words = sorted({w.strip() for w in args.words if w.strip()})
    return [("moderation.updated", {"words": words, "patterns": args.patterns})]


OPERATOR = frozenset({"operator"})
HOST = frozenset({"operator", "host"})
COMMANDS: dict[str, Spec] = {
    "status.set": Spec(StatusArgs, OPERATOR, status_set),
    "card.take": Spec(TakeCardArgs, OPERATOR, card_take),
    "card.clear": Spec(NoArgs, OPERATOR, card_clear),
    "products.list": Spec(SkusArgs, OPERATOR, products_list),
    "products.delist": Spec(SkusArgs, OPERATOR, products_delist),
    "product.pin": Spec(PinArgs, OPERATOR, product_pin),
    "coupon.launch": Spec(CouponArgs, OPERATOR, coupon_launch),
    "coupon.cancel": Spec(IdArgs, OPERATOR, coupon_cancel),
    "flash_sale.start": Spec(FlashSaleArgs, OPERATOR, flash_sale_start),
    "flash_sale.end": Spec(NoArgs, OPERATOR, flash_sale_end),
    "giveaway.start": Spec(GiveawayArgs, OPERATOR, giveaway_start),
    "giveaway.draw": Spec(IdArgs, OPERATOR, giveaway_draw),
    "giveaway.cancel": Spec(IdArgs, OPERATOR, giveaway_cancel),
    "runsheet.next": Spec(MoveArgs, HOST, runsheet_next),
    "runsheet.previous": Spec(MoveArgs, HOST, runsheet_previous),
    "runsheet.goto": Spec(GotoArgs, OPERATOR, runsheet_goto),
    "comment.hide": Spec(CommentArgs, OPERATOR, comment_hide),
    "comment.feature": Spec(FeatureArgs, OPERATOR, comment_feature),
    "question.answered": Spec(CommentArgs, HOST, question_answered),
    "user.mute": Spec(MuteArgs, OPERATOR, user_mute),
    "moderation.set": Spec(BlockArgs, OPERATOR, moderation_set),
}


def decide(state: LiveState, name: str, args: dict[str, Any], role: str, now: datetime,
           cards: Callable[[str], dict[str, Any] | None]) -> list[Event]:
    """The events a command produces, or ``Rejected`` with the reason."""
    spec = COMMANDS.get(name)
    if spec is None:
        raise Rejected("unknown_command", N_("unknown command {name}"), name=repr(name))
    if role not in spec.roles:
        raise Rejected("forbidden", N_("the {role} role cannot send {name}"), role=role, name=name)
    try:
        parsed = spec.args.model_validate(args or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or name
        raise Rejected("invalid", N_("{where}: {problem}"), where=where,
                       problem=str(first["msg"]).removeprefix("Value error, ")) from None
    return spec.handler(state, parsed, now, cards)


def due_events(state: LiveState, now: datetime) -> list[Event]:
    """What the server itself must do by ``now``: end coupons and sales, draw giveaways."""
    events: list[Event] = []
    stamp = now.isoformat(timespec="milliseconds")
    for coupon in state.coupons.values():
        if coupon["status"] != "active":
            continue
        if coupon["remaining"] <= 0:
            events.append(("coupon.ended", {"id": coupon["id"], "reason": "sold out"}))
        elif coupon.get("ends_at") and coupon["ends_at"] <= stamp:
            events.append(("coupon.ended", {"id": coupon["id"], "reason": "time"}))
    sale = state.flash_sale
    if sale and sale["status"] == "active":
        if sale["remaining"] <= 0:
            events.append(("flash_sale.ended", {"reason": "sold out"}))
        elif sale.get("ends_at") and sale["ends_at"] <= stamp:
            events.append(("flash_sale.ended", {"reason": "time"}))
    for giveaway in state.giveaways.values():
        if giveaway["status"] == "open" and giveaway.get("draw_at") and giveaway["draw_at"] <= stamp:
            events.append(("giveaway.drawn", draw(giveaway["id"], state.entrants[giveaway["id"]],
                                                  giveaway["winners_count"])))
    return events


def next_deadline(state: LiveState) -> str | None:
    """The earliest time at which ``due_events`` will have something to do."""
    times = [c["ends_at"] for c in state.coupons.values() if c["status"] == "active"
             and c.get("ends_at")]
    sale = state.flash_sale
    if sale and sale["status"] == "active" and sale.get("ends_at"):
        times.append(sale["ends_at"])
    times += [g["draw_at"] for g in state.giveaways.values() if g["status"] == "open"
              and g.get("draw_at")]
    return min(times) if times else None

