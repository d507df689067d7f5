"""Brand templates for clips: YAML files naming fonts, colours, positions, banner style and safe areas.

A template is looked up by name — the user's ``<STUDIO_HOME>/templates/<name>.yaml`` first, then
the ones Studio ships (``studio/video/template_files``) — or given as a path. A template may
``extends:`` another; a clip may override any field (a cut list's ``overrides`` mapping), merged
key by key over the template before it is validated, so a typo is named with its place.

The banner and the intro/outro cards are ASS (drawn boxes and text), burned by libass in the same
ffmpeg pass as the subtitles: CJK text, strike-through 原价 and colours come out identical in every
player, and no Python touches a frame.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import pysubs2
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from studio.errors import ErrorDetail, ValidationFailed
from studio.video.subtitles import Highlighted, escape_ass, to_ass

BUILTIN_DIR = Path(__file__).with_name("template_files")
PLACEHOLDERS = {"title", "sku", "price", "original_price", "label", "index"}
SIZES = {"crop": (1080, 1920), "blur": (1080, 1920), "square": (1080, 1080),
         "landscape": (1920, 1080)}


def _colour(value: str) -> str:
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        raise ValueError(f"{value!r} is not a colour #RRGGBB")
    return value.upper()


def _placeholders(value: str) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ValueError(f"{value!r}: {exc}") from None
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ValueError(f"unknown placeholder(s) {', '.join(sorted(unknown))}; "
                         f"use {', '.join(sorted(PLACEHOLDERS))}")
    return value


Colour = Annotated[str, AfterValidator(_colour)]
CardText = Annotated[str, AfterValidator(_placeholders)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SafeArea(_Part):
    """Pixels of the output the platform covers with its own UI (Douyin: title, buttons, comments)."""

    top: int = Field(180, ge=0)
    bottom: int = Field(420, ge=0)
    left: int = Field(40, ge=0)
    right: int = Field(140, ge=0)


class SubtitleStyle(_Part):
    enabled: bool = True
    font: str = "Noto Sans CJK SC"
    size: int = Field(72, ge=12, le=300)
    colour: Colour = "#FFFFFF"
    highlight: Colour = "#FFD400"
    unsung: Colour = "#BFBFBF"
    outline: Colour = "#000000"
    max_cjk: int = Field(14, ge=4, le=40)
    max_latin: int = Field(32, ge=8, le=80)
    max_lines: int = Field(2, ge=1, le=3)
    keywords: tuple[str, ...] = ()
    highlight_prices: bool = True


class BannerStyle(_Part):
    enabled: bool = True
    position: Literal["top", "bottom"] = "top"
    offset: int = Field(0, ge=0, description="pixels inside the safe area's edge")
    height: int = Field(230, ge=60, le=800)
    background: Colour = "#E6212A"
    opacity: float = Field(0.92, ge=0, le=1)
    font: str | None = None  # default: the subtitle font
    text: Colour = "#FFFFFF"
    price: Colour = "#FFE14D"
    title_size: int = Field(58, ge=12, le=200)
    price_size: int = Field(96, ge=12, le=300)
    original_size: int = Field(46, ge=12, le=200)
    label: str = "直播价"
    original_label: str = "原价"
    show_original: bool = True
    currency: str = "¥"
    padding: int = Field(32, ge=0, le=200)


class LogoStyle(_Part):
    path: Path | None = None
    width: int = Field(160, ge=16, le=1080)
    corner: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = "top-right"


class CardStyle(_Part):
    """An intro or outro card: a coloured frame with text; ``seconds: 0`` leaves it out."""

    seconds: float = Field(0, ge=0, le=10)
    text: CardText = "{title}"
    subtext: CardText = ""
    background: Colour = "#111111"
    colour: Colour = "#FFFFFF"
    accent: Colour = "#FFE14D"
    size: int = Field(96, ge=12, le=300)
    subsize: int = Field(72, ge=12, le=300)


class MusicStyle(_Part):
    """Background music under the clip, ducked while someone speaks (sidechain compression)."""

    path: Path | None = None
    volume_db: float = Field(-20.0, ge=-60, le=0)
    duck: bool = True
    duck_ratio: float = Field(12.0, ge=1, le=20)
    fade: float = Field(1.0, ge=0, le=10)


class Template(_Part):
    name: str = "default"
    description: str = ""
    layout: Literal["crop", "blur", "square", "landscape"] = "crop"
    focus_x: float = Field(0.5, ge=0, le=1)
    fps: int = Field(30, ge=10, le=60)
    crf: int = Field(20, ge=0, le=51)
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                    "slower", "veryslow"] = "veryfast"
    loudness: float = Field(-14.0, ge=-40, le=-5)
    true_peak: float = Field(-1.0, ge=-9, le=0)
    safe_area: SafeArea = SafeArea()
    subtitles: SubtitleStyle = SubtitleStyle()
    banner: BannerStyle = BannerStyle()
    logo: LogoStyle = LogoStyle()
    intro: CardStyle = CardStyle()
    outro: CardStyle = CardStyle(text="", subtext="")
    music: MusicStyle = MusicStyle()

    @property
    def size(self) -> tuple[int, int]:
        return SIZES[self.layout]


@dataclass(frozen=True, slots=True)
class BannerText:
    """What a clip sells: its title and prices (Decimal, never float)."""

    title: str | None = None
    price: Decimal | None = None
    original_price: Decimal | None = None
    sku: str | None = None

    def fields(self, index: int, template: Template) -> dict[str, str]:
        return {"title": self.title or "", "sku": self.sku or "", "index": str(index),
                "price": format_price(self.price, template.banner.currency),
                "original_price": format_price(self.original_price, template.banner.currency),
                "label": template.banner.label}


def format_price(value: Decimal | None, currency: str = "¥") -> str:
    """``¥159``, ``¥89.9``, ``¥99.95``: as shops write prices; empty for no price."""
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return currency + text


# -- finding and loading ---------------------------------------------------------------------

def template_dirs(home: Path | None) -> list[Path]:
    return ([Path(home) / "templates"] if home is not None else []) + [BUILTIN_DIR]


def available(home: Path | None = None) -> dict[str, Path]:
    """Template names and their files; the user's shadow the built-in ones of the same name."""
    return _named(template_dirs(home))


