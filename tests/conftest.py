"""Shared fixtures: a real database per backend (SQLite always, PostgreSQL when configured),
settings pointing at it, an API client, an in-process CLI runner and service checks."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from studio import schema
from studio.config import Settings, get_settings
from studio.db import all_models, make_engine, make_session_factory

REQUIRE_SERVICES = os.environ.get("STUDIO_TEST_REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    """Skip on a laptop without the service; fail in CI, where it must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (STUDIO_TEST_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'studio.db'}"
    url = os.environ.get("STUDIO_TEST_DATABASE_URL")
    if not url:
        service_missing("STUDIO_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    return url


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    """The backend's database, emptied and migrated to head once per session."""
    engine = make_engine(database_url)
    schema.recreate(engine)
    yield engine
    engine.dispose()


def _empty_tables(engine: Engine) -> None:
    tables = list(reversed(all_models().sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    """The migrated database, emptied after each test."""
    yield migrated_engine
    _empty_tables(migrated_engine)


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking data; commit explicitly when other code must see it."""
    with session_factory() as s:
        yield s


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings(home=tmp_path / "home",
                    database_url=engine.url.render_as_string(hide_password=False))


@pytest.fixture
def client(settings: Settings) -> Iterator:
    from fastapi.testclient import TestClient

    from studio.app import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def studio_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """STUDIO_* variables for the test database, with the cached settings and engine reset."""
    from studio import cli_support

    env = {"STUDIO_HOME": str(settings.home), "STUDIO_DATABASE_URL": settings.database_url or ""}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("STUDIO_REDIS_URL", raising=False)
    get_settings.cache_clear()
    cli_support.session_factory.cache_clear()
    yield env
    for factory in _cached_factories():
        factory.kw["bind"].dispose()
    get_settings.cache_clear()
    cli_support.session_factory.cache_clear()


def _cached_factories() -> list[sessionmaker[Session]]:
    from studio import cli_support

    # functools.cache keeps no public list of values; call it the way commands did to fetch it.
    if cli_support.session_factory.cache_info().currsize:
        return [cli_support.session_factory()]
    return []


class CliResult:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def run_cli(studio_env: dict[str, str]):
    """Run `studio ARGS…` in-process against the test database; returns exit code and output."""
    from typer.testing import CliRunner

    from studio.cli import app
    from studio.cli_support import console, err_console

    runner = CliRunner()
    # a fixed width, so tables keep whole cells to assert on: under pytest-xdist the width
    # otherwise found sometimes cut them to 80 columns
    console.width = err_console.width = 200

    def run(*args: str) -> CliResult:
        result = runner.invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "200"})
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("STUDIO_TEST_REDIS_URL")
    if not url:
        service_missing("STUDIO_TEST_REDIS_URL is not set: Redis tests skipped")
    return url


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` with a real uvicorn on a free loopback port, in a thread; yields its URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            ws="websockets-sansio", ws_per_message_deflate=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the test server did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(settings) -> Iterator[str]:
    from studio.app import create_app

    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture
def show(run_cli) -> str:
    """The demo catalogue, show and plan (``studio init --demo``); returns the show's id."""
    from studio.demo import DEMO_SHOW_ID

    result = run_cli("init", "--demo")
    assert result.exit_code == 0, result.output
    return DEMO_SHOW_ID


@pytest.fixture
def role_tokens(settings, session_factory, show) -> dict[str, str]:
    """The demo show's live-console token for each role."""
    from studio.live_console import tokens

    with session_factory() as session:
        return tokens.tokens_for(session, tokens.server_secret(settings), show)
