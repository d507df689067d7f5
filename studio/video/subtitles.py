"""Subtitles for vertical product clips: load a transcript, cut it to a clip, re-break it, write it.

A transcript (SRT, VTT or ASS read by pysubs2, or word-level JSON from whisper / faster-whisper)
becomes a list of ``Cue`` with times in seconds. ``clip_cues`` shifts it to clip time, ``resegment``
re-breaks it for a 9:16 frame, ``highlight`` marks product names and prices (商品名, 价格), and
``to_srt`` / ``to_ass`` / ``export`` write it. Pure functions, deterministic, no ffmpeg, no database.

Line width is counted in integer units so the limits are exact: a CJK or full-width character is
``max_latin`` units, any other character ``max_cjk`` units, and a line holds ``max_cjk * max_latin``
units — 14 Chinese characters, 32 Latin ones, or a mix in proportion (cjk/14 + latin/32 ≤ 1).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import accumulate, pairwise
from pathlib import Path

import pysubs2

from studio.errors import ValidationFailed
from studio.tabular import write_atomic

MAX_TRANSCRIPT_BYTES = 50 * 1024 * 1024  # a 10-hour stream's word-level JSON is well under 10 MB
WORD_GAP = 1.0  # seconds of silence that end a cue when a transcript is a bare list of words
SUBTITLE_SUFFIXES = {".srt", ".vtt", ".ass", ".ssa"}
BREAK_AFTER = "，。！？、；：,.!?;:…）)」』”’》】〕"  # a line may end after these
NO_BREAK_BEFORE = BREAK_AFTER + "%％"  # never start a line with closing punctuation (禁则)
NO_BREAK_AFTER = "（(「『“‘《【〔￥¥$"  # never end a line on an opening bracket or a currency sign
UNITS = "元块折万千%％"  # kept with the number before them: "199元" is one price
SENTENCE_END = "。！？!?"
LATIN_READING = 14 / 32  # a Latin character takes this share of a CJK one to read: 9 CJK/s ≈ 20 Latin/s
_AMOUNT = r"\d+(?:,\d{3})*(?:\.\d+)?"
PRICE = rf"[¥￥]\s?{_AMOUNT}(?:\s?[元块])?|{_AMOUNT}\s?[元块]"  # ¥199, ￥1,299.00, 99元, 50块
ASS_ESCAPES = {"\n": r"\N", "{": "｛", "}": "｝", "\\": "＼"}


@dataclass(frozen=True, slots=True)
class Word:
    """One spoken word with its own timing (seconds)."""

    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle: its time span in seconds, its text (lines separated by "\\n"), its words if known."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class Highlighted:
    """A cue and the (start, end) character spans of its text to colour."""

    cue: Cue
    spans: tuple[tuple[int, int], ...] = ()


def load_transcript(path: Path | str) -> list[Cue]:
    """Read SRT, VTT, ASS or word-level JSON; ValidationFailed naming the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such file")
    if path.stat().st_size > MAX_TRANSCRIPT_BYTES:
        raise ValidationFailed(f"{path.name}: too large for a transcript (over 50 MB)")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValidationFailed(
            f"{path.name}: not UTF-8 text (first bad byte on line {line}); save the transcript as UTF-8"
        ) from None
    cues = _read_cues(text, path.name, path.suffix.lower())
    if not cues:
        raise ValidationFailed(f"{path.name}: the transcript has no subtitles")
    return sorted(cues, key=lambda cue: (cue.start, cue.end))


def _read_cues(text: str, name: str, suffix: str) -> list[Cue]:
    if suffix not in SUBTITLE_SUFFIXES:  # content decides for .json, .txt and files without a suffix
        try:
            return _from_json(json.loads(text), name)
        except json.JSONDecodeError as exc:
            if suffix == ".json":
                raise ValidationFailed(
                    f"{name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
                ) from None
    try:
        with warnings.catch_warnings():
            # pysubs2 warns about style fields it could not parse; only times and text matter here.
            warnings.simplefilter("ignore", RuntimeWarning)
            subs = pysubs2.SSAFile.from_string(text)  # by content: a .srt that is really VTT still reads
    except pysubs2.FormatAutodetectionError:
        raise ValidationFailed(f"{name}: not a subtitle file (no SRT, VTT or ASS cues found)") from None
    except (pysubs2.Pysubs2Error, ValueError, LookupError, TypeError) as exc:
        raise ValidationFailed(f"{name}: unreadable subtitle file ({str(exc)[:200]})") from None
    cues = []
    for number, event in enumerate((e for e in subs if e.is_text), start=1):
        start, end = event.start / 1000, event.end / 1000
        _check_times(start, end, f"{name}: cue {number}")
        text = "\n".join(line.strip() for line in event.plaintext.strip().splitlines())
        if text:
            cues.append(Cue(start, end, text))
    return cues


