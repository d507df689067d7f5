"""Small builders for review tests: export files as a user would have them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ORDER_HEADER = "order_id,created_at,paid_at,sku,quantity,amount,refund_amount,status,buyer_id"
METRIC_HEADER = ("minute,online_viewers,entries,exits,views,product_impressions,product_clicks,"
                 "comments,likes,new_followers")

# Hand-computed (see test_metrics.py): the show's zone is Asia/Shanghai (UTC+8).
ORDERS = """order_id,created_at,paid_at,sku,quantity,amount,refund_amount,status,buyer_id
A1,2026-12-10 20:00:10,2026-12-10 20:00:30,SKU-1,1,159.00,0,paid,u1
A1,2026-12-10 20:00:10,2026-12-10 20:00:30,SKU-2,2,100.00,,paid,u1
A2,2026-12-10T12:01:05Z,2026-12-10T12:01:40Z,SKU-1,1,159.00,159.00,refunded,u2
A3,2026-12-10T20:01:50+08:00,2026-12-10T20:01:59+08:00,SKU-2,3,150.00,50.00,partially_refunded,u1
A4,2026-12-10 20:02:00,,SKU-1,1,159.00,,cancelled,u3
A5,2026-12-10 20:02:30,,SKU-3,1,99.00,,pending,u4
A6,2026-12-10 20:02:40,2026-12-10 20:02:59.999,SKU-3,1,99.90,,paid,u5
"""
METRICS = METRIC_HEADER + """
2026-12-10 20:00,100,50,0,80,40,10,5,100,2
2026-12-10 20:01,300,220,20,120,90,30,12,400,5
2026-12-10 20:02,200,30,130,100,70,20,7,150,1
"""
COMMENTS = """time,platform,user_id,nickname,text
2026-12-10 20:00:05,douyin,u9,小王,<b>多少钱</b>?
2026-12-10 20:01:10,douyin,u8,Lily,好看！
"""


@pytest.fixture
def write(tmp_path: Path):
    def make(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return make


@pytest.fixture
def summary(run_cli):
    def read(show: str) -> dict:
        result = run_cli("replay", "summary", show, "--json")
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(result.stdout)
    return read
