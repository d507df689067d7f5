"""The built wheel carries the web assets, migrations and demo data, and finds them installed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "--wheel-dir", str(out), str(ROOT)], check=True, timeout=300,
                   capture_output=True)
    return next(out.glob("studio-*.whl"))


def test_wheel_contains_what_the_app_reads_at_run_time(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("studio/web/templates/base.html", "studio/web/templates/catalog/list.html",
                     "studio/web/static/css/studio.css", "studio/migrations/env.py",
                     "studio/migrations/versions/0001_catalogue_and_shows.py",
                     "studio/catalog/demo/catalog.csv", "studio/locale/zh_CN/LC_MESSAGES/messages.po",
                     "studio/locale/en/LC_MESSAGES/messages.po"):
        assert required in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "studio = studio.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_serves_its_own_templates(wheel, tmp_path):
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = ("from studio.web import web_root; from studio.schema import MIGRATIONS_DIR;"
            "print(web_root()); print(MIGRATIONS_DIR)")
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, cwd=tmp_path, check=True)
    web, migrations = result.stdout.split()
    assert Path(web) == target / "studio" / "web"
    assert Path(migrations) == target / "studio" / "migrations"
