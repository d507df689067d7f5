"""The demo data: a bilingual catalogue written for Studio, one upcoming show and its plan."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from importlib.resources import as_file, files
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.catalog.importer import ImportReport, import_catalog_file
from studio.catalog.models import PriceChange, Sku
from studio.db import utcnow
from studio.scripts import arrange as arranger
from studio.scripts import service as plan_service
from studio.scripts import targets
from studio.scripts.catalog_view import load_catalog_view
from studio.scripts.document import Assumptions, Goals, Offer, PlanDoc, Tier
from studio.scripts.evaluate import evaluate
from studio.shows import schemas as show_schemas
from studio.shows import service as show_service
from studio.shows.models import Show

DEMO_SHOW_ID = "demo-winter-goodies"
DEMO_SHOW_TITLE = "冬日好物节 Winter Goodies Night"
DEMO_TZ = "Asia/Shanghai"
SEED_SOURCE = "demo-seed"
D = Decimal

# Which offers each demo product gets in the plan (every one keeps its price above the floor).
DEMO_OFFERS = [
    Offer(id="coupon-199-20", kind="coupon", label="直播间券 满199减20", amount=D("20"),
          min_spend=D("199"), quantity=2000),
    Offer(id="flash-serum", kind="flash_sale", label="秒杀 ¥159", price=D("159"), quantity=300,
          per_buyer_limit=2, skus=["BT-SERUM-30"]),
    Offer(id="cup-minus-10", kind="direct", label="直降 ¥10", amount=D("10")),
    Offer(id="jerky-99-10", kind="threshold", label="满99减10",
          tiers=[Tier(min_spend=D("99"), off=D("10"))]),
]
OFFERS_BY_PRODUCT = {"AP-DOWN": ["coupon-199-20"], "AP-SWTR": ["coupon-199-20"],
                     "HM-PILLOW": ["coupon-199-20"], "BT-SERUM": ["flash-serum"],
                     "HM-CUP": ["cup-minus-10"], "SN-JERKY": ["jerky-99-10"]}
TALK_TRACK = {
    "AP-DOWN": ["家人们，零下十度也不怕，这件羽绒服今天直播间到手价比日常还低一百四！",
                "黑色和米白两个颜色，M 到 XL，库存不多，喜欢的先拍。"],
    "BT-SERUM": ["熬夜党看过来，烟酰胺精华今天秒杀价，一人限两瓶。"],
    "BT-LIP": ["三个色号我都试给大家看，黄皮也不怕。"],
}


def load_demo(*, session: Session, now: datetime | None = None) -> tuple[ImportReport, Show]:
    """Import the demo catalogue, seed its price history, make the demo show and its plan.

    Every step is idempotent: running it again changes nothing that is already there.
    """
    resource = files("studio.catalog") / "demo" / "catalog.csv"
    with as_file(resource) as path:
        report = import_catalog_file(session=session, path=path, actor="demo")
    now = now or utcnow()
    _seed_price_history(session, now)
    show = session.get(Show, DEMO_SHOW_ID)
    if show is None:
        tz = ZoneInfo(DEMO_TZ)
        today = now.astimezone(tz).date()
        start = datetime.combine(today + timedelta(days=1), time(20, 0), tzinfo=tz)
        show = show_service.create_show(session=session, show_in=show_schemas.ShowCreate(
            id=DEMO_SHOW_ID, title=DEMO_SHOW_TITLE, scheduled_start=start,
            planned_duration_minutes=180, timezone=DEMO_TZ, platform="douyin"))
    _ensure_plan(session, show)
    return report, show


def _seed_price_history(session: Session, now: datetime) -> None:
    """Give each demo SKU a believable past: 25 days ago its daily price was the 原价, and
    10 days ago it dropped to today's 日常价 — so the plan's reference-price check passes."""
    seeded = set(session.scalars(select(PriceChange.sku_id).where(
        PriceChange.source == SEED_SOURCE)))
    for sku in session.scalars(select(Sku).join(Sku.product).where(Sku.list_price.is_not(None))):
        if sku.id in seeded or sku.daily_price is None:
            continue
        first = session.scalars(select(PriceChange).where(
            PriceChange.sku_id == sku.id, PriceChange.field == "daily_price",
            PriceChange.old_value.is_(None))).first()
        session.add(PriceChange(sku_id=sku.id, field="daily_price", old_value=None,
                                new_value=sku.list_price, changed_at=now - timedelta(days=25),
                                changed_by="demo", source=SEED_SOURCE))
        if first is not None:
            first.old_value = sku.list_price
            first.changed_at = now - timedelta(days=10)
    session.flush()


def _ensure_plan(session: Session, show: Show) -> None:
    from studio.scripts.models import Plan

    if session.get(Plan, show.id) is not None:
        return
    codes = list(session.scalars(select(Sku.sku).order_by(Sku.id)))
    doc = plan_service.draft_for_show(session=session, show_id=show.id, skus=codes)
    segments = []
    for segment in doc.segments:
        product = segment.skus[0].rsplit("-", 1)[0] if segment.skus else ""
        code = next((p for p in OFFERS_BY_PRODUCT if segment.skus and
                     segment.skus[0].startswith(p + "-")), None)
        talk = next((lines for p, lines in TALK_TRACK.items() if product.startswith(p)), [])
        update: dict[str, object] = {"talk_track": talk}
        if code:
            update["offers"] = OFFERS_BY_PRODUCT[code]
        if code == "SN-JERKY":
            update["units_per_order"] = 2  # 满99减10 needs two bags: 136 − 10 = 63 each
        if segment.skus:
            update["stock"] = {}  # filled below from the catalogue
        segments.append(segment.model_copy(update=update))
    catalog = load_catalog_view(session, codes, with_history=False)
    for index, segment in enumerate(segments):
        if segment.skus:  # allocate 60 % of each SKU's stock to the show
            segments[index] = segment.model_copy(update={"stock": {
                c: catalog.skus[c].stock * 6 // 10 for c in segment.skus}})
    doc = doc.model_copy(update={
        "offers": DEMO_OFFERS, "segments": segments,
        "goals": Goals(gmv_target=D("300000"), viewer_peaks=["20:30", "21:30"]),
        "assumptions": Assumptions(unique_viewers=60000, conversion_rate=D("0.025"),
                                   aov=D("200")),
    })
    doc = PlanDoc.model_validate(doc.model_dump())
    doc = arranger.arrange(doc, catalog)
    doc = targets.apply_targets(doc, targets.decompose(evaluate(doc, catalog)))
    plan_service.create(session=session, doc=doc, actor="demo", note="demo plan")
