"""Probe a recording once into a frozen description (PyAV reads any container ffmpeg reads).

imageio-ffmpeg ships ffmpeg but no ffprobe, and parsing ffmpeg's banner is fragile; PyAV opens
the file with the same libraries and gives streams, rates, rotation and duration as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from studio.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class VideoStream:
    width: int
    height: int
    frame_rate: Fraction  # average; a VFR recording's nominal rate
    codec: str
    rotation: int  # degrees clockwise the player must turn the picture (phone video)
    variable_frame_rate: bool

    @property
    def display_size(self) -> tuple[int, int]:
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True, slots=True)
class AudioStream:
    sample_rate: int
    channels: int
    codec: str


@dataclass(frozen=True, slots=True)
class MediaInfo:
    path: Path
    duration: float
    format: str
    video: VideoStream | None
    audio: AudioStream | None

    @property
    def frame_duration(self) -> float:
        return float(1 / self.video.frame_rate) if self.video and self.video.frame_rate else 0.04


def probe(path: Path) -> MediaInfo:
    """Describe ``path``; ValidationFailed naming the file when it is missing or unreadable."""
    import av

    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such recording")
    try:
        with av.open(str(path)) as container:
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            duration = _duration(container, video, audio)
            info = MediaInfo(
                path=path, duration=duration, format=container.format.name,
                video=None if video is None else VideoStream(
                    width=video.codec_context.width, height=video.codec_context.height,
                    frame_rate=Fraction(video.average_rate or video.guessed_rate or 25),
                    codec=video.codec_context.name, rotation=_rotation(container, video),
                    variable_frame_rate=_is_vfr(video)),
                audio=None if audio is None else AudioStream(
                    sample_rate=audio.codec_context.sample_rate,
                    channels=audio.codec_context.channels, codec=audio.codec_context.name),
            )
    except av.FFmpegError as exc:
        raise ValidationFailed(f"{path.name}: not a readable recording ({exc})") from None
    if info.video is None:
        raise ValidationFailed(f"{path.name}: has no video stream")
    if info.duration <= 0:
        raise ValidationFailed(f"{path.name}: its duration is unknown or zero")
    return info


def _duration(container, video, audio) -> float:
    if container.duration:
        return round(container.duration / 1_000_000, 3)  # av.time_base is microseconds
    for stream in (video, audio):
        if stream is not None and stream.duration and stream.time_base:
            return round(float(stream.duration * stream.time_base), 3)
    return 0.0


def _rotation(container, video) -> int:
    """Degrees the player turns the picture: the display matrix, read off the first frame."""
    import av

    try:
        frame = next(container.decode(video))
    except (StopIteration, av.FFmpegError):  # an undecodable first frame: say no rotation
        return 0
    return int(getattr(frame, "rotation", 0) or 0) % 360


def _is_vfr(video) -> bool:
    average, guessed = video.average_rate, video.guessed_rate
    return bool(average and guessed and abs(float(average) - float(guessed)) > 0.01)
