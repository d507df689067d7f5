"""The web UI in two languages: choosing one, complete catalogues that match the code, and
numbers, money and moments formatted for each."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from studio import i18n
from studio.web import format_moment, format_money, make_templates, web_root

ROOT = Path(__file__).resolve().parents[2]
HTML = {"Accept": "text/html"}
ZH = {**HTML, "Accept-Language": "zh-CN,zh;q=0.9"}
EN = {**HTML, "Accept-Language": "en-US,en;q=0.9"}
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


# ---- choosing the language ------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "expected"), [
    ("en-US,en;q=0.9", "en"), ("en-GB", "en"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
    ("zh-TW", "zh-CN"), ("zh-Hans-CN", "zh-CN"), ("fr-FR, en;q=0.5", "en"),
    ("en;q=0.2, zh;q=0.8", "zh-CN"), ("zh;q=0, en", "en"), ("de, fr", "zh-CN"), ("", "zh-CN"),
    (None, "zh-CN"), ("en;q=bad, zh", "zh-CN"), ("*", "zh-CN"),
])
def test_accept_language_picks_the_first_language_we_have(header, expected):
    assert i18n.negotiate(query=None, cookie=None, accept_language=header) == expected


def test_the_query_wins_over_the_cookie_which_wins_over_the_browser():
    assert i18n.negotiate(query="en", cookie="zh-CN", accept_language="zh") == "en"
    assert i18n.negotiate(query=None, cookie="en", accept_language="zh") == "en"
    assert i18n.negotiate(query="klingon", cookie="zh-CN", accept_language="en") == "zh-CN"
    assert i18n.negotiate(query=None, cookie="xx", accept_language="en-AU") == "en"


def test_pages_follow_accept_language_with_zh_cn_by_default(client):
    for headers, lang, heading in ((HTML, "zh-CN", "商品库"), (ZH, "zh-CN", "商品库"),
                                   (EN, "en", "Catalogue")):
        page = client.get("/catalog", headers=headers)
        assert page.status_code == 200
        assert f'<html lang="{lang}">' in page.text and f"<h1>{heading}</h1>" in page.text
        assert page.headers["content-language"] == lang
        assert "Accept-Language" in page.headers["vary"]
        assert "set-cookie" not in page.headers  # only an explicit choice is remembered


def test_lang_in_the_query_switches_and_the_cookie_remembers_it(client):
    page = client.get("/catalog", params={"lang": "en", "q": "精华"}, headers=ZH)
    assert '<html lang="en">' in page.text
    assert re.search(r"lang=en;.*Max-Age=\d+", page.headers["set-cookie"])
    assert client.cookies.get("lang") == "en"
    later = client.get("/shows", headers=ZH)  # the browser still prefers Chinese: the cookie wins
    assert '<html lang="en">' in later.text and "<h1>Shows</h1>" in later.text
    back = client.get("/shows", params={"lang": "zh-CN"}, headers=EN)
    assert '<html lang="zh-CN">' in back.text and client.cookies.get("lang") == "zh-CN"


def test_the_switcher_links_to_this_page_in_each_language(client):
    html = client.get("/catalog", params={"q": "精华"}, headers=EN).text
    switch = re.search(r'<nav class="languages".*?</nav>', html, re.S).group(0)
    assert f'href="/catalog?q={quote("精华")}&amp;lang=zh-CN" hreflang="zh-CN" lang="zh-CN">中文' in switch
    assert 'hreflang="en" lang="en" aria-current="true">English' in switch


def test_the_error_page_speaks_the_language_too(client):
    zh = client.get("/catalog/NOPE", headers=ZH)
    en = client.get("/catalog/NOPE", headers=EN)
    assert zh.status_code == en.status_code == 404
    assert "找不到" in zh.text and '<html lang="zh-CN">' in zh.text
    assert "Not found" in en.text and '<html lang="en">' in en.text and "找不到" not in en.text
    assert client.get("/api/v1/products/NOPE", headers={"Accept-Language": "en"}).json()["error"]


# ---- the catalogues -----------------------------------------------------------------------------

def _catalogue_ids(language: str) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in i18n.catalogue(language) if m.id}


def test_every_message_is_translated_in_both_catalogues():
    for language in i18n.LANGUAGES:
        catalogue = i18n.catalogue(language)
        assert not catalogue.fuzzy, f"{language}: the header is marked fuzzy"
        plurals = catalogue.num_plurals
        for message in catalogue:
            if not message.id:
                continue
            assert not message.fuzzy, f"{language}: fuzzy {message.id!r}"
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert strings and all(s.strip() for s in strings), f"{language}: empty {message.id!r}"
            if isinstance(message.id, tuple):
                assert len(strings) == plurals, f"{language}: {message.id!r} needs {plurals} forms"
    assert _catalogue_ids("zh-CN") == _catalogue_ids("en")


def test_translations_keep_their_placeholders():
    """%(name)s must match exactly; {name} may only be what the code fills in (zh adds {zhe})."""
    for language in i18n.LANGUAGES:
        for message in i18n.catalogue(language):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = {m for text in ids for m in PLACEHOLDER.findall(text)}
            formatted = any(not path.endswith(".js") for path, _ in message.locations)
            for text in strings:
                # templates and Python fill these with %: a lone % would break the page
                assert not (formatted and "%" in re.sub(r"%\(\w+\)s|%%", "", text)), (language, ids)
                found = set(PLACEHOLDER.findall(text))
                assert {p for p, _ in found if p} == {p for p, _ in wanted if p}, (language, ids)
                assert {b for _, b in found if b} <= {b for _, b in wanted if b} | {"zhe"}, (language, ids)


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_catalogues_hold_exactly_what_pybabel_extract_finds():
    """Templates, the pages' scripts and the Python labels, as `pybabel extract -F babel.cfg` sees
    them: nothing untranslated, nothing left over."""
    extracted = _extracted()
    assert len(extracted) > 500
    catalogued = _catalogue_ids("zh-CN")
    assert sorted(extracted - catalogued) == [], "run pybabel update (docs/translating.md)"
    assert sorted(catalogued - extracted) == [], "obsolete messages: run pybabel update"


def test_every_script_with_text_gets_its_messages():
    """Each script that calls t() belongs to a page's bundle, and each bundle's keys translate."""
    scripts = web_root() / "static" / "js"
    bundled = {name for names in i18n.SCRIPTS.values() for name in names}
    for path in scripts.rglob("*.js"):
        name = path.relative_to(scripts).as_posix()
        if i18n.script_keys((path,)):
            assert name in bundled, f"{name} uses t() but no page sends it messages"
    zh = _catalogue_ids("zh-CN")
    for page, names in i18n.SCRIPTS.items():
        keys = i18n.script_keys(tuple(scripts / n for n in names))
        assert keys, page
        assert {k if isinstance(k, str) else k[0] for k in keys} <= zh, page


def test_the_script_messages_are_the_catalogue_s():
    zh = json.loads(i18n.script_messages("console", "zh-CN", web_root()))
    en = json.loads(i18n.script_messages("console", "en", web_root()))
    assert zh["locale"] == "zh-CN" and en["locale"] == "en"
    assert zh["messages"]["Connecting"] == "连接中" and en["messages"]["Connecting"] == "Connecting"
    assert zh["messages"]["{n} winner"] == ["{n} 名"]
    assert en["messages"]["{n} winner"] == ["{n} winner", "{n} winners"]
    assert "</" not in i18n.script_messages("console", "zh-CN", web_root())


# ---- formatting ---------------------------------------------------------------------------------

def test_money_is_formatted_from_the_decimal_never_a_float():
    amount = Decimal("12345678901234567.89")  # as a float: 12345678901234568.00
    assert f"{float(amount):,.2f}" != "12,345,678,901,234,567.89"
    assert format_money(amount, "CNY", "zh-CN") == "¥12,345,678,901,234,567.89"
    assert format_money(amount, "CNY", "en") == "CN¥12,345,678,901,234,567.89"
    assert format_money("0.10", "CNY", "zh-CN") == "¥0.10"
    assert format_money(Decimal("1999"), "USD", "en") == "$1,999.00"
    assert format_money(None, "CNY", "en") == "—"


def test_moments_keep_their_utc_offset_in_both_languages():
    moment = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    assert format_moment(moment, "Asia/Shanghai", "zh-CN") == "2026-12-10 20:00:00 UTC+08:00"
    assert format_moment(moment, "Asia/Shanghai", "en") == "Dec 10, 2026, 8:00:00\u202fPM UTC+08:00"
    assert format_moment(moment, "America/New_York", "en", seconds=False) == \
        "Dec 10, 2026, 7:00\u202fAM UTC-05:00"


def test_the_template_filters_format_for_the_page_s_language():
    env = make_templates().env
    template = env.from_string("{{ m|money }} · {{ r|percent }} · {{ n|number }} · "
                               "{{ t|local_time('Asia/Shanghai') }}"
                               " · {{ _('Catalogue') }} · {% trans count=n, n=n|number %}{{ n }} product"
                               "{% pluralize %}{{ n }} products{% endtrans %}")
    values = {"m": Decimal("1234.5"), "r": Decimal("0.125"), "n": 1234567,
              "t": datetime(2026, 12, 10, 12, 0, tzinfo=UTC)}
    assert template.render(lang="zh-CN", **values) == (
        "¥1,234.50 · 12.5% · 1,234,567 · 2026-12-10 20:00:00 UTC+08:00 · 商品库 · 1,234,567 个商品")
    assert template.render(lang="en", **values) == (
        "CN¥1,234.50 · 12.5% · 1,234,567 · Dec 10, 2026, 8:00:00\u202fPM UTC+08:00 · Catalogue"
        " · 1,234,567 products")


# ---- every page, in both languages ----------------------------------------------------------------

def _pages(show: str) -> list[tuple[str, str, str]]:
    """(address, a Chinese marker, an English marker) for every page."""
    return [
        ("/catalog", "<h1>商品库</h1>", "<h1>Catalogue</h1>"),
        ("/catalog/BT-SERUM", "<h2>规格与价格</h2>", "<h2>SKUs and prices</h2>"),
        ("/catalog/BT-SERUM/edit", "<h1>编辑商品</h1>", "<h1>Edit product</h1>"),
        ("/shows", "<h1>直播场次</h1>", "<h1>Shows</h1>"),
        ("/plans", "<h1>排品脚本</h1>", "<h1>Run sheets</h1>"),
        (f"/plans/{show}", ">自动排品</button>", ">Arrange</button>"),
        (f"/plans/{show}/host", "本环节剩余", "Slot remaining"),
        (f"/plans/{show}/sheet", "<th>卖点与话术</th>", "<th>Selling points and talk track</th>"),
        ("/clips", "<h1>切片</h1>", "<h1>Clips</h1>"),
        (f"/clips/{show}", ">保存设置</button>", ">Save settings</button>"),
        ("/replay", "<h1>复盘</h1>", "<h1>Review</h1>"),
        (f"/replay/{show}", '<h2 id="funnel">转化漏斗', '<h2 id="funnel">Funnel'),
        (f"/replay/{show}/vs/{show}", "<h2 id=\"figures\">指标</h2>", "<h2 id=\"figures\">Figures</h2>"),
        (f"/replay/{show}/report.html", '<h2 id="findings">发现', '<h2 id="findings">Findings'),
        (f"/live/{show}/console", ">中控台</span>", ">Control room</span>"),
        (f"/live/{show}/overlay/card", "直播画面</title>", "Overlay</title>"),
    ]


def test_every_page_renders_in_chinese_and_in_english(client, show):
    from studio.demo import DEMO_SHOW_ID

    for url, zh_marker, en_marker in _pages(DEMO_SHOW_ID):
        zh, en = client.get(url, headers=ZH), client.get(url, headers=EN)
        assert zh.status_code == en.status_code == 200, url
        assert '<html lang="zh-CN">' in zh.text and zh_marker in zh.text, url
        assert '<html lang="en">' in en.text and en_marker in en.text, url
        assert zh_marker not in en.text and en_marker not in zh.text, url


def test_english_pages_carry_no_chinese_interface_text(client, show):
    """On an English page Chinese may only be data (titles, tags, selling points, offer labels):
    every Chinese word of the interface's catalogue found in its text must come from the data."""
    from studio.demo import DEMO_SHOW_ID

    data = (ROOT / "studio" / "catalog" / "demo" / "catalog.csv").read_text(encoding="utf-8")
    data += json.dumps(client.get(f"/api/v1/plans/{DEMO_SHOW_ID}").json(), ensure_ascii=False)
    data += json.dumps(client.get("/api/v1/shows").json(), ensure_ascii=False)
    messages = {m.string for m in i18n.catalogue("zh-CN") if isinstance(m.string, str)}
    interface = {w for text in messages for w in re.findall(r"[\u4e00-\u9fff]{2,}", text)}
    for url, _, _ in _pages(DEMO_SHOW_ID):
        html = client.get(url, headers=EN).text
        markup = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", "", html, flags=re.S)
        texts = re.findall(r">([^<]+)<", markup)
        texts += re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]+)"', markup)
        for text in texts:
            words = set(re.findall(r"[\u4e00-\u9fff]{2,}", text)) & interface
            assert all(word in data for word in words), (url, text)


