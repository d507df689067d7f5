"""A synthetic recording of a rehearsal: what the stream would have shown, drawn from its event log.

A rehearsal has no camera, yet the editors' and reviewers' half of Studio needs a recording: clips
are cut from it and the replay dashboard seeks in it. This writes one on the show's own time axis
(from going live to the end), in a single ffmpeg pass over lavfi sources:

- the picture is a plain 9:16 background with, drawn by libass, the product card on screen (title,
  live price, 原价 struck through), every coupon, flash sale and lucky bag with its countdown, and
  a clock of the show's local time;
- the sound is voice-like: a low voiced tone and band-passed noise, pulsed at syllable rate and
  gated into phrases, so loudness normalisation and ducking have something to work on;
- beside it, ``<show>.srt``: what the host says in each card window (the plan's talk track and
  selling points), which the clips page picks up as the transcript.

Both files are written to a temp file and renamed into ``STUDIO_HOME/recordings``.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pysubs2
from sqlalchemy.orm import Session, sessionmaker

from studio.config import Settings
from studio.errors import StudioError, ValidationFailed
from studio.tabular import write_atomic

WIDTH, HEIGHT, FPS = 360, 640, 10  # enough to read the cards; clips scale it to 1080x1920
FONT = "Noto Sans CJK SC"
LINE_SECONDS = 4.0  # how long one sentence of the talk track stays up
PROMO_KINDS = {"coupon": "直播间券", "flash_sale": "秒杀", "giveaway": "福袋"}


class RecordingFailed(StudioError):
    code = "recording_failed"


@dataclass(frozen=True, slots=True)
class Timeline:
    """The log as the recording needs it, in seconds from going live."""

    start: datetime
    duration: float
    zone: ZoneInfo
    cards: list[tuple[float, float, dict[str, Any]]]
    promos: list[tuple[float, float, str, str]]  # start, end, kind, label


def timeline(events: list[dict[str, Any]], zone: ZoneInfo) -> Timeline:
    """Cards and promotions on the recording's time axis: from going live to the show's end."""
    from studio.replay.metrics import promo_windows
    from studio.video.service import went_live_at

    start = went_live_at(events)
    if start is None:
        raise ValidationFailed("the show never went live in its event log: nothing to record")
    end = next((datetime.fromisoformat(e["at"]) for e in events if e["type"] == "status.changed"
                and e["data"].get("status") == "ended"), None)
    end = end or datetime.fromisoformat(events[-1]["at"])
    duration = (end - start).total_seconds()
    if duration < 1:
        raise ValidationFailed(f"the show was live for {duration:.1f} s: too short to record")

    def seconds(moment: datetime) -> float:
        return min(duration, max(0.0, (moment - start).total_seconds()))

    cards, current = [], None
    for event in events:
        at = datetime.fromisoformat(event["at"])
        if event["type"] in ("card.taken", "card.cleared") or (
                event["type"] == "status.changed" and event["data"].get("status") == "ended"):
            if current is not None:
                cards.append((seconds(current[0]), seconds(at), current[1]))
            current = (at, event["data"]["card"]) if event["type"] == "card.taken" else None
    if current is not None:
        cards.append((seconds(current[0]), duration, current[1]))
    promos = [(seconds(w.start), seconds(w.end), w.kind or "coupon", w.label)
              for w in promo_windows(events)]
    return Timeline(start, duration, zone, [c for c in cards if c[1] > c[0]],
                    [p for p in promos if p[1] > p[0]])


# ---- the picture: an ASS script over a plain background ---------------------------------------

def _style(size: int, colour: str, *, bold: bool = False, alignment: int = 8, margin_v: int = 0,
           strike: bool = False, outline: float = 0) -> pysubs2.SSAStyle:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return pysubs2.SSAStyle(fontname=FONT, fontsize=size, primarycolor=pysubs2.Color(red, green, blue),
                            outlinecolor=pysubs2.Color(0, 0, 0), backcolor=pysubs2.Color(0, 0, 0, 128),
                            bold=bold, strikeout=strike, outline=outline, shadow=0,
                            alignment=pysubs2.Alignment(alignment), marginl=16, marginr=16,
                            marginv=margin_v, borderstyle=1)


def _plain(text: str) -> str:
    """Text as libass shows it literally: no override blocks, no line-break escapes."""
    from studio.video.subtitles import escape_ass

    return escape_ass(text)


def _clock(seconds: float) -> str:
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 60}:{whole % 60:02d}"


def picture_script(line: Timeline) -> pysubs2.SSAFile:
    script = pysubs2.SSAFile()
    script.info.update({"PlayResX": str(WIDTH), "PlayResY": str(HEIGHT), "WrapStyle": "0",
                        "ScaledBorderAndShadow": "yes"})
    script.styles = {
        "Default": _style(20, "#FFFFFF"),
        "Clock": _style(15, "#9AA4B8", alignment=7, margin_v=14),
        "Live": _style(15, "#FF4D4F", bold=True, alignment=9, margin_v=14),
        "Title": _style(28, "#FFFFFF", bold=True, alignment=5, margin_v=0, outline=1),
        "Price": _style(46, "#FFE14D", bold=True, alignment=2, margin_v=250, outline=1.5),
        "Original": _style(20, "#C8CCD6", alignment=2, margin_v=220, strike=True),
        "Promo": _style(22, "#FFFFFF", bold=True, alignment=2, margin_v=90, outline=2),
        "Hint": _style(16, "#9AA4B8", alignment=5),
    }
    duration_ms = int(line.duration * 1000)

    def add(start: float, end: float, style: str, text: str) -> None:
        script.events.append(pysubs2.SSAEvent(start=int(start * 1000),
                                              end=min(duration_ms, int(end * 1000)),
                                              style=style, text=text))

    add(0, line.duration, "Live", "● 彩排 REHEARSAL")
    local = line.start.astimezone(line.zone)
    first_minute = local.replace(second=0, microsecond=0)
    moment = first_minute
    while (offset := (moment - local).total_seconds()) < line.duration:
        add(max(0.0, offset), offset + 60, "Clock", f"{moment:%H:%M} {moment:%Z}")
        moment += timedelta(minutes=1)
    covered = 0.0
    for start, end, card in line.cards:
        if start > covered:
            add(covered, start, "Hint", "— 暖场 Between products —")
        covered = max(covered, end)
        ladder = card.get("ladder") or {}
        price = ladder.get("final_price") or ladder.get("live_price")
        add(start, end, "Title", _plain(card.get("title") or card.get("sku") or ""))
        if price:
            add(start, end, "Price", _plain(f"¥{price}"))
        if ladder.get("list_price") and ladder.get("list_price") != price:
            add(start, end, "Original", _plain(f"原价 ¥{ladder['list_price']}"))
    if covered < line.duration:
        add(covered, line.duration, "Hint", "— 暖场 Between products —")
    for start, end, kind, label in line.promos:
        name = PROMO_KINDS.get(kind, kind)
        second = start
        while second < end:  # one event a second: the countdown as viewers saw it
            add(second, min(end, second + 1), "Promo",
                _plain(f"{name} {label}  剩余 {_clock(end - second)}"))
            second += 1
    script.events.sort(key=lambda e: (e.start, e.end))
    return script


# ---- what the host says: the talk track as a transcript -------------------------------------------

def talk_script(line: Timeline, talk: dict[str, list[str]]) -> pysubs2.SSAFile:
    """One sentence every few seconds in each card window, from the slot's talk track and the
    card's selling points, in turn."""
    script = pysubs2.SSAFile()
    for start, end, card in line.cards:
        lines = list(talk.get(card.get("slot") or "", []))
        lines += [p["text"] for p in card.get("selling_points") or [] if p.get("text")]
        lines = lines or [card.get("title") or ""]
        moment, index = start + 0.5, 0
        while moment + 1 < end and lines[index % len(lines)]:
            stop = min(end - 0.2, moment + LINE_SECONDS - 0.4)
            script.events.append(pysubs2.SSAEvent(start=int(moment * 1000), end=int(stop * 1000),
                                                  text=lines[index % len(lines)]))
            moment, index = moment + LINE_SECONDS, index + 1
    return script