def _from_json(data: object, name: str) -> list[Cue]:
    """whisper-style {"segments": [...]} (words optional), or a bare list of timed words."""
    if isinstance(data, dict) and isinstance(data.get("segments"), list):
        data = data["segments"]
    elif not isinstance(data, list):
        raise ValidationFailed(f'{name}: expected a list of words or an object with "segments"')
    if not any(isinstance(item, dict) and "words" in item for item in data):
        words = [_parse_word(item, f"{name}: word {n}") for n, item in enumerate(data, start=1)]
        return _group_words(sorted((w for w in words if w[1].text), key=lambda w: w[1].start))
    cues = []
    for number, segment in enumerate(data, start=1):
        where = f"{name}: segment {number}"
        if not isinstance(segment, dict):
            raise ValidationFailed(f"{where} is not an object")
        start, end = _seconds(segment, "start", where), _seconds(segment, "end", where)
        _check_times(start, end, where)
        raw = segment.get("words") or []
        if not isinstance(raw, list):
            raise ValidationFailed(f'{where}: "words" must be a list')
        words = [_parse_word(item, f"{where}, word {n}") for n, item in enumerate(raw, start=1)]
        words = [w for w in words if w[1].text]
        if words:
            cue = _cue_from_words(words)
            cues.append(replace(cue, start=min(start, cue.start), end=max(end, cue.end)))
        elif isinstance(segment.get("text"), str) and segment["text"].strip():
            cues.append(Cue(start, end, segment["text"].strip()))
    return cues


def _parse_word(item: object, where: str) -> tuple[str, Word]:
    """(the word as written, with whisper's leading space; the Word with its text stripped)."""
    if not isinstance(item, dict):
        raise ValidationFailed(f"{where} is not an object")
    raw = item.get("word", item.get("text"))
    if not isinstance(raw, str):
        raise ValidationFailed(f'{where}: "word" or "text" must be a string')
    start, end = _seconds(item, "start", where), _seconds(item, "end", where)
    _check_times(start, end, where)
    return raw, Word(start, end, raw.strip())


def _group_words(words: list[tuple[str, Word]]) -> list[Cue]:
    """Cut a bare word list into cues at pauses and sentence ends; resegment() does the rest."""
    groups: list[list[tuple[str, Word]]] = []
    for raw, word in words:
        last = groups[-1][-1][1] if groups else None
        if last is None or word.start - last.end > WORD_GAP or last.text[-1] in SENTENCE_END:
            groups.append([])
        groups[-1].append((raw, word))
    return [_cue_from_words(group) for group in groups]


def _cue_from_words(words: list[tuple[str, Word]]) -> Cue:
    text = ""
    for raw, word in words:
        # whisper marks Latin word starts with a space; a bare list has none, so separate Latin words.
        if text and (raw[:1].isspace() or (_is_latin_alnum(text[-1]) and _is_latin_alnum(word.text[0]))):
            text += " "
        text += word.text
    timed = tuple(word for _, word in words)
    return Cue(timed[0].start, max(w.end for w in timed), text, timed)


def _seconds(item: dict[str, object], key: str, where: str) -> float:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationFailed(f'{where}: "{key}" must be a number of seconds (got {value!r})')
    return float(value)


def _check_times(start: float, end: float, where: str) -> None:
    if start < 0:
        raise ValidationFailed(f"{where}: starts at a negative time ({start:.3f} s)")
    if end < start:
        raise ValidationFailed(f"{where}: ends ({end:.3f} s) before it starts ({start:.3f} s)")


