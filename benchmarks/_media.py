"""Synthetic media for the video benchmarks: a 1080p recording with a voice-like track, and its transcript.

Everything is made at run time with ffmpeg's lavfi sources; no media is committed. The picture is
``testsrc2`` with a little temporal noise, like a camera's grain: without it the flat colour bars
encode far more cheaply than a real room does (a 9:16 crop at CRF 20 comes out near 5 Mbit/s with
it, 3 without). The sound is a gliding tone chopped into syllables and phrases over pink room
noise, so loudness measurement has something to measure: speech-like swings and pauses, never
silence, about -22 LUFS like an unprocessed microphone.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from studio.video.subtitles import Cue

PRODUCT = "北屿加绒卫衣"
LIVE_PRICE, LIST_PRICE = "¥199", "¥299"

# A host's patter, one cue each; resegment() re-breaks the long ones for a 9:16 frame.
_LINES = (
    "家人们看过来，今天这款北屿加绒卫衣是我们直播间的主推款！",
    "原价299，今天直播间只要199元。",
    "里面是加绒加厚的，零下十度也暖和。",
    "姐妹们看一下这个面料，不起球，不掉毛。",
    "黑色、灰色、燕麦色三个颜色，S到XL都有。",
    "一米六五、一百一十斤的我穿M码刚刚好。",
    "库存只有五百件，抢完就没有了！",
    "拍下之后备注主播名字，再送一双加绒袜子。",
    "七天无理由退换，运费险我们也给大家送上。",
    "还没关注的宝宝点一下关注，不迷路。",
    "来，三、二、一，上链接！",
    "北屿加绒卫衣，¥199，只有今天这个价。",
)


def ffmpeg_bin() -> str:
    """The ffmpeg that Studio itself uses (imageio-ffmpeg's static build)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def cjk_font_file(*, bold: bool = False) -> Path:
    """The Noto Sans CJK file fontconfig resolves; SystemExit when only a non-CJK fallback is there."""
    if shutil.which("fc-match") is None:
        raise SystemExit("fc-match not found: install fontconfig and fonts-noto-cjk")
    pattern = "Noto Sans CJK SC:bold" if bold else "Noto Sans CJK SC"
    found = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True,
                           text=True, check=True).stdout.strip()
    if "CJK" not in found or not Path(found).is_file():
        raise SystemExit(f"no Noto Sans CJK font (fontconfig offers {found or 'nothing'}): "
                         "apt-get install fonts-noto-cjk")
    return Path(found)


def write_recording(path: Path, *, seconds: float, size: tuple[int, int] = (1920, 1080),
                    fps: int = 30) -> None:
    """A landscape H.264/AAC MP4 like an OBS recording: keyframe every 2 s, 48 kHz stereo."""
    # Pitch glides 140–220 Hz; 3.3 syllables a second; phrases end where the slow sine dips (pauses).
    voice = ("0.15*sin(2*PI*(180+40*sin(2*PI*0.5*t))*t)"
             "*(0.55+0.45*sin(2*PI*3.3*t))*(0.6+0.4*sin(2*PI*0.05*t))"
             "*gt(sin(2*PI*0.23*t)+0.7,0)")
    audio = (f"aevalsrc=exprs='{voice}':sample_rate=48000:channel_layout=stereo:duration={seconds}[s];"
             f"anoisesrc=color=pink:amplitude=0.01:sample_rate=48000:duration={seconds},"
             "aformat=channel_layouts=stereo[n];"
             "[s][n]amix=inputs=2:normalize=0[a]")
    args = [
        ffmpeg_bin(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={size[0]}x{size[1]}:rate={fps}:duration={seconds}",
        "-filter_complex", f"[0:v]noise=alls=6:allf=t[v];{audio}", "-map", "[v]", "-map", "[a]",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", str(2 * fps),
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart", str(path),
    ]
    subprocess.run(args, check=True, timeout=1800)


def transcript(seconds: float, *, cue_seconds: float = 2.5, gap: float = 0.3) -> list[Cue]:
    """Chinese cues back to back over ``[0, seconds)``: a few dozen for a 90-s recording."""
    cues, start, index = [], 0.0, 0
    while start + cue_seconds <= seconds:
        cues.append(Cue(round(start, 3), round(start + cue_seconds - gap, 3),
                        _LINES[index % len(_LINES)]))
        start += cue_seconds
        index += 1
    return cues
