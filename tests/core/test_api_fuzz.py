"""The HTTP API fuzzed from its own OpenAPI schema (schemathesis) against a real server: whatever
a client sends, the answer is never a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.slow


def test_no_input_makes_a_server_error(live_server, show):
    # one test walking the operations: schemathesis' pytest fixture loader does not run on
    # this pytest, and the schema is only there once the server is
    schema = schemathesis.openapi.from_url(f"{live_server}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def no_server_error(case):
            case.call_and_validate(checks=[not_a_server_error], timeout=30)

        no_server_error()


def test_text_no_database_can_store_is_refused_by_name(client):
    created = client.post("/api/v1/shows", json={
        "title": "冬日\u0000好物", "platform": "douyin", "scheduled_start": "2026-12-10T20:00:00+08:00",
        "planned_duration_minutes": 120})
    assert created.status_code == 422
    assert created.json()["error"]["message"] == "body.title: contains a NUL character"
    lone = client.post("/api/v1/shows", content=b'{"title": "\\ud83d", "platform": "douyin"}',
                       headers={"Content-Type": "application/json"})
    assert lone.status_code == 422
    assert "body.title: contains an unpaired surrogate" in lone.json()["error"]["message"]
    searched = client.get("/api/v1/products", params={"q": "a\u0000b"})
    assert searched.status_code == 422 and searched.json()["error"]["message"].startswith("q: ")
    fine = client.get("/api/v1/products", params={"q": "😀 面膜"})  # a real pair is fine
    assert fine.status_code == 200