def clip_cues(cues: Iterable[Cue], start: float, end: float) -> list[Cue]:
    """The cues overlapping [start, end), trimmed to it and shifted so that ``start`` is 0."""
    if not 0 <= start < end:
        raise ValidationFailed(f"a clip needs 0 ≤ start < end (got {start} to {end})")
    clipped = []
    for cue in cues:
        if cue.end <= start or cue.start >= end:
            continue
        kept = [i for i, w in enumerate(cue.words) if w.end > start and w.start < end]
        words = tuple(Word(_ms(max(w.start, start) - start), _ms(min(w.end, end) - start), w.text)
                      for w in (cue.words[i] for i in kept))
        spans = _word_spans(cue)
        # With word timings, show only what is said inside the clip, not the half of the cue before it.
        text = cue.text[spans[kept[0]][0] : spans[kept[-1]][1]] if spans and kept else cue.text
        clipped.append(Cue(_ms(max(cue.start, start) - start), _ms(min(cue.end, end) - start), text, words))
    return clipped


@dataclass(frozen=True, slots=True)
class _Atom:
    """A piece of text no line break may split: a CJK character or a Latin word/number, with punctuation."""

    start: int  # offsets in the cue's text
    end: int
    text: str
    space: bool  # shown with a space before it when it does not start a line
    width: int  # in _Measure units, without the space


@dataclass(frozen=True, slots=True)
class _Measure:
    max_cjk: int
    max_latin: int

    @property
    def limit(self) -> int:
        return self.max_cjk * self.max_latin

    def width(self, text: str) -> int:
        return sum(self.max_latin if _is_wide(c) else self.max_cjk for c in text)

    def widths(self, line: Sequence[_Atom]) -> list[int]:
        """Running widths: ``widths(line)[k]`` is the width of ``line[: k + 1]``."""
        return list(accumulate(a.width + (self.max_cjk if a.space and k else 0) for k, a in enumerate(line)))


def resegment(
    cues: Iterable[Cue],
    *,
    max_cjk: int = 14,
    max_latin: int = 32,
    max_lines: int = 2,
    min_duration: float = 0.8,
    max_duration: float = 6.0,
    chars_per_second: float = 9.0,
) -> list[Cue]:
    """Re-break cues for a vertical frame: short lines, at most ``max_lines`` per cue, readable durations.

    ``chars_per_second`` is a reading speed in CJK characters (9 is Netflix's Simplified Chinese
    guideline); a Latin character counts 14/32 of one, so 9 is about 20 Latin characters a second.
    """
    positive = min(max_cjk, max_latin, max_lines) >= 1 and min(max_duration, chars_per_second) > 0
    if not positive or not 0 <= min_duration <= max_duration:
        raise ValidationFailed("subtitle limits must be positive, with min_duration ≤ max_duration")
    measure = _Measure(max_cjk, max_latin)
    pieces = [p for cue in cues for p in _resegment_cue(cue, measure, max_lines, max_duration)]
    pieces.sort(key=lambda cue: (cue.start, cue.end))
    return _give_reading_time(pieces, min_duration, max_duration, chars_per_second)


def _resegment_cue(cue: Cue, measure: _Measure, max_lines: int, max_duration: float) -> list[Cue]:
    spans = _word_spans(cue)
    atoms = _atoms(cue.text, spans, measure)
    groups = _groups(atoms, measure, max_lines)
    pieces = []
    for group, piece in zip(groups, _timed(cue, spans, groups, cue.start, cue.end, measure), strict=True):
        flat = [a for line in group for a in line]
        # round(): 6.0000001 s of float noise must not make a second part
        parts = min(math.ceil(round((piece.end - piece.start) / max_duration, 6)), len(flat))
        if parts <= 1:
            pieces.append(piece)
            continue
        shorter = [g for run in _even_chunks(flat, parts) for g in _groups(run, measure, max_lines)]
        pieces.extend(_timed(cue, spans, shorter, piece.start, piece.end, measure))
    return pieces


