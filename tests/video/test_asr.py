"""The ASR adapter: refusals that say what to do, segment conversion, and word JSON that reads back.

faster-whisper is not run here (no model can be fetched on these machines); its output is stood in
for by plain objects shaped like its Segment and Word, which is where our code meets it.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from studio.errors import ConfigurationError, ValidationFailed
from studio.video.asr import (
    FasterWhisperTranscriber,
    Transcriber,
    check_model_folder,
    cues_from_segments,
    engines,
    get_transcriber,
    write_word_json,
)
from studio.video.subtitles import Cue, Word, load_transcript


@dataclass
class FakeWord:
    start: float
    end: float
    word: str
    probability: float = 0.9


@dataclass
class FakeSegment:
    start: float
    end: float
    text: str
    words: list[FakeWord] | None = field(default=None)


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    """A folder shaped like a CTranslate2 Whisper model (contents are never read here)."""
    folder = tmp_path / "whisper-small-ct2"
    folder.mkdir()
    for name in ("model.bin", "tokenizer.json", "config.json"):
        (folder / name).write_bytes(b"{}")
    return folder


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "show.mp4"
    path.write_bytes(b"not decoded in these tests")
    return path


def test_a_missing_faster_whisper_says_how_to_install_it(model_folder, recording, monkeypatch):
    if importlib.util.find_spec("faster_whisper") is not None:
        monkeypatch.setitem(sys.modules, "faster_whisper", None)  # installed here: make the import fail
    transcriber = FasterWhisperTranscriber(model_folder)
    with pytest.raises(ConfigurationError, match="not installed: pip install faster-whisper"):
        transcriber.transcribe(recording, language="zh")


def test_a_model_name_is_refused_because_studio_never_downloads(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("large-v3", "small"):
        with pytest.raises(ConfigurationError, match=f"'{name}' is a model name, not a folder: "
                                                     "Studio never downloads models"):
            FasterWhisperTranscriber(name)


def test_a_missing_model_folder_is_named(tmp_path):
    missing = tmp_path / "models" / "whisper"
    with pytest.raises(ConfigurationError, match=f"{missing}: no such ASR model folder") as caught:
        FasterWhisperTranscriber(missing)
    assert caught.value.details[0].field == "model_path"


def test_a_file_is_not_a_model_folder(model_folder):
    with pytest.raises(ConfigurationError, match=r"model\.bin: is a file; the ASR model is the folder"):
        check_model_folder(model_folder / "model.bin")


def test_a_folder_without_model_bin_is_not_a_ctranslate2_model(model_folder):
    (model_folder / "model.bin").unlink()
    message = r"whisper-small-ct2: not a CTranslate2 Whisper model folder \(model\.bin missing\)"
    with pytest.raises(ConfigurationError, match=message):
        FasterWhisperTranscriber(model_folder)


def test_a_folder_without_tokenizer_json_is_refused_as_it_would_download_one(model_folder):
    (model_folder / "tokenizer.json").unlink()
    with pytest.raises(ConfigurationError, match=r"\(tokenizer\.json missing\)"):
        check_model_folder(model_folder)


def test_a_missing_recording_is_named_before_any_engine_loads(model_folder, tmp_path):
    with pytest.raises(ValidationFailed, match=r"gone\.mp4: no such recording"):
        FasterWhisperTranscriber(model_folder).transcribe(tmp_path / "gone.mp4")


def test_the_engine_is_loaded_from_the_folder_offline_and_asked_for_word_timings(
        model_folder, recording, monkeypatch):
    calls: dict[str, object] = {}

    class WhisperModel:  # stands in for faster_whisper.WhisperModel
        def __init__(self, path: str, **options: object) -> None:
            calls["model"] = (path, options)

        def transcribe(self, audio: str, **options: object):
            calls.setdefault("transcribe", []).append((audio, options))
            segments = (s for s in [FakeSegment(0.0, 1.2, "大家好", [FakeWord(0.1, 1.1, "大家好")])])
            return segments, object()

    monkeypatch.setitem(sys.modules, "faster_whisper", types.SimpleNamespace(WhisperModel=WhisperModel))
    transcriber = get_transcriber("Faster-Whisper", model_folder, compute_type="int8_float32")
    assert isinstance(transcriber, Transcriber)
    cues = transcriber.transcribe(recording, language="zh")
    transcriber.transcribe(recording)
    assert cues == [Cue(0.0, 1.2, "大家好", (Word(0.1, 1.1, "大家好"),))]
    path, options = calls["model"]
    assert path == str(model_folder)
    assert options == {"device": "cpu", "compute_type": "int8_float32", "local_files_only": True}
    (audio, first), (_, second) = calls["transcribe"]  # the model loaded once, used twice
    assert audio == str(recording)
    assert (first["language"], first["word_timestamps"], second["language"]) == ("zh", True, None)


def test_segments_become_cues_with_words_in_milliseconds():
    segments = [
        FakeSegment(0.0, 2.5, " 今天给大家推荐这款精华，", [
            FakeWord(0.12, 0.981, "今天"), FakeWord(0.981, 1.4004, "给大家"),
            FakeWord(1.4, 2.61, "推荐这款精华，")]),
        FakeSegment(3.0, 3.0, "   ", []),  # whisper's empty segments are dropped
        FakeSegment(4.0, 6.0, " Only 99 yuan, today!", [
            FakeWord(4.0, 4.4, " Only"), FakeWord(4.4, 4.8, " 99"), FakeWord(4.8, 5.3, " yuan,"),
            FakeWord(5.3, 5.2, " today!"), FakeWord(5.9, 6.0, " ")]),
        FakeSegment(7.0, 8.0, " 没有词级时间", None),
    ]
    cues = cues_from_segments(segments)
    assert [c.text for c in cues] == ["今天给大家推荐这款精华，", "Only 99 yuan, today!", "没有词级时间"]
    assert cues[0].words == (Word(0.12, 0.981, "今天"), Word(0.981, 1.4, "给大家"),
                             Word(1.4, 2.61, "推荐这款精华，"))
    assert (cues[0].start, cues[0].end) == (0.0, 2.61)  # stretched to its last word
    assert cues[1].words[-1] == Word(5.3, 5.3, "today!")  # an end before the start is held at the start
    assert len(cues[1].words) == 4 and cues[2].words == ()


def test_negative_and_missing_times_are_held_at_zero():
    cues = cues_from_segments([FakeSegment(-0.2, 1.0, "hi", [FakeWord(-0.1, 0.5, " hi")])])
    assert cues == [Cue(0.0, 1.0, "hi", (Word(0.0, 0.5, "hi"),))]


def test_word_json_reads_back_through_load_transcript(tmp_path):
    cues = cues_from_segments([
        FakeSegment(0.0, 2.61, "今天给大家推荐这款精华，", [
            FakeWord(0.12, 0.981, "今天"), FakeWord(0.981, 1.4, "给大家"),
            FakeWord(1.4, 2.61, "推荐这款精华，")]),
        FakeSegment(4.0, 6.0, " Only 99 yuan, today! ¥99", [
            FakeWord(4.0, 4.4, " Only"), FakeWord(4.4, 4.8, " 99"), FakeWord(4.8, 5.3, " yuan,"),
            FakeWord(5.3, 5.6, " today!"), FakeWord(5.6, 6.0, " ¥99")]),
        FakeSegment(7.0, 8.25, "没有词级时间", None),
    ])
    cues.append(Cue(9.0, 10.5, "两行字幕\nsecond line"))  # a cue without words keeps its line break
    path = write_word_json(cues, tmp_path / "asr" / "show.words.json")
    assert "推荐这款精华" in path.read_text(encoding="utf-8")  # UTF-8, not \u escapes
    assert load_transcript(path) == cues


def test_word_json_is_written_whole_or_not_at_all(tmp_path):
    target = tmp_path / "show.json"
    write_word_json([Cue(0.0, 1.0, "first")], target)
    before = target.read_bytes()
    with pytest.raises(TypeError):
        write_word_json([Cue(0.0, 1.0, "second", (Word(0.0, {1.0}, "second"),))], target)  # not JSON
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["show.json"]


def test_the_registry_lists_its_engines_and_refuses_others(model_folder):
    assert engines() == ["faster-whisper"]
    assert isinstance(get_transcriber("faster-whisper", model_folder), FasterWhisperTranscriber)
    message = r"unknown ASR engine 'whisper\.cpp'; Studio knows: faster-whisper"
    with pytest.raises(ConfigurationError, match=message):
        get_transcriber("whisper.cpp", model_folder)


def test_the_transcribe_command_names_what_is_missing(run_cli, media, tmp_path):
    """Without a model folder the command stops at once with the reason, writing nothing."""
    out = tmp_path / "words.json"
    result = run_cli("clip", "transcribe", str(media["plain"]), "--model",
                     str(tmp_path / "no-model"), "--out", str(out))
    assert result.exit_code == 1
    assert "no-model" in result.stderr
    assert not out.exists()
