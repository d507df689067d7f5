"""Speech recognition (ASR, 语音识别) behind one small interface, so subtitles can come from any engine.

A ``Transcriber`` turns a recording into ``Cue``s, with word timings when the engine gives them;
``get_transcriber("faster-whisper", model_folder)`` builds one by name. Engines are optional
installs, imported only when a transcription starts, and they never download: the model is a
folder on disk the studio put there (a CTranslate2 Whisper model for faster-whisper), because a
studio machine may have no internet and a silent multi-gigabyte download is not a setting.

``write_word_json`` saves a transcript as word-level JSON that ``subtitles.load_transcript`` reads
back, so an hour of ASR runs once and the subtitle steps re-run from the file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from studio.errors import ConfigurationError, ErrorDetail, ValidationFailed
from studio.tabular import write_atomic
from studio.video.subtitles import Cue, Word

# model.bin is the CTranslate2 model itself; without tokenizer.json faster-whisper fetches one
# from the Hugging Face hub, which is a download all the same.
MODEL_FILES = ("model.bin", "tokenizer.json")


@runtime_checkable
class Transcriber(Protocol):
    """What every ASR engine offers: a recording in, timed cues out."""

    def transcribe(self, media: Path, *, language: str | None = None) -> list[Cue]:
        """Cues in recording time (seconds); ``language`` is an ISO code (``zh``), None to detect."""
        ...


def check_model_folder(model_path: Path | str, files: Iterable[str] = MODEL_FILES) -> Path:
    """The model folder, or ConfigurationError naming it and what is wrong; never a download."""
    path = Path(model_path).expanduser()
    if not path.exists():
        if len(path.parts) == 1 and not path.suffix:
            raise ConfigurationError(
                f"ASR model {str(model_path)!r} is a model name, not a folder: Studio never downloads "
                "models; copy a CTranslate2 Whisper model folder onto this machine and give its path",
                details=[ErrorDetail("no such folder", field="model_path")])
        raise ConfigurationError(f"{path}: no such ASR model folder",
                                 details=[ErrorDetail("no such folder", field="model_path")])
    if not path.is_dir():
        raise ConfigurationError(f"{path}: is a file; the ASR model is the folder that holds model.bin",
                                 details=[ErrorDetail("not a folder", field="model_path")])
    missing = [name for name in files if not (path / name).is_file()]
    if missing:
        raise ConfigurationError(
            f"{path}: not a CTranslate2 Whisper model folder ({', '.join(missing)} missing); convert the "
            "model with ct2-transformers-converter --copy_files tokenizer.json",
            details=[ErrorDetail(f"{name} missing", field="model_path") for name in missing])
    return path


class FasterWhisperTranscriber:
    """Whisper through faster-whisper (CTranslate2): CPU int8 by default, word timings on."""

    engine = "faster-whisper"

    def __init__(self, model_path: Path | str, *, device: str = "cpu", compute_type: str = "int8",
                 vad_filter: bool = True, beam_size: int = 5) -> None:
        self.model_path = check_model_folder(model_path)
        self.device = device
        self.compute_type = compute_type
        self.vad_filter = vad_filter  # skip music and silence: fewer invented lines between talk
        self.beam_size = beam_size
        self._model: Any = None

    def __repr__(self) -> str:
        return f"FasterWhisperTranscriber({str(self.model_path)!r}, device={self.device!r})"

    def transcribe(self, media: Path, *, language: str | None = None) -> list[Cue]:
        """Transcribe ``media`` (any file ffmpeg reads) into cues with word timings."""
        media = Path(media)
        if not media.is_file():
            raise ValidationFailed(f"{media}: no such recording")
        model = self._load()
        try:
            segments, _info = model.transcribe(str(media), language=language, word_timestamps=True,
                                               vad_filter=self.vad_filter, beam_size=self.beam_size)
            return cues_from_segments(segments)  # segments is lazy: the work happens here
        except ValueError as exc:  # an unknown language code, an undecodable file
            raise ValidationFailed(f"{media.name}: transcription failed ({exc})") from None

    def _load(self) -> Any:
        if self._model is None:
            whisper_model = _import_faster_whisper()
            try:
                self._model = whisper_model(str(self.model_path), device=self.device,
                                            compute_type=self.compute_type, local_files_only=True)
            except (RuntimeError, ValueError, OSError) as exc:
                raise ConfigurationError(f"{self.model_path}: faster-whisper could not load the model "
                                         f"({exc})") from None
        return self._model


def _import_faster_whisper() -> Any:
    try:
        from faster_whisper import WhisperModel
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "faster_whisper":
            raise ConfigurationError(
                "faster-whisper is not installed: pip install faster-whisper "
                "(then give Studio a local model folder; nothing is downloaded)") from None
        raise ConfigurationError(f"faster-whisper is installed but cannot start: {exc}") from None
    except ImportError as exc:
        raise ConfigurationError(f"faster-whisper is installed but cannot start: {exc}") from None
    return WhisperModel


def cues_from_segments(segments: Iterable[Any]) -> list[Cue]:
    """Engine segments (``start``, ``end``, ``text``, optional ``words`` of ``start``, ``end``,
    ``word``) as cues: times in seconds to the millisecond, empty segments and words dropped."""
    cues = []
    for segment in segments:
        words = tuple(word for word in map(_word, getattr(segment, "words", None) or ()) if word)
        text = " ".join((segment.text or "").split())
        if not text:
            continue
        start, end = _span(segment.start, segment.end)
        if words:
            start, end = min(start, words[0].start), max(end, max(w.end for w in words))
        cues.append(Cue(start, end, text, words))
    return cues


def _word(item: Any) -> Word | None:
    text = (item.word or "").strip()
    if not text:
        return None
    return Word(*_span(item.start, item.end), text)


def _span(start: float | None, end: float | None) -> tuple[float, float]:
    """(start, end) rounded to the millisecond, never negative, never ending before it starts."""
    first = round(max(0.0, float(start or 0.0)), 3)
    last = float(end) if end is not None and math.isfinite(end) else first
    return first, round(max(first, last), 3)


def write_word_json(cues: Iterable[Cue], path: Path) -> Path:
    """Save cues as word-level JSON (``{"segments": [{start, end, text, words}]}``), atomically."""
    segments = [{"start": cue.start, "end": cue.end, "text": cue.text, "words": _word_items(cue)}
                for cue in cues]
    text = json.dumps({"segments": segments}, ensure_ascii=False, indent=1) + "\n"
    write_atomic(Path(path), lambda temp: temp.write_text(text, encoding="utf-8"))
    return Path(path)


def _word_items(cue: Cue) -> list[dict[str, object]]:
    """Words as whisper writes them: a leading space where the cue's text has one before the word."""
    items, position = [], 0
    for word in cue.words:
        found = cue.text.find(word.text, position)
        spaced = found > 0 and cue.text[found - 1].isspace()
        if found >= 0:
            position = found + len(word.text)
        items.append({"start": word.start, "end": word.end, "word": f"{' ' if spaced else ''}{word.text}"})
    return items


ENGINES: dict[str, Callable[..., Transcriber]] = {
    FasterWhisperTranscriber.engine: FasterWhisperTranscriber,
}


def engines() -> list[str]:
    """The ASR engine names ``get_transcriber`` knows."""
    return sorted(ENGINES)


def get_transcriber(engine: str, model_path: Path | str, **options: Any) -> Transcriber:
    """A transcriber for ``engine`` using the model folder; ConfigurationError for an unknown name."""
    factory = ENGINES.get(engine.strip().lower())
    if factory is None:
        raise ConfigurationError(f"unknown ASR engine {engine!r}; Studio knows: {', '.join(engines())}",
                                 details=[ErrorDetail("unknown engine", field="engine")])
    return factory(model_path, **options)