def _atoms(text: str, spans: list[tuple[int, int]] | None, measure: _Measure) -> list[_Atom]:
    """Split text into unbreakable atoms, then glue the ones a break must not separate."""
    word_of = [-1] * len(text)
    for index, (a, b) in enumerate(spans or ()):
        word_of[a:b] = [index] * (b - a)
    atoms: list[_Atom] = []
    i, gap = 0, ""
    while i < len(text):
        if text[i].isspace():
            i, gap = i + 1, gap + text[i]
            continue
        j = i + 1
        if not _is_wide(text[i]):  # a run of Latin letters, digits and signs is one word: iPhone15, ¥199.00
            while j < len(text) and not text[j].isspace() and not _is_wide(text[j]):
                j += 1
        space = bool(atoms) and _keeps_space(gap, atoms[-1].text[-1], text[i])
        atom = _Atom(i, j, text[i:j], space, measure.width(text[i:j]))
        if atoms and not space and _inseparable(atoms[-1], atom, word_of):
            before = atoms.pop()
            atom = _Atom(before.start, j, before.text + atom.text, before.space, before.width + atom.width)
        atoms.append(atom)
        i, gap = j, ""
    return atoms


def _keeps_space(gap: str, before: str, after: str) -> bool:
    # A newline between two Chinese characters is only where someone wrapped the line; a real space
    # there is a pause (剪映-style ASR writes spaces instead of punctuation) and stays.
    return bool(gap) and (gap.strip("\r\n") != "" or not (_is_wide(before) and _is_wide(after)))


def _inseparable(a: _Atom, b: _Atom, word_of: list[int]) -> bool:
    return (
        b.text[0] in NO_BREAK_BEFORE
        or a.text[-1] in NO_BREAK_AFTER
        or (a.text[-1].isdigit() and b.text[0] in UNITS)
        or word_of[a.end - 1] == word_of[b.start] != -1  # one ASR word: its karaoke syllable stays whole
    )


def _groups(atoms: list[_Atom], measure: _Measure, max_lines: int) -> list[list[list[_Atom]]]:
    lines = _break_lines(atoms, measure)
    return [lines[i : i + max_lines] for i in range(0, len(lines), max_lines)]


def _break_lines(atoms: list[_Atom], measure: _Measure) -> list[list[_Atom]]:
    """Greedy filling; an atom wider than a whole line gets a line of its own rather than being split."""
    lines: list[list[_Atom]] = []
    line: list[_Atom] = []
    width = 0
    for atom in atoms:
        width += atom.width + (measure.max_cjk if atom.space and line else 0)
        line.append(atom)
        while len(line) > 1 and width > measure.limit:
            cut = _best_cut(line, measure)
            lines.append(line[:cut])
            line = line[cut:]
            width = measure.widths(line)[-1]
    return [*lines, line] if line else lines


def _best_cut(line: list[_Atom], measure: _Measure) -> int:
    """Where to end an over-full line: after punctuation if that keeps it at least half full."""
    widths = measure.widths(line)
    fitting = [k for k in range(1, len(line)) if widths[k - 1] <= measure.limit] or [1]
    half_full = [k for k in fitting if 2 * widths[k - 1] >= measure.limit]
    preferred = [k for k in half_full if _good_break(line[k - 1], line[k])]
    return (preferred or fitting)[-1]


def _good_break(before: _Atom, after: _Atom) -> bool:
    # A space between Chinese characters is a spoken pause: as good a place to break as a comma.
    pause = after.space and _is_wide(before.text[-1]) and _is_wide(after.text[0])
    return before.text[-1] in BREAK_AFTER or pause


def _even_chunks(atoms: list[_Atom], parts: int) -> list[list[_Atom]]:
    """Cut atoms into ``parts`` runs of about equal width (for a cue that stays up too long)."""
    widths = list(accumulate(a.width for a in atoms))
    cuts: list[int] = []
    for j in range(1, parts):
        target = widths[-1] * j / parts
        k = min(range(1, len(atoms)), key=lambda k: (abs(widths[k - 1] - target), k))
        if k > (cuts[-1] if cuts else 0):
            cuts.append(k)
    edges = [0, *cuts, len(atoms)]
    return [atoms[a:b] for a, b in pairwise(edges)]