def test_the_script_messages_reach_the_page(client, show):
    from studio.demo import DEMO_SHOW_ID

    show_id = DEMO_SHOW_ID
    for url, page in ((f"/live/{show_id}/console", "console"), (f"/plans/{show_id}", "planner"),
                      (f"/plans/{show_id}/host", "host"), (f"/clips/{show_id}", "clips"),
                      (f"/live/{show_id}/overlay/coupon", "overlay"), (f"/replay/{show_id}", "replay")):
        for headers, language in ((ZH, "zh-CN"), (EN, "en")):
            html = client.get(url, headers=headers).text
            block = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', html, re.S)
            assert block, url
            data = json.loads(block.group(1))
            assert data["locale"] == language
            assert data == json.loads(i18n.script_messages(page, language, web_root()))


def test_overlays_follow_lang_in_their_address_and_keep_the_token(client, show):
    from studio.demo import DEMO_SHOW_ID

    page = client.get(f"/live/{DEMO_SHOW_ID}/overlay/coupon", params={"token": "abc", "lang": "en"},
                      headers=ZH)
    assert page.status_code == 200 and '<html lang="en">' in page.text
    console = client.get(f"/live/{DEMO_SHOW_ID}/console", params={"token": "t0k"}, headers=EN).text
    assert "token=t0k&amp;lang=zh-CN" in console  # the switcher keeps the console's token
