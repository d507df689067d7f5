"""Brand templates: finding, inheriting, overriding, validating, and the ASS they produce."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pysubs2
import pytest

from studio.errors import ValidationFailed
from studio.video.subtitles import Cue, highlight
from studio.video.templates import (
    BannerText,
    available,
    card_ass,
    clip_ass,
    fit_text,
    format_price,
    load_template,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_built_in_templates_load_and_inherit(tmp_path):
    names = available(tmp_path)
    assert {"default", "blur", "square", "landscape"} <= set(names)
    square = load_template("square", home=tmp_path)
    assert square.layout == "square" and square.size == (1080, 1080)
    assert square.banner.label == "直播价"  # inherited from default
    assert square.subtitles.size == 56  # its own


def test_a_user_template_extends_and_shadows(tmp_path):
    write(tmp_path / "templates" / "brand.yaml",
          "extends: default\nbanner: {background: '#123456', label: 到手价}\nlogo: {path: logo.png}\n")
    write(tmp_path / "templates" / "default.yaml", "extends: blur\n")  # shadows the built-in one
    brand = load_template("brand", home=tmp_path)
    assert brand.banner.background == "#123456" and brand.banner.label == "到手价"
    assert brand.banner.price == "#FFE14D"  # the rest of the banner is kept
    assert brand.layout == "blur"  # through the user's own default
    assert brand.logo.path == tmp_path / "templates" / "logo.png"  # relative to the file
    assert available(tmp_path)["default"] == tmp_path / "templates" / "default.yaml"


def test_overrides_merge_key_by_key():
    template = load_template("default", overrides={"banner": {"height": 300}, "layout": "square"})
    assert template.banner.height == 300 and template.banner.label == "直播价"
    assert template.layout == "square"


@pytest.mark.parametrize(("override", "field", "reason"), [
    ({"banner": {"background": "red"}}, "banner.background", "not a colour"),
    ({"banner": {"colour": "#FFFFFF"}}, "banner.colour", "Extra inputs"),
    ({"intro": {"text": "{name}"}}, "intro.text", "unknown placeholder"),
    ({"layout": "portrait"}, "layout", "crop"),
    ({"subtitles": {"max_lines": 9}}, "subtitles.max_lines", "less than or equal"),
])
def test_a_bad_setting_is_named_with_its_place(override, field, reason):
    with pytest.raises(ValidationFailed) as error:
        load_template("default", overrides=override)
    assert field in str(error.value) and reason in str(error.value)
    assert error.value.details[0].field == field


def test_unknown_names_and_circles_are_refused(tmp_path):
    with pytest.raises(ValidationFailed, match=r"no template 'nope'; available: .*default"):
        load_template("nope", home=tmp_path)
    write(tmp_path / "templates" / "a.yaml", "extends: b\n")
    write(tmp_path / "templates" / "b.yaml", "extends: a\n")
    with pytest.raises(ValidationFailed, match="circle"):
        load_template("a", home=tmp_path)
    write(tmp_path / "templates" / "broken.yaml", "banner: [unclosed\n")
    with pytest.raises(ValidationFailed, match=r"broken\.yaml: not a YAML template"):
        load_template("broken", home=tmp_path)


def banner_events(text: str) -> list[str]:
    subs = pysubs2.SSAFile.from_string(text)
    return [e.text for e in subs if e.style == "Banner"]


def test_the_banner_shows_title_live_price_and_a_struck_through_original():
    template = load_template("default")
    cues = highlight([Cue(0.0, 2.0, "今天只要159元")], ["精华"])
    text = clip_ass(template, cues, BannerText("烟酰胺精华 {\\b1}", Decimal("159.00"),
                                               Decimal("259.00"), "BT-1"), 10.0)
    box, title, price = banner_events(text)
    assert r"\p1" in box and "m 0 0 l 900 0 900 230 0 230" in box  # within the safe area
    assert r"\pos(40,180)" in box
    assert title.endswith("烟酰胺精华 ｛＼b1｝")  # the catalogue's text cannot add ASS tags
    assert "直播价" in price and "¥159" in price and r"原价{\s1}¥259{\s0}" in price
    subs = pysubs2.SSAFile.from_string(text)
    assert all(e.end == 10_000 for e in subs if e.style == "Banner")
    assert any("今天只要" in e.text for e in subs if e.style == "Default")  # the subtitles too


def test_no_original_when_it_is_not_higher_and_no_banner_when_off():
    template = load_template("default")
    text = clip_ass(template, [], BannerText("T", Decimal("99"), Decimal("99")), 5.0)
    assert r"\s1" not in banner_events(text)[-1]
    off = load_template("default", overrides={"banner": {"enabled": False}})
    assert banner_events(clip_ass(off, [], BannerText("T", Decimal("99")), 5.0)) == []
    bottom = load_template("default", overrides={"banner": {"position": "bottom"}})
    assert r"\pos(40,1270)" in banner_events(clip_ass(bottom, [], BannerText("T"), 5.0))[0]


def test_cards_fill_their_placeholders():
    template = load_template("default", overrides={"intro": {"seconds": 1.5}})
    fields = BannerText("每日坚果", Decimal("89.90")).fields(3, template)
    text = card_ass(template, template.intro, fields)
    assert text is not None and "每日坚果" in text and "直播价 ¥89.9" in text
    assert card_ass(template, template.outro, fields) is None  # seconds: 0


def test_long_titles_are_cut_to_fit_and_prices_read_as_shops_write_them():
    fitted = fit_text("超长的商品标题" * 10, 500, 50)
    assert fitted.endswith("…") and len(fitted) <= 10
    assert fit_text("short", 500, 50) == "short"
    assert [format_price(Decimal(v)) for v in ("159.00", "89.90", "99.95")] == \
        ["¥159", "¥89.9", "¥99.95"]
    assert format_price(None) == ""
