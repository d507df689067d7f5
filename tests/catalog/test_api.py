"""Catalogue JSON API: search (Chinese too), paging, CRUD, price history, one error shape."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import pytest


def product_payload(code: str = "BT-SERUM", **overrides):
    payload = {
        "product_code": code,
        "title": "烟酰胺焕亮精华液 Niacinamide Serum",
        "brand": "青禾 Qinghe",
        "category": "美妆 Beauty",
        "selling_points": [{"text": "含5%烟酰胺", "fabe": "F"}, {"text": "提亮肤色"}],
        "tags": ["美妆", "主推款"],
        "skus": [
            {"sku": f"{code}-30", "options": [["容量", "30ml"]], "list_price": "299.00",
             "daily_price": "259.00", "live_price": "199.00", "floor_price": "189.00",
             "cost": "52.00", "commission_rate": "0.2", "stock": 800},
            {"sku": f"{code}-50", "options": [["容量", "50ml"]], "live_price": "289.00",
             "stock": 300},
        ],
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def serum(client):
    response = client.post("/api/v1/products", json=product_payload(),
                           headers={"X-Studio-Actor": quote("小王")})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_returns_the_product_with_money_as_strings(client, serum):
    assert serum["skus"][0]["live_price"] == "199.00"
    assert serum["skus"][0]["commission_rate"] == "0.2"
    assert serum["selling_points"][0] == {"text": "含5%烟酰胺", "fabe": "F"}
    assert serum["created_at"].endswith("Z") or serum["created_at"].endswith("+00:00")
    again = client.get("/api/v1/products/BT-SERUM").json()
    assert again == serum


def test_search_matches_chinese_title_sku_and_tag_and_pages(client, serum):
    client.post("/api/v1/products", json=product_payload("SN-NUT", title="每日坚果 Daily Nuts",
                                                         tags=["零食"], skus=[
        {"sku": "SN-NUT-15", "live_price": "59.90"}]))
    def codes(**params):
        body = client.get("/api/v1/products", params=params).json()
        return body["total"], [p["product_code"] for p in body["items"]]

    assert codes(q="精华") == (1, ["BT-SERUM"])
    assert codes(q="坚果") == (1, ["SN-NUT"])
    assert codes(q="sn-nut-15") == (1, ["SN-NUT"])  # SKU, case-insensitive
    assert codes(q="主推") == (1, ["BT-SERUM"])  # tag text
    assert codes(tag="零食") == (1, ["SN-NUT"])
    assert codes(q="100%") == (0, [])  # LIKE wildcards are literal
    assert codes(limit=1, offset=1) == (2, ["SN-NUT"])
    assert client.get("/api/v1/products", params={"limit": 0}).status_code == 422


def test_patch_sku_records_price_history_with_the_actor(client, serum):
    response = client.patch("/api/v1/skus/BT-SERUM-30", json={"live_price": "189.00", "stock": 5},
                            headers={"X-Studio-Actor": "planner-li"})
    assert response.status_code == 200, response.text
    assert response.json()["live_price"] == "189.00"
    history = client.get("/api/v1/products/BT-SERUM/price-history").json()
    latest = history[0]
    assert (latest["sku"], latest["field"], latest["old_value"], latest["new_value"],
            latest["changed_by"]) == ("BT-SERUM-30", "live_price", "199.00", "189.00",
                                      "planner-li")
    first_prices = [h for h in history if h["old_value"] is None]
    assert {h["changed_by"] for h in first_prices} == {"小王"}
    assert len(first_prices) == 6  # 5 prices on the first SKU, the live price on the second


def test_floor_above_live_is_rejected_and_nothing_changes(client, serum):
    response = client.patch("/api/v1/skus/BT-SERUM-30", json={"floor_price": "250.00"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and "floor price 250.00 is above the live price" in (
        error["message"])
    assert client.get("/api/v1/skus/BT-SERUM-30").json()["floor_price"] == "189.00"


@pytest.mark.parametrize(
    ("patch", "field"),
    [({"live_price": 1.5}, "live_price"), ({"live_price": "-1"}, "live_price"),
     ({"live_price": "1.234"}, "live_price"), ({"stock": -3}, "stock"),
     ({"colour": "red"}, "colour")],
)
def test_invalid_input_gets_one_error_shape_naming_the_field(client, serum, patch, field):
    response = client.patch("/api/v1/skus/BT-SERUM-30", json=patch)
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == "invalid"
    assert any(d.get("field", "").endswith(field) for d in body["error"]["details"])


def test_duplicate_codes_conflict(client, serum):
    assert client.post("/api/v1/products", json=product_payload()).status_code == 409
    other = product_payload("OTHER", skus=[{"sku": "BT-SERUM-30", "live_price": "1.00"}])
    response = client.post("/api/v1/products", json=other)
    assert response.status_code == 409
    assert "BT-SERUM-30" in response.json()["error"]["message"]


def test_update_product_replaces_lists_and_delete_removes_it(client, serum):
    response = client.patch("/api/v1/products/BT-SERUM",
                            json={"tags": ["新品"], "selling_points": [{"text": "只留一条"}],
                                  "notes": "<b>not html</b>"})
    assert response.status_code == 200
    body = response.json()
    assert body["tags"] == ["新品"] and body["selling_points"] == [{"text": "只留一条",
                                                                   "fabe": None}]
    assert client.delete("/api/v1/products/BT-SERUM").status_code == 204
    missing = client.get("/api/v1/products/BT-SERUM")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found",
                                        "message": "no product with code 'BT-SERUM'",
                                        "details": []}}


def test_unknown_api_path_is_json_and_unknown_page_is_html(client):
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    page = client.get("/catalog/NOPE", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "no product with code &#39;NOPE&#39;" in page.text


def test_openapi_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/products" in spec["paths"] and "/api/v1/shows" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


def test_money_is_exact_to_the_fen(client, serum):
    client.patch("/api/v1/skus/BT-SERUM-50", json={"live_price": "0.10"})
    client.patch("/api/v1/skus/BT-SERUM-50", json={"live_price": "0.20"})
    price = client.get("/api/v1/skus/BT-SERUM-50").json()["live_price"]
    assert Decimal(price) == Decimal("0.20")
