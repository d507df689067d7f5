"""The plan document: what a planner edits (in the browser or as YAML in git) and what is versioned.

A plan is one show's run sheet: ordered segments (opening, product slots, giveaways, interaction
beats, encore, closing), the offers they use, the goals and assumptions behind the targets, and the
rules arrange and check follow. Prices are not copied here: they are read from the catalogue.

YAML files carry money and rates as decimals (``59.90``); the loader reads YAML floats as Decimal
from their text, so no value ever passes through a binary float.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from studio.decimals import Fraction, Minutes, Money, Percent
from studio.errors import ErrorDetail, ValidationFailed

FORMAT_VERSION = 1
SlugId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class Role(StrEnum):
    """What a product slot is for in the show (排品 roles)."""

    TRAFFIC = "traffic"  # 引流款
    WELFARE = "welfare"  # 福利款
    HERO = "hero"  # 主推款 / 爆款
    PROFIT = "profit"  # 利润款
    IMAGE = "image"  # 形象款
    TEST = "test"  # 新品 / 测款


ROLE_LABELS = {Role.TRAFFIC: "引流 traffic", Role.WELFARE: "福利 welfare", Role.HERO: "主推 hero",
               Role.PROFIT: "利润 profit", Role.IMAGE: "形象 image", Role.TEST: "新品 test"}
ROLE_FROM_TAG = {"引流款": Role.TRAFFIC, "引流": Role.TRAFFIC, "福利款": Role.WELFARE,
                 "福利": Role.WELFARE, "主推款": Role.HERO, "主推": Role.HERO, "爆款": Role.HERO,
                 "利润款": Role.PROFIT, "利润": Role.PROFIT, "形象款": Role.IMAGE,
                 "形象": Role.IMAGE, "新品": Role.TEST, "测款": Role.TEST}


class SegmentKind(StrEnum):
    OPENING = "opening"  # 开场 / 暖场
    PRODUCT = "product"  # 讲品
    GIVEAWAY = "giveaway"  # 福袋 / 红包
    INTERACTION = "interaction"  # 互动
    ENCORE = "encore"  # 返场
    CLOSING = "closing"  # 收尾


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class SellingPoint(_Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    fabe: Literal["F", "A", "B", "E"] | None = None


class Tier(_Strict):
    min_spend: Money
    off: Money


class Offer(_Strict):
    """One price mechanism. Kinds and the fields they use:

    - ``direct`` 直降: ``amount`` off each unit;
    - ``percent`` 折扣: ``percent_off`` (10 = 10 % off);
    - ``threshold`` 满减: ``tiers`` of ``min_spend``/``off`` on the order, best tier reached;
    - ``coupon`` 直播间优惠券: ``amount`` or ``percent_off``, optional ``min_spend``, ``quantity``;
    - ``flash_sale`` 秒杀: ``price`` replaces the live price; ``quantity``, ``per_buyer_limit``.

    ``shop_share`` is the part of the discount the shop pays (1 = all; 0 = platform-funded);
    ``skus`` limits the offer to some SKUs of a slot (a flash sale on one size, say).
    """

    id: SlugId
    kind: Literal["direct", "percent", "threshold", "coupon", "flash_sale"]
    label: str | None = None
    amount: Money | None = None
    percent_off: Percent | None = None
    tiers: list[Tier] = Field(default_factory=list)
    min_spend: Money | None = None
    price: Money | None = None
    quantity: int | None = Field(None, gt=0)
    per_buyer_limit: int | None = Field(None, gt=0)
    shop_share: Fraction = Decimal("1")
    skus: list[str] = Field(default_factory=list,
                            description="only these SKUs (default: every SKU of the slot)")

    def applies_to(self, sku: str) -> bool:
        return not self.skus or sku in self.skus

    @model_validator(mode="after")
    def _fields_match_kind(self) -> Offer:
        need = {"direct": ("amount",), "percent": ("percent_off",), "threshold": ("tiers",),
                "flash_sale": ("price",)}.get(self.kind, ())
        for name in need:
            if not getattr(self, name):
                raise ValueError(f"a {self.kind} offer needs {name}")
        if self.kind == "coupon" and (self.amount is None) == (self.percent_off is None):
            raise ValueError("a coupon has either amount or percent_off")
        if self.kind == "threshold":
            spends = [t.min_spend for t in self.tiers]
            if spends != sorted(spends) or len(set(spends)) != len(spends):
                raise ValueError("threshold tiers go from the smallest min_spend up, each once")
            if any(t.off >= t.min_spend for t in self.tiers):
                raise ValueError("a threshold tier's off must be below its min_spend")
        return self


class Segment(_Strict):
    """One block of the run sheet. Product slots (and encores) carry SKUs, a role and offers."""

    id: SlugId
    kind: SegmentKind
    title: str | None = None
    minutes: Minutes
    anchor: ClockTime | None = Field(None, description="fixed local start, e.g. 20:30")
    locked: bool = Field(False, description="arrange keeps it where it is")
    role: Role | None = None
    skus: list[str] = Field(default_factory=list)
    selling_points: list[SellingPoint] = Field(default_factory=list)
    talk_track: list[str] = Field(default_factory=list)
    offers: list[SlugId] = Field(default_factory=list)
    stock: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    target_units: int | None = Field(None, ge=0)
    target_gmv: Money | None = None
    units_per_order: int = Field(1, ge=1, le=100)
    prize: str | None = None
    winners: int | None = Field(None, gt=0)
    entry_rule: str | None = None
    allow_loss: bool = Field(False, description="a loss on this slot is deliberate (福利)")
    notes: str | None = None
    reason: str | None = Field(None, description="why arrange put it here")

    @model_validator(mode="after")
    def _kind_rules(self) -> Segment:
        if self.kind in (SegmentKind.PRODUCT, SegmentKind.ENCORE):
            if not self.skus:
                raise ValueError(f"{self.kind.value} segment {self.id} has no SKUs")
            if self.kind is SegmentKind.PRODUCT and self.role is None:
                raise ValueError(f"product slot {self.id} has no role")
        elif self.skus:
            raise ValueError(f"{self.kind.value} segment {self.id} cannot carry SKUs")
        unknown = set(self.stock) - set(self.skus)
        if unknown:
            raise ValueError(f"stock given for SKUs not in slot {self.id}: {sorted(unknown)}")
        if len(set(self.skus)) != len(self.skus):
            raise ValueError(f"slot {self.id} lists a SKU twice")
        return self

    @property
    def sells(self) -> bool:
        return self.kind in (SegmentKind.PRODUCT, SegmentKind.ENCORE)


class Goals(_Strict):
    gmv_target: Money | None = None
    viewer_peaks: list[ClockTime] = Field(default_factory=list,
                                          description="local times of planned viewer peaks")


class Assumptions(_Strict):
    """What the GMV targets rest on (see studio.scripts.targets)."""

    unique_viewers: int | None = Field(None, gt=0)
    conversion_rate: Fraction | None = Field(None, description="buyers ÷ unique viewers")
    aov: Money | None = Field(None, description="客单价: GMV ÷ buyers")
    uv_value: Money | None = Field(None, description="UV价值: GMV ÷ unique viewers")


class ArrangeRules(_Strict):
    """The rules `studio plan arrange` follows; every one can be changed per plan."""

    open_with_traffic: bool = True
    welfare_every_minutes: tuple[int, int] = (15, 20)
    giveaway_minutes: Minutes = Decimal("2")
    heroes_at_peaks: bool = True
    profit_after_hero: bool = True
    avoid_same_category: bool = True
    encore_items: int = Field(2, ge=0, le=10)
    encore_minutes: Minutes = Decimal("3")
    opening_minutes: Minutes = Decimal("5")
    closing_minutes: Minutes = Decimal("5")
    slot_minutes: dict[Role, Minutes] = Field(default_factory=lambda: {
        Role.TRAFFIC: Decimal("5"), Role.WELFARE: Decimal("3"), Role.HERO: Decimal("10"),
        Role.PROFIT: Decimal("6"), Role.IMAGE: Decimal("4"), Role.TEST: Decimal("3")})

    @field_validator("welfare_every_minutes")
    @classmethod
    def _ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 0 < value[0] <= value[1]:
            raise ValueError("welfare_every_minutes is [earliest, latest], e.g. [15, 20]")
        return value


class CheckSettings(_Strict):
    reference_window_days: int = Field(30, ge=1, le=365)
    max_total_discount: Fraction = Decimal("0.8")
    traffic_gap_minutes: int = Field(45, gt=0)
    cjk_chars_per_minute: int = Field(250, gt=0)
    english_words_per_minute: int = Field(150, gt=0)


class PlanDoc(_Strict):
    """A whole plan, as exported to YAML."""

    studio_plan: Literal[1] = FORMAT_VERSION
    show: str
    title: str
    start: AwareDatetime
    minutes: int = Field(gt=0, le=24 * 60)
    timezone: str
    currency: str = "CNY"
    goals: Goals = Field(default_factory=Goals)
    assumptions: Assumptions = Field(default_factory=Assumptions)
    rules: ArrangeRules = Field(default_factory=ArrangeRules)
    checks: CheckSettings = Field(default_factory=CheckSettings)
    offers: list[Offer] = Field(default_factory=list)
    segments: list[Segment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> PlanDoc:
        ids = [s.id for s in self.segments]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"segment id {repeated[0]} is used twice")
        offer_ids = [o.id for o in self.offers]
        if len(set(offer_ids)) != len(offer_ids):
            raise ValueError("two offers share an id")
        for segment in self.segments:
            missing = [o for o in segment.offers if o not in offer_ids]
            if missing:
                raise ValueError(f"slot {segment.id} uses unknown offer {missing[0]}")
        return self

    def segment(self, segment_id: str) -> Segment:
        for segment in self.segments:
            if segment.id == segment_id:
                return segment
        raise KeyError(segment_id)

    def offer(self, offer_id: str) -> Offer:
        return next(o for o in self.offers if o.id == offer_id)

    def local_start(self) -> datetime:
        from zoneinfo import ZoneInfo

        return self.start.astimezone(ZoneInfo(self.timezone))


def clock_on_show_day(doc: PlanDoc, clock: str) -> datetime:
    """The moment a local clock time (``20:30``) falls on during the show (after midnight too)."""
    start = doc.local_start()
    hours, minutes = map(int, clock.split(":"))
    moment = datetime.combine(start.date(), time(hours, minutes), tzinfo=start.tzinfo)
    if moment < start and (start - moment).total_seconds() > 6 * 3600:
        from datetime import timedelta

        moment += timedelta(days=1)  # 00:30 in a show that began at 22:00
    return moment


# ---- YAML ---------------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """Safe YAML whose floats become Decimal from their text, and whose times stay strings."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(loader.construct_scalar(node).replace("_", ""))


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)
# YAML 1.1 reads 20:30 as a sexagesimal integer (1230); a planner means a clock time.
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:int"
          or not regexp.match("20:30")]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(0|[1-9][0-9_]*)$"), list("-+0123456789"))