def _timed(cue: Cue, spans: list[tuple[int, int]] | None, groups: list[list[list[_Atom]]],
           start: float, end: float, measure: _Measure) -> list[Cue]:
    """One cue per group, covering [start, end] without gaps: each group begins when its first word is
    spoken if word timings fit the text, otherwise time is shared in proportion to text width."""
    bounds = [(g[0][0].start, g[-1][-1].end) for g in groups]
    timed = list(zip(cue.words, spans or (), strict=False))
    words = [tuple(w for w, (s, _) in timed if a <= s < b) for a, b in bounds]
    if spans and all(words):
        cuts = list(accumulate((min(max(ws[0].start, start), end) for ws in words[1:]), max))
    else:
        widths = [sum(measure.widths(line)[-1] for line in g) for g in groups]
        cuts = [start + (end - start) * acc / (sum(widths) or 1) for acc in accumulate(widths[:-1])]
    edges = [start, *cuts, end]
    return [Cue(_ms(edges[i]), _ms(edges[i + 1]), _render(g), words[i]) for i, g in enumerate(groups)]


def _render(group: list[list[_Atom]]) -> str:
    lines = ("".join((" " if a.space and k else "") + a.text for k, a in enumerate(line)) for line in group)
    return "\n".join(lines)


def _give_reading_time(cues: list[Cue], min_duration: float, max_duration: float, cps: float) -> list[Cue]:
    """Lengthen cues too short to read, taking time only from the silence before the next cue."""
    result = []
    for index, cue in enumerate(cues):
        reading = sum(1 if _is_wide(c) else LATIN_READING for c in cue.text if c != "\n") / cps
        wanted = min(max(min_duration, reading), max_duration)
        end = cue.end
        if end - cue.start < wanted:
            next_start = cues[index + 1].start if index + 1 < len(cues) else math.inf
            end = max(end, min(cue.start + wanted, next_start))
        result.append(replace(cue, end=_ms(end)))
    return result


def highlight(cues: Iterable[Cue], keywords: Iterable[str] = (), *, prices: bool = True) -> list[Highlighted]:
    """Mark product names (case-insensitive) and, unless ``prices=False``, prices such as ¥199 or 99元."""
    names = sorted({" ".join(k.split()) for k in keywords if k.strip()}, key=lambda k: (-len(k), k))
    parts = [_keyword_pattern(name) for name in names] + ([PRICE] if prices else [])
    pattern = re.compile("|".join(parts) or "(?!)", re.IGNORECASE)  # (?!) matches nothing
    return [Highlighted(cue, tuple(m.span() for m in pattern.finditer(cue.text))) for cue in cues]


def _keyword_pattern(keyword: str) -> str:
    # resegment() may have put a line break inside a product name; match across it.
    body = r"\n?".join(r"\s+" if c == " " else re.escape(c) for c in keyword)
    # "Pro" must not light up inside "Product"; digits may follow ("iPhone" in "iPhone15").
    lead = r"(?<![A-Za-z])" if _is_latin_alnum(keyword[0]) and keyword[0].isalpha() else ""
    tail = r"(?![A-Za-z])" if _is_latin_alnum(keyword[-1]) and keyword[-1].isalpha() else ""
    return lead + body + tail


def to_srt(cues: Iterable[Cue | Highlighted]) -> str:
    """SubRip text, written by pysubs2."""
    subs = pysubs2.SSAFile()
    for item in cues:
        cue = item.cue if isinstance(item, Highlighted) else item
        text = cue.text.replace("\n", r"\N")
        subs.append(pysubs2.SSAEvent(start=_msec(cue.start), end=_msec(cue.end), text=text))
    # The text is plain: without keep_ssa_tags pysubs2 would read a viewer's "{\b1}" as a tag and drop it.
    return subs.to_string("srt", keep_ssa_tags=True)


def to_ass(
    cues: Iterable[Cue | Highlighted],
    *,
    font: str = "Noto Sans CJK SC",
    size: int = 72,
    play_res: tuple[int, int] = (1080, 1920),
    margin_v: int = 400,
    primary: str = "#FFFFFF",
    highlight: str = "#FFD400",
    unsung: str = "#BFBFBF",
    outline: str = "#000000",
) -> str:
    """ASS for burning in: keywords in ``highlight``, karaoke (``unsung`` until spoken) when words are timed.

    ``margin_v`` defaults to about a fifth of 1920 because Douyin and Kuaishou lay the title and
    buttons over the bottom of a vertical video.
    """
    subs = pysubs2.SSAFile()
    # WrapStyle 0: our breaks come first; libass wraps further only a line that would still overflow.
    subs.info.update({"PlayResX": str(play_res[0]), "PlayResY": str(play_res[1]), "WrapStyle": "0"})
    subs.styles["Default"] = pysubs2.SSAStyle(
        fontname=font, fontsize=size, bold=True, primarycolor=_colour(primary),
        secondarycolor=_colour(unsung), outlinecolor=_colour(outline), backcolor=_colour(outline),
        outline=max(2, round(size / 18)), shadow=0, alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginl=size // 3, marginr=size // 3, marginv=margin_v,
    )
    on, off = rf"{{\1c{_ass_colour(highlight)}}}", rf"{{\1c{_ass_colour(primary)}}}"
    for item in cues:
        marked = item if isinstance(item, Highlighted) else Highlighted(item)
        text = _ass_text(marked, on, off)
        subs.append(pysubs2.SSAEvent(start=_msec(marked.cue.start), end=_msec(marked.cue.end), text=text))
    return subs.to_string("ass")