def _talk_tracks(session: Session, show_id: str) -> dict[str, list[str]]:
    from studio.scripts import service as plan_service
    from studio.scripts.models import Plan

    plan = session.get(Plan, show_id)
    if plan is None:
        return {}
    doc = plan_service.current_doc(session=session, plan=plan)
    return {s.id: list(s.talk_track) for s in doc.segments if s.talk_track}


# ---- the sound ---------------------------------------------------------------------------------------

def voice_filter(duration: float) -> str:
    """A lavfi graph that sounds like someone talking: voiced tone + breath, syllables, phrases."""
    return (
        # two plain sines, not a vibrato: one run with vibrato once fed AAC a NaN (not reproduced)
        f"sine=frequency=155:sample_rate=48000:duration={duration:.3f}[low];"
        f"sine=frequency=310:sample_rate=48000:duration={duration:.3f},volume=0.5[high];"
        "[low][high]amix=inputs=2:normalize=0,volume=0.4[voiced];"
        f"anoisesrc=color=pink:sample_rate=48000:amplitude=0.6:duration={duration:.3f}:seed=7,"
        "bandpass=frequency=1100:width_type=q:width=0.8[breath];"
        "[voiced][breath]amix=inputs=2:normalize=0,tremolo=f=4.2:d=0.85,"
        # phrases of a few seconds with short pauses between them
        "volume='if(gt(sin(2*PI*t/5.3)+0.6*sin(2*PI*t/2.1+1),-0.45),0.8,0.03)':eval=frame,"
        "aformat=channel_layouts=stereo[out0]"
    )


