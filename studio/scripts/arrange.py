"""Auto-arrange (排品): order a plan's slots by stated rules and record why each sits where it does.

The rules (``PlanDoc.rules``, all configurable):

- fixed first: locked slots keep their planned start, anchored slots their clock time;
- open with a traffic driver 引流款 right after the opening;
- a welfare moment 福利 (a welfare product, a planned giveaway, or a generated 福袋) every
  ``welfare_every_minutes`` [earliest, latest] minutes;
- heroes 主推款 at the planned viewer peaks (``goals.viewer_peaks``), best expected GMV first;
- a profit item 利润款 straight after a hero, while attention holds;
- a traffic driver again before the gap since the last one passes ``checks.traffic_gap_minutes``;
- otherwise heroes, then profit, image, test, traffic items, never the same category back to back
  when another fits;
- slot length by role (``slot_minutes``) for every slot not locked;
- an encore 返场 of the best items (``encore_items``) before the closing.

Everything is decided by the plan and the catalogue alone, with ties broken by the plan's order,
so the same input always gives the same output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from studio.scripts.catalog_view import CatalogView
from studio.scripts.document import (
    ROLE_LABELS,
    PlanDoc,
    Role,
    Segment,
    SegmentKind,
    clock_on_show_day,
)
from studio.scripts.evaluate import layout, minutes_delta, slot_economics

AUTO_PREFIX = "auto-"
GENERAL_ORDER = (Role.HERO, Role.PROFIT, Role.IMAGE, Role.TEST, Role.TRAFFIC, Role.WELFARE)
MIN_FILLER = Decimal("1")


@dataclass(slots=True)
class _Item:
    segment: Segment
    order: int
    category: str | None
    value: Decimal  # expected GMV, to pick the best heroes and the encore

    @property
    def role(self) -> Role | None:
        return self.segment.role

    @property
    def minutes(self) -> Decimal:
        return self.segment.minutes


@dataclass(frozen=True, slots=True)
class _Last:
    """The last product placed, as the category and profit-after-hero rules see it."""

    id: str
    role: Role | None
    category: str | None


@dataclass(slots=True)
class _Fixed:
    at: datetime
    segment: Segment
    reason: str


class _Board:
    """The timeline being built, and what the rules need to know about it."""

    def __init__(self, doc: PlanDoc, categories: dict[str, str | None]) -> None:
        self.doc = doc
        self.categories = categories
        self.start = doc.local_start()
        self.t = self.start
        self.segments: list[Segment] = []
        self.last_welfare = self.start
        self.last_traffic_end = self.start
        self.previous_product: _Last | None = None  # any product: for the category rule
        self.previous_seller: _Last | None = None  # not welfare: for profit-after-hero
        self.products_placed = 0
        self.giveaways = 0
        self.pool: list[_Item] = []

    def minutes_since(self, moment: datetime) -> Decimal:
        return Decimal((self.t - moment).total_seconds()) / 60

    def place(self, segment: Segment, reason: str, *, at: datetime | None = None) -> None:
        if at is not None and at > self.t:
            self._fill_gap(at)
        self.segments.append(segment.model_copy(update={"reason": reason}))
        self.t += minutes_delta(segment.minutes)
        if segment.kind is SegmentKind.PRODUCT:  # fixed slots count as much as chosen ones
            last = _Last(segment.id, segment.role, self.categories.get(segment.id))
            self.products_placed += 1
            self.previous_product = last
            if segment.role is not Role.WELFARE:
                self.previous_seller = last
        if segment.role is Role.WELFARE or segment.kind is SegmentKind.GIVEAWAY:
            self.last_welfare = self.t
        if segment.role is Role.TRAFFIC:
            self.last_traffic_end = self.t

    def _fill_gap(self, until: datetime) -> None:
        gap = Decimal((until - self.t).total_seconds()) / 60
        if gap >= MIN_FILLER:
            beat = Segment(id=f"{AUTO_PREFIX}beat-{len(self.segments) + 1}",
                           kind=SegmentKind.INTERACTION, title="互动 Interaction",
                           minutes=gap.quantize(Decimal("0.01")))
            self.segments.append(beat.model_copy(update={
                "reason": f"fills {gap:.0f} min before the fixed slot at {until:%H:%M}"}))
        elif self.segments and not self.segments[-1].locked:
            last = self.segments[-1]
            self.segments[-1] = last.model_copy(
                update={"minutes": (last.minutes + gap).quantize(Decimal("0.01"))})
        self.t = until


def arrange(doc: PlanDoc, catalog: CatalogView) -> PlanDoc:
    """A new plan with the slots ordered by the rules and a reason on each.

    When every slot fits with time to spare, the role lengths are stretched (up to double) so
    the plan fills the show, and arrange runs again with the longer slots.
    """
    arranged, spare, product_minutes, all_placed = _arrange_once(doc, catalog, Decimal(1))
    if not all_placed or spare <= Decimal(doc.minutes) / 20 or not product_minutes:
        return arranged
    # The longest stretch (to 0.05) at which every slot still fits, found by bisection.
    low, high = Decimal(1), min(Decimal(2), 1 + spare / product_minutes)
    best = arranged
    for _ in range(6):
        trial, _, _, placed = _arrange_once(doc, catalog, high)
        if placed:
            return trial
        middle = ((low + high) / 2).quantize(Decimal("0.01"))
        if middle in (low, high):
            break
        trial, _, _, placed = _arrange_once(doc, catalog, middle)
        if placed:
            low, best = middle, trial
        else:
            high = middle
    return best


def _arrange_once(doc: PlanDoc, catalog: CatalogView, stretch: Decimal
                  ) -> tuple[PlanDoc, Decimal, Decimal, bool]:
    """One greedy pass: the plan, the minutes left unused, the product minutes, and whether
    every slot found a place."""
    rules = doc.rules
    start = doc.local_start()
    end = start + timedelta(minutes=doc.minutes)
    timeline = layout(doc)
    fixed: list[_Fixed] = []
    pool: list[_Item] = []
    opening = closing = None
    giveaways: list[Segment] = []
    fillers: list[Segment] = []
    for placed in timeline:
        segment = placed.segment
        if segment.locked:
            fixed.append(_Fixed(placed.start, segment, "locked by the planner"))
        elif segment.anchor:
            fixed.append(_Fixed(clock_on_show_day(doc, segment.anchor), segment,
                                f"anchored at {segment.anchor}"))
        elif segment.id.startswith(AUTO_PREFIX):
            continue  # generated by an earlier arrange: made afresh below
        elif segment.kind is SegmentKind.OPENING and opening is None:
            opening = segment
        elif segment.kind is SegmentKind.CLOSING and closing is None:
            closing = segment
        elif segment.kind is SegmentKind.PRODUCT:
            minutes = rules.slot_minutes.get(segment.role, segment.minutes)
            if stretch != 1:  # to the half minute, as a planner would write it
                minutes = (minutes * stretch * 2).to_integral_value() / 2
            item = segment.model_copy(update={"minutes": minutes})
            first = catalog.get(segment.skus[0])
            pool.append(_Item(item, placed.index, first.category if first else None,
                              slot_economics(doc, item, catalog).gmv))
        elif segment.kind is SegmentKind.GIVEAWAY:
            giveaways.append(segment)
        elif segment.kind is SegmentKind.ENCORE:
            continue  # the encore is chosen afresh from the best items
        else:
            fillers.append(segment)
    fixed.sort(key=lambda f: (f.at, f.segment.id))
    values = {i.segment.id: i.value for i in pool}

    opening = opening or Segment(id=f"{AUTO_PREFIX}opening", kind=SegmentKind.OPENING,
                                 title="开场 Opening", minutes=rules.opening_minutes)
    closing = closing or Segment(id=f"{AUTO_PREFIX}closing", kind=SegmentKind.CLOSING,
                                 title="收尾 Closing", minutes=rules.closing_minutes)
    encore_total = rules.encore_minutes * min(rules.encore_items,
                                              sum(1 for i in pool if i.role is not Role.WELFARE))
    tail_start = end - minutes_delta(closing.minutes + encore_total)

    categories = {}
    for segment in doc.segments:
        facts = catalog.get(segment.skus[0]) if segment.skus else None
        categories[segment.id] = facts.category if facts else None
    board = _Board(doc, categories)
    board.pool = pool
    peaks = sorted(clock_on_show_day(doc, p) for p in doc.goals.viewer_peaks) \
        if rules.heroes_at_peaks else []
    if not (fixed and fixed[0].at <= start):
        board.place(opening, "opens the show: greet, set up the theme and the offers")
    while True:
        due = [f for f in fixed if f.at <= board.t + timedelta(seconds=1)]
        if due:
            item = due[0]
            fixed.remove(item)
            board.place(item.segment, item.reason, at=item.at)
            continue
        limit = min([f.at for f in fixed if f.at < tail_start] + [tail_start])
        choice = _choose(board, pool, giveaways, peaks, limit)
        if choice is None:
            if limit < tail_start or (fixed and fixed[0].at < end):
                target = fixed[0].at if fixed else limit
                if target > board.t:
                    board._fill_gap(target)
                    continue
            break
        segment, reason = choice
        board.place(segment, reason)
    spare = Decimal(0) if pool else max(Decimal(0), Decimal((tail_start - board.t).total_seconds()) / 60)
    product_minutes = sum((s.minutes for s in board.segments if s.kind is SegmentKind.PRODUCT
                           and not s.locked and not s.anchor), Decimal(0))
    for item in fixed:  # fixed slots in the tail keep their times
        board.place(item.segment, item.reason, at=max(item.at, board.t))

    all_placed = not pool
    _add_encore(board, values, doc)
    for item in sorted(pool, key=lambda i: i.order):
        board.place(item.segment, "did not fit in the show's time: shorten slots or drop it")
    board.place(closing, "closes the show: recap the best offers, thank viewers, tease the next")
    if stretch != 1:
        note = f"; slot lengths by role ×{stretch:.2f} to fill the show"
        board.segments = [s.model_copy(update={"reason": (s.reason or "") + note})
                          if s.kind is SegmentKind.PRODUCT and not s.locked and not s.anchor
                          else s for s in board.segments]
    return (doc.model_copy(update={"segments": board.segments}), spare, product_minutes,
            all_placed)


def _choose(board: _Board, pool: list[_Item], giveaways: list[Segment], peaks: list[datetime],
            limit: datetime) -> tuple[Segment, str] | None:
    """The next segment by the rules, or None when nothing fits before ``limit``."""
    rules, checks = board.doc.rules, board.doc.checks
    room = Decimal((limit - board.t).total_seconds()) / 60

    def fits(minutes: Decimal) -> bool:
        return minutes <= room + Decimal("0.001")

    candidates = [i for i in pool if fits(i.minutes)]
    pick = _pick(board, candidates, peaks)
    if board.products_placed:
        # Look ahead: would the pick push the next welfare moment or traffic driver too late?
        earliest, latest = rules.welfare_every_minutes
        since_welfare = board.minutes_since(board.last_welfare)
        next_minutes = pick[0].minutes if pick else Decimal(0)
        picked_welfare = pick is not None and pick[0].role is Role.WELFARE
        if not picked_welfare and since_welfare >= earliest:
            welfare = _welfare(board, candidates, giveaways, fits,
                               f"welfare moment: {since_welfare:.0f} min since the last "
                               f"(rule: every {earliest}–{latest} min)")
            if welfare is not None:
                return welfare
        if pick is not None and pick[2] is None and since_welfare + next_minutes > latest:
            # A shorter item now lets the next welfare moment come before `latest` minutes.
            shorter = [i for i in candidates if i.role is not Role.WELFARE and i is not pick[0]
                       and since_welfare + i.minutes <= latest and since_welfare + i.minutes
                       >= earliest]
            if shorter:
                item = _varied(board, sorted(shorter, key=lambda i: (
                    GENERAL_ORDER.index(i.role), i.order)))
                pick = (item, f"{ROLE_LABELS[item.role]}: fits before the next welfare moment "
                              f"(due within {latest} min)", None)
                next_minutes = item.minutes
        traffic = [i for i in candidates if i.role is Role.TRAFFIC]
        since_traffic = board.minutes_since(board.last_traffic_end)
        if traffic and pick is not None and pick[0].role is not Role.TRAFFIC and (
                since_traffic + next_minutes + rules.giveaway_minutes > checks.traffic_gap_minutes):
            return _take(board, pool, _varied(board, traffic),
                         f"traffic driver: viewers need a new hook within "
                         f"{checks.traffic_gap_minutes} min of the last")
    if pick is None:
        return None
    item, reason, peak = pick
    if peak is not None:
        peaks.remove(peak)
    return _take(board, pool, item, reason)


def _take(board: _Board, pool: list[_Item], item: _Item, reason: str) -> tuple[Segment, str]:
    pool.remove(item)
    return item.segment, reason


def _welfare(board: _Board, candidates: list[_Item], giveaways: list[Segment], fits,
             reason: str) -> tuple[Segment, str] | None:
    """A welfare product, else a planned giveaway, else a generated 福袋 — whichever fits."""
    welfare = [i for i in candidates if i.role is Role.WELFARE]
    if welfare:
        return _take(board, board.pool, _varied(board, welfare), reason)
    planned = [g for g in giveaways if fits(g.minutes)]
    if planned:
        giveaways.remove(planned[0])
        return planned[0], reason
    rules = board.doc.rules
    if fits(rules.giveaway_minutes):
        board.giveaways += 1
        return Segment(id=f"{AUTO_PREFIX}giveaway-{board.giveaways}", kind=SegmentKind.GIVEAWAY,
                       title="福袋 Lucky bag", minutes=rules.giveaway_minutes,
                       prize="福袋 lucky bag", entry_rule="comment the keyword and follow"), reason
    return None


def _pick(board: _Board, candidates: list[_Item], peaks: list[datetime]
          ) -> tuple[_Item, str, datetime | None] | None:
    """The item the ordering rules want next (not yet taken), with the reason."""
    if not candidates:
        return None
    rules = board.doc.rules
    if rules.open_with_traffic and board.products_placed == 0:
        traffic = [i for i in candidates if i.role is Role.TRAFFIC]
        if traffic:
            return _varied(board, traffic), "opens with a traffic driver to pull viewers in", None
    heroes = sorted((i for i in candidates if i.role is Role.HERO),
                    key=lambda i: (-i.value, i.order))
    if heroes and peaks:
        peak, hero = peaks[0], heroes[0]
        if board.t + minutes_delta(hero.minutes) > peak:  # started now, it covers the peak
            return hero, f"hero at the {peak:%H:%M} viewer peak{_value(hero)}", peak
    reserved = {id(h) for h in heroes[: len(peaks)]}
    previous = board.previous_seller
    if rules.profit_after_hero and previous is not None and previous.role is Role.HERO:
        profit = [i for i in candidates if i.role is Role.PROFIT]
        if profit:
            return (_varied(board, profit),
                    f"profit item after hero {previous.id}, while attention holds", None)
    for role in GENERAL_ORDER:
        group = [i for i in candidates if i.role is role and id(i) not in reserved]
        if role is Role.HERO:
            group.sort(key=lambda i: (-i.value, i.order))
        if group:
            return (_varied(board, group),
                    f"{ROLE_LABELS[role]}: next by role order (hero, profit, image, test, "
                    "traffic)", None)
    spare = [i for i in candidates if id(i) in reserved]
    if spare:
        return spare[0], "hero saved for a later peak, placed now as nothing else fits", None
    return None


def _value(item: _Item) -> str:
    return _money_note(item.value)


def _money_note(value: Decimal | None) -> str:
    return f" (expected GMV ¥{value:,.0f})" if value else ""


def _varied(board: _Board, group: list[_Item]) -> _Item:
    """The first of ``group`` whose category differs from the previous product's, if any."""
    previous = board.previous_product
    if board.doc.rules.avoid_same_category and previous is not None:
        for item in group:
            if item.category is None or item.category != previous.category:
                return item
    return group[0]


def _add_encore(board: _Board, values: dict[str, Decimal], doc: PlanDoc) -> None:
    """Encore 返场 the best items: heroes first, then by expected GMV."""
    rules = doc.rules
    placed = [s for s in board.segments if s.kind is SegmentKind.PRODUCT
              and s.role is not Role.WELFARE]
    ranked = sorted(placed, key=lambda s: (s.role is not Role.HERO, -values.get(s.id, Decimal(0)),
                                           placed.index(s)))
    for number, segment in enumerate(ranked[: rules.encore_items], start=1):
        board.place(Segment(
            id=f"{AUTO_PREFIX}encore-{number}", kind=SegmentKind.ENCORE,
            title=f"返场 Encore: {segment.title or segment.id}", minutes=rules.encore_minutes,
            skus=list(segment.skus), offers=list(segment.offers),
            selling_points=segment.selling_points[:2], units_per_order=segment.units_per_order,
        ), f"encore of {segment.id}, one of the best items"
           f"{_money_note(values.get(segment.id))}, for viewers who came late")