def _named(folders: list[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in reversed(folders):
        if folder.is_dir():
            for path in sorted(folder.glob("*.yaml")):
                found[path.stem] = path
    return dict(sorted(found.items()))


def load_template(name_or_path: str | Path | None = None, *, home: Path | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Template:
    """The named (or given) template with ``overrides`` merged over it, validated."""
    data = _template_data(str(name_or_path or "default"), template_dirs(home), seen=())
    return template_from(data, overrides, source=str(name_or_path or "default"))


def template_from(data: Mapping[str, Any], overrides: Mapping[str, Any] | None = None, *,
                  source: str = "template") -> Template:
    merged = deep_merge(dict(data), overrides or {})
    try:
        return Template.model_validate(merged)
    except ValidationError as exc:
        details = [ErrorDetail(error["msg"], field=".".join(str(p) for p in error["loc"]))
                   for error in exc.errors()]
        where = "; ".join(f"{d.field}: {d.message}" for d in details[:5])
        raise ValidationFailed(f"{source}: {where}", details=details) from None


def with_overrides(template: Template, overrides: Mapping[str, Any] | None) -> Template:
    if not overrides:
        return template
    return template_from(template.model_dump(mode="json"), overrides,
                         source=f"{template.name} (clip overrides)")


def _template_data(name: str, folders: list[Path], seen: tuple[str, ...]) -> dict[str, Any]:
    import yaml

    path = Path(name)
    if path.suffix.lower() not in (".yaml", ".yml"):
        names = _named(folders)
        if name not in names:
            raise ValidationFailed(f"no template {name!r}; available: {', '.join(names) or 'none'}")
        path = names[name]
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such template file")
    if str(path.resolve()) in seen:
        raise ValidationFailed(f"{path.name}: 'extends' goes round in a circle")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"{path.name}: not a YAML template ({exc})") from None
    if not isinstance(data, dict):
        raise ValidationFailed(f"{path.name}: a template is a mapping of settings")
    data.setdefault("name", path.stem)
    for key in ("logo", "music"):  # relative media paths are relative to the template file
        part = data.get(key)
        if isinstance(part, dict) and part.get("path") and not Path(part["path"]).is_absolute():
            part["path"] = str(path.parent / part["path"])
    parent = data.pop("extends", None)
    if parent:
        # A template extends one at its own level or below: a user's "default" may extend the
        # built-in "default", and the built-in "blur" always extends the built-in "default".
        level = next((i for i, f in enumerate(folders) if path.parent.resolve() == f.resolve()), 0)
        below = folders[level + 1:] if str(parent) == path.stem else folders[level:]
        base = _template_data(str(parent), below, (*seen, str(path.resolve())))
        base.pop("description", None)
        data = deep_merge(base, data)
    return data


def deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


# -- ASS: subtitles, banner, cards -----------------------------------------------------------

def clip_ass(template: Template, cues: list[Highlighted], banner: BannerText | None,
             duration: float, index: int = 1) -> str:
    """One ASS file for a clip: its subtitles (above the platform's bottom UI) and its banner."""
    width, height = template.size
    style = template.subtitles
    text = to_ass(cues if style.enabled else [], font=style.font, size=style.size,
                  play_res=(width, height), margin_v=template.safe_area.bottom,
                  primary=style.colour, highlight=style.highlight, unsung=style.unsung,
                  outline=style.outline)
    subs = pysubs2.SSAFile.from_string(text)
    if banner is not None and template.banner.enabled and (banner.title or banner.price):
        _add_banner(subs, template, banner, duration)
    return subs.to_string("ass")


def _add_banner(subs: pysubs2.SSAFile, template: Template, banner: BannerText,
                duration: float) -> None:
    width, height = template.size
    style, safe = template.banner, template.safe_area
    font = style.font or template.subtitles.font
    box_w = width - safe.left - safe.right
    top = (safe.top + style.offset if style.position == "top"
           else height - safe.bottom - style.offset - style.height)
    left, pad = safe.left, style.padding
    subs.styles["Banner"] = pysubs2.SSAStyle(
        fontname=font, fontsize=style.title_size, bold=True, primarycolor=_colour(style.text),
        outlinecolor=_colour("#000000"), outline=0, shadow=0, alignment=pysubs2.Alignment.TOP_LEFT,
        marginl=0, marginr=0, marginv=0)
    end = round(duration * 1000)
    alpha = f"&H{round((1 - style.opacity) * 255):02X}&"
    box = (rf"{{\pos({left},{top})\p1\1c{_ass_colour(style.background)}\1a{alpha}}}"
           f"m 0 0 l {box_w} 0 {box_w} {style.height} 0 {style.height}{{\\p0}}")
    subs.append(pysubs2.SSAEvent(start=0, end=end, style="Banner", layer=0, text=box))
    if banner.title:
        title = fit_text(banner.title, box_w - 2 * pad, style.title_size)
        subs.append(pysubs2.SSAEvent(start=0, end=end, style="Banner", layer=1,
                                     text=rf"{{\pos({left + pad},{top + pad})}}" + escape_ass(title)))
    if banner.price is not None:
        price = (rf"{{\fs{style.title_size}}}{escape_ass(style.label)} "
                 rf"{{\fs{style.price_size}\1c{_ass_colour(style.price)}}}"
                 + escape_ass(format_price(banner.price, style.currency)))
        if style.show_original and banner.original_price and banner.original_price > banner.price:
            price += (rf"{{\fs{style.original_size}\1c{_ass_colour(style.text)}}}  "
                      rf"{escape_ass(style.original_label)}{{\s1}}"
                      + escape_ass(format_price(banner.original_price, style.currency)) + r"{\s0}")
        subs.append(pysubs2.SSAEvent(
            start=0, end=end, style="Banner", layer=1,
            text=rf"{{\an1\pos({left + pad},{top + style.height - pad // 2})}}" + price))


def card_ass(template: Template, card: CardStyle, fields: Mapping[str, str]) -> str | None:
    """ASS for an intro or outro card (centred text on the card's colour), or None when it is off."""
    if card.seconds <= 0:
        return None
    width, height = template.size
    subs = pysubs2.SSAFile()
    subs.info.update({"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "0"})
    font = template.subtitles.font
    subs.styles["Card"] = pysubs2.SSAStyle(
        fontname=font, fontsize=card.size, bold=True, primarycolor=_colour(card.colour),
        outline=0, shadow=0, alignment=pysubs2.Alignment.MIDDLE_CENTER)
    end = round(card.seconds * 1000)
    text = card.text.format_map(fields).strip()
    sub = card.subtext.format_map(fields).strip()
    lines = []
    if text:
        lines.append(escape_ass(fit_text(text, width - 160, card.size)))
    if sub:
        lines.append(rf"{{\fs{card.subsize}\1c{_ass_colour(card.accent)}}}"
                     + escape_ass(fit_text(sub, width - 160, card.subsize)))
    if not lines:
        return None
    subs.append(pysubs2.SSAEvent(start=0, end=end, style="Card",
                                 text=rf"{{\pos({width // 2},{height // 2})}}" + r"\N".join(lines)))
    return subs.to_string("ass")


def fit_text(text: str, width_px: int, size: int) -> str:
    """Cut ``text`` with an ellipsis so it fits one line ``width_px`` wide at font ``size``."""
    from studio.video.subtitles import is_wide

    def advance(char: str) -> float:
        return size if is_wide(char) else size * 0.56

    total = 0.0
    for position, char in enumerate(text):
        total += advance(char)
        if total > width_px:
            kept = text[:position]
            while kept and sum(map(advance, kept)) + size > width_px:
                kept = kept[:-1]
            return kept.rstrip() + "…"
    return text


def _colour(hex_rgb: str) -> pysubs2.Color:
    return pysubs2.Color(int(hex_rgb[1:3], 16), int(hex_rgb[3:5], 16), int(hex_rgb[5:7], 16))


def _ass_colour(hex_rgb: str) -> str:
    return f"&H{hex_rgb[5:7]}{hex_rgb[3:5]}{hex_rgb[1:3]}&".upper()