# ---- writing it ------------------------------------------------------------------------------------

def write_recording(settings: Settings, session_factory: sessionmaker[Session], show_id: str,
                    *, out: Path | None = None, timeout: float = 3600) -> Path:
    """Render the rehearsal's recording to ``STUDIO_HOME/recordings/<show>.mp4`` (and its
    talk-track transcript ``<show>.srt``) from the event log; returns the video's path."""
    from studio.live_console.service import event_rows
    from studio.shows import service as show_service

    with session_factory() as session:
        show = show_service.get_show(session=session, show_id=show_id)
        events = [e for e in event_rows(session, show_id) if e["type"] != "comments"]
        talk = _talk_tracks(session, show_id)
        zone = ZoneInfo(show.timezone)
    if not events:
        raise ValidationFailed(f"show {show_id!r} has no event log: run it (or rehearse it) first")
    line = timeline(events, zone)
    target = out or Path(settings.home) / "recordings" / f"{show_id}.mp4"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="studio-recording-") as work:
        ass = Path(work) / "picture.ass"
        picture_script(line).save(str(ass), format_="ass")
        write_atomic(target, lambda temp: _render(settings, line, ass, temp, timeout))
    transcript = target.with_suffix(".srt")
    subs = talk_script(line, talk)
    write_atomic(transcript, lambda temp: subs.save(str(temp), format_="srt", encoding="utf-8"))
    return target


def _render(settings: Settings, line: Timeline, ass: Path, temp: Path, timeout: float) -> None:
    import ffmpeg  # ffmpeg-python: it escapes the paths inside the filter graph

    picture = ffmpeg.input(f"color=c=0x1D2333:s={WIDTH}x{HEIGHT}:r={FPS}:d={line.duration:.3f}",
                           format="lavfi").video
    fonts = {"fontsdir": str(settings.font_path.parent)} if settings.font_path else {}
    picture = picture.filter("subtitles", str(ass), **fonts).filter("format", "yuv420p")
    voice = ffmpeg.input(voice_filter(line.duration), format="lavfi").audio
    args = ffmpeg.output(picture, voice, str(temp), format="mp4", vcodec="libx264",
                         preset="ultrafast", tune="stillimage", crf=30, g=FPS * 2, acodec="aac",
                         audio_bitrate="64k", movflags="+faststart", t=f"{line.duration:.3f}") \
        .global_args("-hide_banner", "-nostdin", "-loglevel", "error").overwrite_output() \
        .compile(cmd=settings.ffmpeg_binary())
    try:
        done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise RecordingFailed(f"the recording took over {timeout:.0f} s; stopped") from None
    if done.returncode != 0:
        tail = "\n".join(done.stderr.decode(errors="replace").splitlines()[-8:])
        raise RecordingFailed(f"ffmpeg could not write the recording (exit {done.returncode}):\n{tail}")
