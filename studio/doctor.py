"""`studio doctor`: check what Studio needs on this machine and say how to fix what is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from studio.config import Settings

# Filters the clip renderer's graphs use; a build without one of them cannot render every layout.
REQUIRED_FILTERS = ("scale", "crop", "overlay", "boxblur", "loudnorm", "ebur128", "subtitles",
                    "drawtext", "sidechaincompress", "amix", "fps", "setpts")


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order a person would fix them."""
    return [_python(), _home(settings), _database(settings), *_ffmpeg(settings),
            _cjk_font(settings), _redis(settings)]


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    return Check("python", sys.version_info >= (3, 11), version, "install Python 3.11 or newer")


def _home(settings: Settings) -> Check:
    home = settings.home.resolve()
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / ".doctor-probe"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        return Check("data folder", False, f"{home}: {exc.strerror}",
                     "set STUDIO_HOME to a writable folder")
    return Check("data folder", True, str(home))


def _database(settings: Settings) -> Check:
    from sqlalchemy.exc import SQLAlchemyError

    from studio import schema
    from studio.db import make_engine

    url = settings.resolved_database_url
    engine = make_engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        current = schema.current_revision(engine)
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return Check("database", False, f"{shown}: {first}",
                     "check STUDIO_DATABASE_URL and that the server runs")
    except ModuleNotFoundError as exc:
        return Check("database", False, f"{shown}: driver {exc.name} missing",
                     "pip install 'studio[postgres]'")
    finally:
        engine.dispose()
    head = schema.head_revision()
    if current != head:
        return Check("database", False, f"{shown}: schema {current or 'empty'}, needs {head}",
                     "run `studio init` (or `studio db upgrade`)")
    return Check("database", True, f"{shown} (schema {head})")


def _ffmpeg(settings: Settings) -> list[Check]:
    try:
        binary = settings.ffmpeg_binary()
    except (RuntimeError, OSError) as exc:
        return [Check("ffmpeg", False, str(exc), "pip install imageio-ffmpeg or set STUDIO_FFMPEG")]
    if not (Path(binary).is_file() or shutil.which(binary)):
        return [Check("ffmpeg", False, f"{binary} not found", "set STUDIO_FFMPEG to an ffmpeg")]
    try:
        version = subprocess.run([binary, "-hide_banner", "-version"], capture_output=True,
                                 text=True, timeout=20, check=True).stdout.split("\n")[0]
        filters = subprocess.run([binary, "-hide_banner", "-filters"], capture_output=True,
                                 text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return [Check("ffmpeg", False, f"{binary}: {exc}", "set STUDIO_FFMPEG to a working ffmpeg")]
    names = {line.split()[1] for line in filters.splitlines()
             if len(line.split()) > 2 and line.startswith(" ")}
    missing = [f for f in REQUIRED_FILTERS if f not in names]
    return [
        Check("ffmpeg", True, f"{' '.join(version.split()[:3])} ({binary})"),
        Check("ffmpeg filters", not missing,
              "all of " + ", ".join(REQUIRED_FILTERS) if not missing
              else "missing: " + ", ".join(missing),
              "use an ffmpeg built with libass and libfreetype (STUDIO_FFMPEG)"),
    ]


def _cjk_font(settings: Settings) -> Check:
    if settings.font_path:
        ok = settings.font_path.is_file()
        return Check("CJK font", ok, str(settings.font_path), "STUDIO_FONT_PATH names no file")
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return Check("CJK font", False, "fontconfig (fc-list) not found",
                     "install fontconfig and fonts-noto-cjk, or set STUDIO_FONT_PATH")
    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True,
                           timeout=20).stdout.strip().splitlines()
    if not found:
        return Check("CJK font", False, "no Chinese font known to fontconfig",
                     "apt-get install fonts-noto-cjk (or set STUDIO_FONT_PATH)")
    # The font subtitles will get: fontconfig's best Simplified Chinese sans match.
    fc_match = shutil.which("fc-match")
    if fc_match:
        best = subprocess.run([fc_match, "-f", "%{family[0]} (%{file})", "sans-serif:lang=zh-cn"],
                              capture_output=True, text=True, timeout=20).stdout.strip()
        if best:
            return Check("CJK font", True, best)
    return Check("CJK font", True, found[0].split(",")[0])


def _redis(settings: Settings) -> Check:
    if not settings.redis_url:
        return Check("redis", True, "not configured (in-process hub)", required=False)
    try:
        import redis
    except ModuleNotFoundError:
        return Check("redis", False, "redis client not installed", "pip install 'studio[redis]'")
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=3, socket_connect_timeout=3)
    try:
        client.ping()
        version = client.info("server").get("redis_version", "?")
    except redis.RedisError as exc:
        return Check("redis", False, f"{_hide_password(settings.redis_url)}: {exc}",
                     "start Redis or fix STUDIO_REDIS_URL")
    finally:
        client.close()
    return Check("redis", True, f"{_hide_password(settings.redis_url)} (Redis {version})")


def _hide_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
