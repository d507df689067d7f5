"""Subtitles: reading transcripts, clip time, re-breaking for a 9:16 frame, highlighting, writing."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import unicodedata
from fractions import Fraction

import pysubs2
import pytest

from studio.errors import ValidationFailed
from studio.video.subtitles import (
    Cue,
    Word,
    clip_cues,
    export,
    highlight,
    load_transcript,
    resegment,
    to_ass,
    to_srt,
)

CHINESE_40 = "这款面霜我用了三个月，保湿效果特别好，而且一点都不油腻，今天直播间只要九十九元。"
ENGLISH = ("Hello everyone, welcome to the live stream. Today we have an amazing deal on the new "
           "iPhone15 for only ¥199.00, so grab it now before the countdown ends!")
MIXED = "今天的iPhone15只要¥199.00还送SPF50+防晒霜3.5g小样再加199元就能带走"


def lines_of(cues: list[Cue]) -> list[str]:
    return [line for cue in cues for line in cue.text.split("\n")]


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def width(line: str, max_cjk: int = 14, max_latin: int = 32) -> Fraction:
    wide = sum(map(is_wide, line))
    return Fraction(wide, max_cjk) + Fraction(len(line) - wide, max_latin)


def cue_from_words(*words: tuple[str, float, float], joiner: str = "") -> Cue:
    timed = tuple(Word(start, end, text) for text, start, end in words)
    return Cue(timed[0].start, timed[-1].end, joiner.join(w.text for w in timed), timed)


def ass_events(text: str) -> list[str]:
    return [event.text for event in pysubs2.SSAFile.from_string(text)]


# --- line breaking ---------------------------------------------------------------------------------


def test_chinese_sentence_becomes_short_lines_broken_at_punctuation():
    assert len(CHINESE_40) == 40
    cues = resegment([Cue(0.0, 9.0, CHINESE_40)])
    lines = lines_of(cues)
    assert all(len(line) <= 14 for line in lines)
    assert all(cue.text.count("\n") <= 1 for cue in cues)
    assert "".join(lines) == CHINESE_40
    assert all(line[-1] in "，。" for line in lines)  # every break fell on a comma or the full stop


def test_chinese_without_punctuation_fills_lines_and_splits_into_two_line_cues():
    text = "今天给大家推荐的这款面霜真的特别好用保湿效果一级棒而且价格也非常的实惠大家不要错过"
    cues = resegment([Cue(0.0, 8.0, text)])
    assert [len(line) for line in lines_of(cues)] == [14, 14, 13]
    assert [c.text.count("\n") for c in cues] == [1, 0]
    assert "".join(lines_of(cues)) == text


def test_a_line_break_typed_between_chinese_characters_is_not_a_space_but_a_real_space_is_kept():
    assert resegment([Cue(0.0, 3.0, "今天给大家\n推荐面霜")])[0].text == "今天给大家推荐面霜"
    assert resegment([Cue(0.0, 3.0, "今天给大家 推荐面霜")])[0].text == "今天给大家 推荐面霜"


def test_a_space_between_chinese_phrases_is_a_preferred_break():
    # 剪映-style ASR output: spaces instead of punctuation
    cues = resegment([Cue(0.0, 5.0, "今天给大家推荐一款面霜 真的很好用 大家一定要试试")])
    assert lines_of(cues) == ["今天给大家推荐一款面霜", "真的很好用 大家一定要试试"]


@pytest.mark.parametrize("max_cjk", range(3, 15))
def test_mixed_text_never_splits_a_latin_word_number_or_price(max_cjk):
    cues = resegment([Cue(0.0, 30.0, MIXED)], max_cjk=max_cjk, max_latin=max_cjk * 2, max_duration=30)
    lines = lines_of(cues)
    for token in ("iPhone15", "¥199.00", "SPF50+", "3.5g", "199元"):
        assert any(token in line for line in lines), (token, lines)
    assert "".join(lines) == MIXED
    # a line may overflow only when it is one Latin token too wide for any line
    assert all(width(line, max_cjk, max_cjk * 2) <= 1 or not any(map(is_wide, line)) for line in lines)


def test_mixed_width_is_cjk_over_14_plus_latin_over_32():
    half_and_half = "这是一个很好的" + "ABCDEFGHIJKLMNOP"  # 7/14 + 16/32 = 1: fits exactly
    assert lines_of(resegment([Cue(0.0, 5.0, half_and_half)])) == [half_and_half]
    assert len(lines_of(resegment([Cue(0.0, 5.0, half_and_half + "Q")]))) == 2


def test_english_lines_stay_within_32_characters_and_words_stay_whole():
    cues = resegment([Cue(0.0, 12.0, ENGLISH)])
    lines = lines_of(cues)
    assert all(len(line) <= 32 for line in lines)
    assert " ".join(lines) == ENGLISH  # a split word would add a space inside it
    assert all(cue.text.count("\n") <= 1 for cue in cues)


def test_a_word_wider_than_a_line_gets_a_line_of_its_own():
    long_word = "https://shop.example.com/product/iPhone15-pro-max"
    lines = lines_of(resegment([Cue(0.0, 5.0, f"链接在这里 {long_word} 快去买")]))
    assert long_word in lines


def test_closing_punctuation_never_starts_a_line_and_currency_sign_never_ends_one():
    text = "一二三四五六七八九十一二三四，" + "一二三四五六七八九十一二三￥99"
    lines = lines_of(resegment([Cue(0.0, 10.0, text)], max_lines=4))
    assert not any(line[0] in "，。" for line in lines)
    assert not any(line.endswith("￥") for line in lines)


# --- timing ----------------------------------------------------------------------------------------


def test_split_cues_share_the_original_span_in_proportion_to_their_text():
    text = "一" * 28 + "二" * 28 + "三" * 4
    cues = resegment([Cue(10.0, 22.0, text)])
    assert [c.text.replace("\n", "") for c in cues] == ["一" * 28, "二" * 28, "三" * 4]
    assert cues[0].start == 10.0 and cues[-1].end == 22.0
    assert all(a.end == b.start for a, b in itertools.pairwise(cues))
    assert sum(c.end - c.start for c in cues) == pytest.approx(12.0)
    assert [c.end - c.start for c in cues] == pytest.approx([5.6, 5.6, 0.8])


def test_split_cues_follow_word_timings_when_words_exist():
    cue = cue_from_words(("alpha", 0.0, 0.4), ("beta", 0.5, 0.9), ("gamma", 2.0, 2.6), ("delta", 3.0, 3.5),
                         joiner=" ")
    cues = resegment([cue], max_latin=11, max_lines=1, min_duration=0)
    assert [c.text for c in cues] == ["alpha beta", "gamma delta"]
    assert [(c.start, c.end) for c in cues] == [(0.0, 2.0), (2.0, 3.5)]
    assert [w.text for c in cues for w in c.words] == ["alpha", "beta", "gamma", "delta"]


def test_words_of_an_asr_token_stay_on_one_line():
    cue = cue_from_words(("一二三", 0.0, 0.3), ("四五六", 0.3, 0.6), ("七八九", 0.6, 0.9))
    assert lines_of(resegment([cue], max_cjk=5, max_lines=3)) == ["一二三", "四五六", "七八九"]


def test_short_cues_are_extended_into_the_following_gap_only():
    cues = resegment([Cue(0.0, 0.3, "好"), Cue(2.0, 2.2, "对"), Cue(2.5, 3.0, "嗯")])
    assert [(c.start, c.end) for c in cues] == [(0.0, 0.8), (2.0, 2.5), (2.5, 3.3)]


def test_cues_longer_than_max_duration_are_split():
    cues = resegment([Cue(0.0, 15.0, "今天给大家推荐一款面霜")])
    assert len(cues) == 3
    assert all(c.end - c.start <= 6.0 for c in cues)
    assert "".join(c.text for c in cues) == "今天给大家推荐一款面霜"
    assert cues[0].start == 0.0 and cues[-1].end == 15.0


def test_reading_speed_extends_a_cue_into_the_gap():
    text = "一" * 27  # 27 characters at 9 per second need 3 seconds
    later = resegment([Cue(0.0, 1.0, text), Cue(10.0, 11.0, "好")])
    assert later[0].end == pytest.approx(3.0)
    close = resegment([Cue(0.0, 1.0, text), Cue(2.0, 3.0, "好")])
    assert close[0].end == 2.0


def test_resegment_is_deterministic_and_rejects_nonsense_limits():
    cues = [Cue(0.0, 9.0, CHINESE_40), Cue(9.5, 20.0, ENGLISH)]
    assert resegment(cues) == resegment(cues)
    with pytest.raises(ValidationFailed):
        resegment(cues, max_cjk=0)
    with pytest.raises(ValidationFailed):
        resegment(cues, min_duration=7, max_duration=6)


# --- clip time -------------------------------------------------------------------------------------


def test_clip_cues_keeps_overlapping_cues_trimmed_and_shifted():
    cues = [Cue(1.0, 3.0, "前"), Cue(3.0, 5.0, "边界"), Cue(4.0, 8.0, "中"), Cue(9.0, 12.0, "尾"),
            Cue(12.0, 13.0, "后")]
    assert clip_cues(cues, 5.0, 10.0) == [Cue(0.0, 3.0, "中"), Cue(4.0, 5.0, "尾")]


def test_clip_cues_trims_words_and_the_text_they_spell():
    cue = cue_from_words(("one", 4.0, 5.0), ("two", 5.0, 6.0), ("three", 6.0, 7.0), joiner=" ")
    (clipped,) = clip_cues([cue], 5.5, 10.0)
    assert clipped == Cue(0.0, 1.5, "two three", (Word(0.0, 0.5, "two"), Word(0.5, 1.5, "three")))


def test_clip_cues_rejects_an_empty_clip():
    with pytest.raises(ValidationFailed, match="start < end"):
        clip_cues([], 5.0, 5.0)


# --- loading ---------------------------------------------------------------------------------------


def test_load_srt_with_bom_crlf_and_html_tags(tmp_path):
    path = tmp_path / "live.srt"
    path.write_bytes(("\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>你好</i>，世界\r\n\r\n"
                      "2\r\n00:00:03,000 --> 00:00:04,000\r\n第二句\r\n第二行\r\n").encode())
    assert load_transcript(path) == [Cue(1.0, 2.5, "你好，世界"), Cue(3.0, 4.0, "第二句\n第二行")]


def test_load_vtt(tmp_path):
    path = tmp_path / "live.vtt"
    path.write_text("WEBVTT\n\n00:01.000 --> 00:03.000\n第一句\n\n"
                    "00:00:04.000 --> 00:00:05.500 align:middle\nSecond line\n", encoding="utf-8")
    assert load_transcript(path) == [Cue(1.0, 3.0, "第一句"), Cue(4.0, 5.5, "Second line")]


def test_load_ass_strips_override_tags_and_skips_comments(tmp_path):
    path = tmp_path / "live.ass"
    path.write_text(
        "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize\nStyle: Default,Arial,20\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Comment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,注释\n"
        "Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,{\\b1}¥199{\\b0}\\N到手价\n",
        encoding="utf-8-sig")
    assert load_transcript(path) == [Cue(1.0, 2.5, "¥199\n到手价")]


def test_load_word_list_json_groups_words_at_pauses(tmp_path):
    path = tmp_path / "words.json"
    path.write_text(json.dumps([
        {"start": 0.0, "end": 0.4, "text": "Hello"}, {"start": 0.4, "end": 0.8, "text": "world"},
        {"start": 3.0, "end": 3.4, "text": "这款"}, {"start": 3.4, "end": 3.8, "text": "面霜"},
    ], ensure_ascii=False), encoding="utf-8")
    first, second = load_transcript(path)
    assert (first.start, first.end, first.text) == (0.0, 0.8, "Hello world")
    assert second == Cue(3.0, 3.8, "这款面霜", (Word(3.0, 3.4, "这款"), Word(3.4, 3.8, "面霜")))


def test_load_whisper_segments_json_with_and_without_words(tmp_path):
    path = tmp_path / "whisper.json"
    path.write_text(json.dumps({"language": "zh", "segments": [
        {"start": 0.0, "end": 2.0, "text": " 大家好",
         "words": [{"start": 0.1, "end": 0.5, "word": " 大家"}, {"start": 0.5, "end": 1.0, "word": "好"}]},
        {"start": 2.0, "end": 3.0, "text": " Buy it now", "words": [
            {"start": 2.0, "end": 2.2, "word": " Buy"}, {"start": 2.2, "end": 2.4, "word": " it"},
            {"start": 2.4, "end": 2.9, "word": " now"}]},
        {"start": 3.0, "end": 4.0, "text": " 没有词级时间"},
    ]}, ensure_ascii=False), encoding="utf-8")
    cues = load_transcript(path)
    assert [(c.start, c.end, c.text) for c in cues] == [
        (0.0, 2.0, "大家好"), (2.0, 3.0, "Buy it now"), (3.0, 4.0, "没有词级时间")]
    assert cues[0].words == (Word(0.1, 0.5, "大家"), Word(0.5, 1.0, "好"))
    assert cues[2].words == ()


def test_load_detects_the_format_from_content_when_the_suffix_says_nothing(tmp_path):
    srt = tmp_path / "transcript.txt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\n你好\n", encoding="utf-8")
    words = tmp_path / "transcript"
    words.write_text('[{"start": 1, "end": 2, "text": "你好"}]', encoding="utf-8")
    assert load_transcript(srt)[0].text == load_transcript(words)[0].text == "你好"


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("garbage.srt", b"this is not a subtitle file at all\n", "not a subtitle file"),
    ("reversed.srt", b"1\n00:00:05,000 --> 00:00:03,000\nhi\n", "cue 1: ends (3.000 s) before it starts"),
    ("gbk.srt", "1\n00:00:01,000 --> 00:00:02,000\n你好\n".encode("gbk"),
     "not UTF-8 text (first bad byte on line 3)"),
    ("utf16.vtt", "WEBVTT\n".encode("utf-16"), "not UTF-8"),
    ("empty.srt", b"", "not a subtitle file"),
    ("broken.ass", b"[V4+ Styles]\n[Events]\nFormat: Start, End, Text\nDialogue: soon,later,hi\n",
     "unreadable subtitle file"),
    ("nodialogue.ass", b"[Script Info]\n[V4+ Styles]\n[Events]\n", "no subtitles"),
    ("blank.json", b"[]", "no subtitles"),
    ("broken.json", b'[{"start": 1,', "invalid JSON at line 1"),
    ("scalar.json", b"42", 'a list of words or an object with "segments"'),
    ("negative.json", b'[{"start": -1, "end": 2, "text": "x"}]', "word 1: starts at a negative time"),
    ("string.json", b'[{"start": "0:01", "end": 2, "text": "x"}]', '"start" must be a number'),
    ("nan.json", b'[{"start": NaN, "end": 2, "text": "x"}]', '"start" must be a number'),
    ("noword.json", b'[{"start": 0, "end": 2}]', '"word" or "text" must be a string'),
    ("badseg.json", b'{"segments": [{"start": 2, "end": 1, "words": []}]}', "segment 1: ends"),
])
def test_bad_transcripts_are_rejected_with_the_file_name_and_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValidationFailed) as caught:
        load_transcript(path)
    assert caught.value.message.startswith(f"{name}: ")
    assert reason in caught.value.message


def test_missing_transcript_is_a_clear_error(tmp_path):
    with pytest.raises(ValidationFailed, match="no such file"):
        load_transcript(tmp_path / "nope.srt")


# --- highlighting and writing ----------------------------------------------------------------------

YELLOW, WHITE = r"{\1c&H00D4FF&}", r"{\1c&HFFFFFF&}"


def test_ass_colours_product_names_and_prices():
    marked = highlight([Cue(0.0, 2.0, "今天的iPhone15只要¥199，面霜99元")], ["iphone"])
    assert marked[0].spans == ((3, 9), (13, 17), (20, 23))
    (text,) = ass_events(to_ass(marked))
    assert text == f"今天的{YELLOW}iPhone{WHITE}15只要{YELLOW}¥199{WHITE}，面霜{YELLOW}99元"


def test_keywords_match_across_a_line_break_but_not_inside_other_words():
    cue = Cue(0.0, 2.0, "雪花秀滋\n盈肌本水 Product Pro")
    marked = highlight([cue], ["雪花秀滋盈肌本水", "Pro"], prices=False)
    text = marked[0].cue.text
    assert [text[a:b] for a, b in marked[0].spans] == ["雪花秀滋\n盈肌本水", "Pro"]


def test_ass_has_karaoke_tags_when_words_are_timed():
    cue = Cue(0.0, 1.5, "大家好", (Word(0.3, 0.8, "大家"), Word(0.8, 1.5, "好")))
    (text,) = ass_events(to_ass([cue]))
    assert text == r"{\k30}{\k50}大家{\k70}好"
    (plain,) = ass_events(to_ass([Cue(0.0, 1.5, "大家好")]))
    assert r"\k" not in plain


def test_karaoke_and_highlight_together():
    cue = cue_from_words(("只要", 0.0, 0.4), ("¥199", 0.4, 1.0))
    (text,) = ass_events(to_ass(highlight([cue], [])))
    assert text == rf"{{\k40}}只要{{\k60}}{YELLOW}¥199"


def test_viewer_text_cannot_inject_ass_tags():
    cue = Cue(0.0, 2.0, "{\\b1}买它\\N{\\pos(0,0)}")
    ass = to_ass(highlight([cue], ["买它"]))
    (text,) = ass_events(ass)
    assert "{\\b1}" not in ass
    assert text == f"｛＼b1｝{YELLOW}买它{WHITE}＼N｛＼pos(0,0)｝"
    assert "{\\b1}买它" in to_srt([cue])  # SRT has no tags: the braces go out as typed


def test_ass_header_and_style_for_a_vertical_frame():
    ass = to_ass([Cue(0.0, 1.0, "你好\n世界")], font="Noto Sans CJK SC", size=80, margin_v=300)
    subs = pysubs2.SSAFile.from_string(ass)
    assert (subs.info["PlayResX"], subs.info["PlayResY"]) == ("1080", "1920")
    style = subs.styles["Default"]
    assert (style.fontname, style.fontsize, style.marginv) == ("Noto Sans CJK SC", 80, 300)
    assert subs[0].text == r"你好\N世界"
    with pytest.raises(ValidationFailed, match="#RRGGBB"):
        to_ass([], highlight="yellow")


def test_srt_round_trip_through_export_and_load(tmp_path):
    cues = resegment([Cue(0.0, 9.0, CHINESE_40), Cue(9.5, 20.0, ENGLISH)])
    export(highlight(cues, ["iPhone15"]), tmp_path / "clip.srt")
    assert load_transcript(tmp_path / "clip.srt") == cues


def test_export_writes_ass_and_refuses_other_types(tmp_path):
    export([Cue(0.0, 1.0, "你好")], tmp_path / "clip.ass", size=64)
    assert (tmp_path / "clip.ass").read_text(encoding="utf-8").startswith("[Script Info]")
    with pytest.raises(ValidationFailed, match=r"use \.srt or \.ass"):
        export([Cue(0.0, 1.0, "你好")], tmp_path / "clip.txt")
    assert not (tmp_path / "clip.txt").exists()


def test_a_failed_export_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "clip.ass"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(ValidationFailed):
        export([Cue(0.0, 1.0, "你好")], target, primary="white")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.ass"]


def test_module_imports_no_web_or_database_framework():
    code = ("import sys, studio.video.subtitles; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'starlette', 'sqlalchemy'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_word_json_to_karaoke_ass_for_one_clip(tmp_path):
    path = tmp_path / "stream.json"
    words = [{"start": 100 + i * 0.25, "end": 100.2 + i * 0.25, "word": ch}
             for i, ch in enumerate("大家好这款面霜今天只要")]
    words.append({"start": 102.75, "end": 103.5, "word": "¥199"})
    path.write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
    cues = resegment(clip_cues(load_transcript(path), 100.5, 110.0))
    assert [(c.start, c.end, c.text) for c in cues] == [(0.0, 3.0, "好这款面霜今天只要¥199")]
    (text,) = ass_events(to_ass(highlight(cues, ["面霜"])))
    assert text.startswith(r"{\k25}好{\k25}这{\k25}款")
    assert rf"{YELLOW}面{{\k25}}霜{WHITE}" in text
    assert text.endswith(rf"{{\k75}}{YELLOW}¥199")
