"""Settings: defaults, environment, and nothing done at import time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from studio.config import Settings


def test_defaults_are_the_embedded_ones(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("STUDIO_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.home == Path("studio-data")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'studio-data' / 'studio.db'}"
    assert settings.redis_url is None
    assert Path(settings.ffmpeg_binary()).is_file()  # imageio-ffmpeg's bundled binary


def test_environment_overrides_and_blank_means_unset(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("STUDIO_DATABASE_URL", "  ")
    monkeypatch.setenv("STUDIO_REDIS_URL", "redis://127.0.0.1:6379/2")
    monkeypatch.setenv("STUDIO_FFMPEG", "/opt/ffmpeg/bin/ffmpeg")
    settings = Settings()
    assert settings.resolved_database_url.endswith("/h/studio.db")
    assert settings.redis_url == "redis://127.0.0.1:6379/2"
    assert settings.ffmpeg_binary() == "/opt/ffmpeg/bin/ffmpeg"


def test_importing_every_module_reads_connects_and_creates_nothing(tmp_path):
    home = tmp_path / "never-created"
    code = (
        "import pkgutil, importlib, studio\n"
        "for m in pkgutil.walk_packages(studio.__path__, 'studio.'):\n"
        "    if m.name.startswith('studio.migrations') or m.name == 'studio.__main__':\n"
        "        continue\n"
        "    importlib.import_module(m.name)\n"
        "from studio.app import create_app\n"
    )
    env = {**os.environ, "STUDIO_HOME": str(home),
           "STUDIO_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
           "STUDIO_REDIS_URL": "redis://127.0.0.1:1/0"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not home.exists()
    assert list(tmp_path.iterdir()) == []