class _Dumper(yaml.SafeDumper):
    pass


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value, "f")
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return dumper.represent_scalar(tag, text)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(str, _represent_str)


def to_yaml(doc: PlanDoc) -> str:
    """Canonical YAML: fixed key order, defaults left out, UTF-8 text, decimals as written."""
    data = doc.model_dump(mode="python", exclude_defaults=True, by_alias=False)
    data = {"studio_plan": FORMAT_VERSION, **data}
    data["start"] = doc.start.isoformat()
    return yaml.dump(_plain(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=100, default_flow_style=False)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k.value if isinstance(k, StrEnum) else k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def from_yaml(text: str, *, source: str = "plan") -> PlanDoc:
    """Parse and validate a plan file; errors name the line or the field path."""
    try:
        data = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader: no objects built
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValidationFailed(f"{source}: not valid YAML{where}: "
                               f"{getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise ValidationFailed(f"{source}: a plan file is a mapping with show, start, segments…")
    if isinstance(data.get("start"), datetime) and data["start"].tzinfo is None:
        raise ValidationFailed(f"{source}: start needs a UTC offset, e.g. 2026-12-01T20:00:00+08:00")
    return validate_plan(data, source=source)


def validate_plan(data: dict[str, Any], *, source: str = "plan") -> PlanDoc:
    try:
        return PlanDoc.model_validate(data)
    except ValidationError as exc:
        details = [ErrorDetail(str(e["msg"]).removeprefix("Value error, "),
                               field=_path(data, e["loc"])) for e in exc.errors()]
        raise ValidationFailed(f"{source}: {len(details)} problem(s) in the plan",
                               details=details) from None


def _path(data: Any, loc: tuple[Any, ...]) -> str:
    """``segments.3.minutes`` → ``segments[3] (hero-down).minutes`` so the slot is named."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            if isinstance(node, list) and key < len(node) and isinstance(node[key], dict) \
                    and node[key].get("id"):
                label += f" ({node[key]['id']})"
            parts.append(label)
            node = node[key] if isinstance(node, list) and key < len(node) else None
        else:
            parts.append(f".{key}" if parts else str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "plan"
