"""Rehearsal fixtures: a seven-minute show on the demo catalogue that uses every kind of step."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from studio.scripts.document import Offer, PlanDoc, Role, Segment, SegmentKind

MINI = "mini-show"
ZONE = ZoneInfo("Asia/Shanghai")
D = Decimal


def mini_plan(show_id: str, start: datetime) -> PlanDoc:
    """Opening, a serum slot of two SKUs with a flash sale on the second, a lucky bag, a jacket
    slot with a coupon, closing: 7 minutes."""
    return PlanDoc(
        show=show_id, title="小场 Mini show", start=start, minutes=7, timezone="Asia/Shanghai",
        offers=[Offer(id="coupon-199-20", kind="coupon", label="满199减20", amount=D("20"),
                      min_spend=D("199"), quantity=500),
                Offer(id="flash-serum", kind="flash_sale", label="秒杀 ¥229", price=D("229"),
                      quantity=50, per_buyer_limit=2, skus=["BT-SERUM-50"])],
        segments=[
            Segment(id="opening", kind=SegmentKind.OPENING, title="开场", minutes=D("1")),
            Segment(id="serum", kind=SegmentKind.PRODUCT, role=Role.HERO, minutes=D("2"),
                    skus=["BT-SERUM-30", "BT-SERUM-50"], offers=["flash-serum"]),
            Segment(id="bag", kind=SegmentKind.GIVEAWAY, minutes=D("1"), prize="福袋 lucky bag",
                    winners=2),
            Segment(id="down", kind=SegmentKind.PRODUCT, role=Role.TRAFFIC, minutes=D("2"),
                    skus=["AP-DOWN-BLK-M"], offers=["coupon-199-20"]),
            Segment(id="closing", kind=SegmentKind.CLOSING, title="收尾", minutes=D("1")),
        ])


@pytest.fixture
def mini_show(show, session_factory) -> str:
    """A 7-minute show with a plan, on the demo catalogue (``show`` loads it)."""
    from studio.db import transaction
    from studio.scripts import service as plan_service
    from studio.shows import schemas
    from studio.shows import service as show_service

    start = datetime.combine(datetime.now(ZONE).date() + timedelta(days=2), time(20, 0),
                             tzinfo=ZONE)
    with transaction(session_factory) as session:
        show_service.create_show(session=session, show_in=schemas.ShowCreate(
            id=MINI, title="小场 Mini show", scheduled_start=start, planned_duration_minutes=7,
            timezone="Asia/Shanghai"))
        plan_service.create(session=session, doc=mini_plan(MINI, start), actor="test")
    return MINI
