"""Catalogue pages served as HTML: list, search, detail with price history, edit form."""

from __future__ import annotations

from urllib.parse import quote

import pytest

HTML = {"Accept": "text/html"}


@pytest.fixture
def demo(client, run_cli):
    assert run_cli("init", "--demo").exit_code == 0


def test_catalogue_page_lists_and_searches_in_chinese(client, demo):
    page = client.get("/catalog", headers=HTML)
    assert page.status_code == 200
    assert "<h1>商品库</h1>" in page.text and "Catalogue" not in page.text  # Chinese by default
    english = client.get("/catalog", headers={**HTML, "Accept-Language": "en"})
    assert "<h1>Catalogue</h1>" in english.text and '<html lang="en">' in english.text
    found = client.get("/catalog", params={"q": "精华"}, headers=HTML)
    assert "Niacinamide" in found.text or "精华" in found.text
    assert 'data-testid="result-count">1 ' in found.text or "个商品" in found.text


def test_home_redirects_to_the_catalogue(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/catalog"


def test_untrusted_text_is_escaped(client):
    payload = {"product_code": "XSS", "title": "<script>alert(1)</script>",
               "notes": "<img src=x onerror=alert(2)>", "tags": ["<b>tag</b>"],
               "skus": [{"sku": "XSS-1", "live_price": "1.00"}]}
    assert client.post("/api/v1/products", json=payload).status_code == 201
    for url in ("/catalog", "/catalog/XSS", "/catalog/XSS/edit"):
        text = client.get(url, headers=HTML).text
        assert "<script>alert(1)</script>" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_edit_form_saves_and_records_history(client, demo):
    code = "BT-CLNS"
    form = client.get(f"/catalog/{code}/edit", headers=HTML)
    assert form.status_code == 200
    data = _form_fields(form.text)
    sku = next(k.split(".")[0] for k in data if k.endswith(".live_price"))
    data[f"{sku}.live_price"] = "79.00"
    data["changed_by"] = "主播助理"
    data["tags"] = data["tags"] + ",双十二"
    saved = client.post(f"/catalog/{code}/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/catalog/{code}?saved=1"
    detail = client.get(saved.headers["location"], headers=HTML).text
    assert "已保存" in detail and "双十二" in detail
    history = client.get(f"/api/v1/products/{quote(code)}/price-history").json()[0]
    assert (history["field"], history["new_value"], history["changed_by"], history["source"]) == (
        "live_price", "79.00", "主播助理", "web")


def test_edit_form_shows_reasons_and_saves_nothing(client, demo):
    code = "BT-CLNS"
    data = _form_fields(client.get(f"/catalog/{code}/edit", headers=HTML).text)
    sku = next(k.split(".")[0] for k in data if k.endswith(".live_price"))
    before = client.get(f"/api/v1/skus/{sku}").json()
    data[f"{sku}.live_price"] = "abc"
    data[f"{sku}.stock"] = "-2"
    data["title"] = "改了标题但不该保存"
    response = client.post(f"/catalog/{code}/edit", data=data)
    assert response.status_code == 422
    assert "not an amount of money: &#39;abc&#39;" in response.text
    assert "negative number &#39;-2&#39;" in response.text
    assert client.get(f"/api/v1/skus/{sku}").json() == before
    assert client.get(f"/api/v1/products/{code}").json()["title"] != "改了标题但不该保存"


def test_shows_page_lists_the_demo_show(client, demo):
    page = client.get("/shows", headers=HTML)
    assert "冬日好物节" in page.text and "Asia/Shanghai" in page.text and "20:00" in page.text


def _form_fields(html: str) -> dict[str, str]:
    """The named inputs and textareas of the edit form, as a browser would submit them."""
    from html.parser import HTMLParser

    fields: dict[str, str] = {}

    class Parser(HTMLParser):
        textarea: str | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name"):
                if a.get("type") == "checkbox":
                    if "checked" in a:
                        fields[a["name"]] = "on"
                else:
                    fields[a["name"]] = a.get("value") or ""
            elif tag == "textarea":
                self.textarea = a["name"]
                fields[self.textarea] = ""

        def handle_data(self, data):
            if self.textarea:
                fields[self.textarea] += data

        def handle_endtag(self, tag):
            if tag == "textarea":
                self.textarea = None

    Parser().feed(html)
    return fields


def test_edit_form_validates_product_fields_on_the_server(client, demo):
    code = "BT-CLNS"
    data = _form_fields(client.get(f"/catalog/{code}/edit", headers=HTML).text)
    data["title"] = "长" * 301  # the browser's maxlength is not a guarantee
    response = client.post(f"/catalog/{code}/edit", data=data)
    assert response.status_code == 422
    assert "at most 300 characters" in response.text
    assert client.get(f"/api/v1/products/{code}").json()["title"] != "长" * 301