def _ass_text(marked: Highlighted, on: str, off: str) -> str:
    """The cue's text with colour and karaoke tags; the text itself is escaped so it cannot add tags."""
    # Sorted by place, then: colour off, karaoke lead-in, word syllable, colour on.
    colours = [(e, 0, off) for _, e in marked.spans] + [(s, 3, on) for s, _ in marked.spans]
    tags = sorted(colours + _karaoke(marked.cue))
    out, t = [], 0
    for i, char in enumerate(marked.cue.text):
        while t < len(tags) and tags[t][0] <= i:
            out.append(tags[t][2])
            t += 1
        # Full-width look-alikes rather than "\{": VSFilter-based players know no escapes at all.
        out.append(ASS_ESCAPES.get(char, char))
    return "".join(out)


def _karaoke(cue: Cue) -> list[tuple[int, int, str]]:
    """\\k tags (centiseconds) at each word; rounded on a running clock so the syllables do not drift."""
    spans = _word_spans(cue)
    if not spans:
        return []

    def centis(t: float) -> int:
        return round((min(max(t, cue.start), cue.end) - cue.start) * 100)

    starts = list(accumulate((centis(w.start) for w in cue.words), max))
    ends = [*starts[1:], max(centis(cue.words[-1].end), starts[-1])]
    lead = [(0, 1, rf"{{\k{starts[0]}}}")] if starts[0] else []
    return lead + [(s, 2, rf"{{\k{b - a}}}") for (s, _), a, b in zip(spans, starts, ends, strict=True)]


def export(cues: Sequence[Cue | Highlighted], path: Path | str, **ass_options: object) -> None:
    """Write .srt or .ass by the file's extension, atomically (a failed export leaves the old file)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".srt":
        text = to_srt(cues)
    elif suffix == ".ass":
        text = to_ass(cues, **ass_options)  # type: ignore[arg-type]
    else:
        raise ValidationFailed(f"{path.name}: unsupported subtitle type '{suffix}' (use .srt or .ass)")
    write_atomic(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def _word_spans(cue: Cue) -> list[tuple[int, int]] | None:
    """Where each word sits in the text, or None when the words do not spell it (no word timing then)."""
    if not cue.words:
        return None
    spans, position = [], 0
    for word in cue.words:
        text = word.text.strip()
        at = cue.text.find(text, position) if text else -1
        if at < 0:
            return None
        spans.append((at, at + len(text)))
        position = at + len(text)
    return spans


def is_wide(char: str) -> bool:
    """A CJK or full-width character (two columns)."""
    return unicodedata.east_asian_width(char) in "WF"


_is_wide = is_wide


def escape_ass(text: str) -> str:
    """Text that libass shows as written: braces and backslashes cannot open a tag."""
    return "".join(ASS_ESCAPES.get(char, char) for char in text)


def _is_latin_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _colour(hex_rgb: str) -> pysubs2.Color:
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", hex_rgb):
        raise ValidationFailed(f"colour {hex_rgb!r} is not #RRGGBB")
    return pysubs2.Color(int(hex_rgb[1:3], 16), int(hex_rgb[3:5], 16), int(hex_rgb[5:7], 16))


def _ass_colour(hex_rgb: str) -> str:
    colour = _colour(hex_rgb)  # ASS writes blue, green, red
    return f"&H{colour.b:02X}{colour.g:02X}{colour.r:02X}&"


def _ms(seconds: float) -> float:
    return round(seconds, 3)


def _msec(seconds: float) -> int:
    return round(seconds * 1000)
