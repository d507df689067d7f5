"""The root command: init, doctor, db, serve's start-up checks, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from studio.catalog.models import Sku
from studio.demo import DEMO_SHOW_ID


def test_init_demo_loads_catalogue_and_show_and_is_idempotent(run_cli, session):
    first = run_cli("init", "--demo")
    assert first.exit_code == 0, first.output
    assert f"demo show: {DEMO_SHOW_ID}" in first.stdout
    skus = session.scalar(select(func.count()).select_from(Sku))
    assert skus >= 30
    second = run_cli("init", "--demo")
    assert f"0 SKUs created, 0 updated, {skus} unchanged" in second.stdout
    shows = json.loads(run_cli("show", "list", "--json").stdout)
    assert [s["id"] for s in shows["items"]] == [DEMO_SHOW_ID]


def test_demo_catalogue_is_rich_enough_to_plan_with(run_cli):
    run_cli("init", "--demo")
    items = json.loads(run_cli("catalog", "list", "--json").stdout)["items"]
    categories = {p["category"] for p in items}
    assert {"美妆 Beauty", "零食 Snacks", "服饰 Apparel", "家居 Home"} <= categories
    roles = {t for p in items for t in p["tags"]} & {"引流款", "福利款", "主推款", "利润款"}
    assert len(roles) == 4
    assert all(3 <= len(p["selling_points"]) <= 5 for p in items)
    sized = [s for p in items for s in p["skus"] if len(s["options"]) >= 2]
    assert sized, "apparel with colours and sizes"


def test_db_current_and_upgrade(run_cli):
    from studio import schema

    assert run_cli("db", "current").stdout.strip() == schema.head_revision()
    assert run_cli("db", "upgrade").exit_code == 0


def test_doctor_checks_everything_and_names_fixes(run_cli):
    result = run_cli("doctor")
    for name in ("python", "data folder", "database", "ffmpeg", "ffmpeg filters", "CJK font",
                 "redis"):
        assert name in result.stdout
    assert "not configured" in result.stdout  # Redis is optional


def test_doctor_reaches_a_real_redis(run_cli, redis_url, monkeypatch):
    from studio.config import get_settings

    monkeypatch.setenv("STUDIO_REDIS_URL", redis_url)
    get_settings.cache_clear()
    result = run_cli("doctor")
    line = next(x for x in result.stdout.splitlines() if "redis" in x)
    assert ("ok" in line and "Redis 7" in line) or "Redis" in line


def test_doctor_fails_clearly_when_redis_is_down(run_cli, monkeypatch):
    from studio.config import get_settings

    monkeypatch.setenv("STUDIO_REDIS_URL", "redis://127.0.0.1:1/0")
    get_settings.cache_clear()
    result = run_cli("doctor")
    assert result.exit_code == 1
    # the fix is on the error line whole, whatever width the table wrapped to
    assert "redis (start Redis or fix STUDIO_REDIS_URL" in result.stderr
    assert "FAIL" in result.stdout


def _studio(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_unmigrated_database_is_refused_with_the_fix(tmp_path):
    env = {"STUDIO_HOME": str(tmp_path), "STUDIO_DATABASE_URL": ""}
    result = _studio(env, "catalog", "list")
    assert result.returncode == 1
    from studio import schema

    assert result.stderr.strip() == (
        f"error: the database is empty, not {schema.head_revision()}: "
        "run `studio init` (or `studio db upgrade`)")
    serve = _studio(env, "serve", "--port", "1")
    assert serve.returncode == 1 and "run `studio init`" in serve.stderr


def test_unreachable_database_is_one_line(tmp_path):
    env = {"STUDIO_HOME": str(tmp_path),
           "STUDIO_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    result = _studio(env, "show", "list")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: cannot open the database")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["catalog", "--help"]])
def test_help_and_version(args):
    result = _studio({}, *args)
    assert result.returncode == 0 and result.stdout.strip()


def test_an_unexpected_failure_is_still_one_line(run_cli, monkeypatch):
    from studio.shows import service

    def broken(**kwargs):
        raise RuntimeError("disk controller on fire")

    monkeypatch.setattr(service, "list_shows", broken)
    result = run_cli("show", "list")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: unexpected RuntimeError: disk controller on fire "
        "(set STUDIO_DEBUG=1 to see the traceback)")
