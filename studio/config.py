"""Settings read from the environment (prefix ``STUDIO_``) — only when asked for, never at import."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where Studio keeps its data and which services it talks to."""

    model_config = SettingsConfigDict(env_prefix="STUDIO_", env_file=None, extra="ignore")

    home: Path = Field(default=Path("./studio-data"), description="Data folder (database, media).")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file studio.db in the home."
    )
    redis_url: str | None = Field(default=None, description="Optional Redis for scale-out.")
    ffmpeg: str | None = Field(default=None, description="ffmpeg binary; default: imageio-ffmpeg's.")
    font_path: Path | None = Field(default=None, description="CJK font file for subtitles.")
    timezone: str = Field(default="Asia/Shanghai", description="Default IANA zone for display.")
    render_queue: Literal["local", "redis"] = Field(
        default="local", description="Where the clips page renders: in this server's process "
        "pool, or on `studio worker` processes through Redis.")
    log_format: Literal["text", "json"] = Field(
        default="text", description="Server logs: text for people, json (one object a line) for "
        "log collectors.")
    gc_threshold: int = Field(
        default=20_000, ge=0, description="While serving: allocations between collections of "
        "the youngest generation (Python's default is 700; 0 keeps it). Fewer collections let "
        "fewer short-lived objects reach the old generation, whose growth triggers the long "
        "full collections.")
    debug: bool = False

    @field_validator("database_url", "redis_url", "ffmpeg", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file inside the home folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'studio.db').resolve()}"

    @property
    def uses_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def ffmpeg_binary(self) -> str:
        """Path of the ffmpeg to run: the configured one or the binary imageio-ffmpeg ships."""
        if self.ffmpeg:
            return self.ffmpeg
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
