"""The plan JSON API: documents and versions, preview of unsaved edits, arrange, checks, YAML."""

from __future__ import annotations

import pytest

from studio.demo import DEMO_SHOW_ID

BASE = f"/api/v1/plans/{DEMO_SHOW_ID}"


@pytest.fixture
def demo(client, run_cli):
    assert run_cli("init", "--demo").exit_code == 0


def test_read_and_save_a_new_version_only_when_changed(client, demo):
    body = client.get(BASE).json()
    assert body["version"] == 1 and body["document"]["show"] == DEMO_SHOW_ID
    document = body["document"]
    same = client.put(BASE, json={"document": document})
    assert same.status_code == 200 and same.json()["changed"] is False
    document["segments"][1]["minutes"] = "9"
    saved = client.put(BASE, json={"document": document, "note": "longer opener"},
                       headers={"X-Studio-Actor": "planner"})
    assert saved.json()["version"] == 2 and saved.json()["changed"] is True
    versions = client.get(f"{BASE}/versions").json()
    assert [(v["version"], v["created_by"], v["note"]) for v in versions[:2]] == [
        (2, "planner", "longer opener"), (1, "demo", "demo plan")]
    assert client.get(BASE, params={"version": 1}).json()["document"]["segments"][1]["minutes"] \
        != "9"


def test_preview_recomputes_timing_and_prices_without_saving(client, demo):
    document = client.get(BASE).json()["document"]
    before = client.post(f"{BASE}/preview", json={"document": document}).json()
    document["segments"][1]["minutes"] = str(float(document["segments"][1]["minutes"]) + 10)
    after = client.post(f"{BASE}/preview", json={"document": document}).json()
    assert after["slots"][2]["start"] > before["slots"][2]["start"]
    assert client.get(BASE).json()["version"] == 1
    assert any(f["code"] == "past_end" for f in after["findings"])


def test_invalid_document_names_the_field(client, demo):
    document = client.get(BASE).json()["document"]
    document["segments"][2]["minutes"] = "0"
    response = client.put(BASE, json={"document": document})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"][0]["field"].startswith("segments[2] (")
    assert error["details"][0]["field"].endswith(").minutes")


def test_arrange_an_edit_and_save_it(client, demo):
    document = client.get(BASE).json()["document"]
    document["segments"].reverse()
    arranged = client.post(f"{BASE}/arrange", json={"document": document}).json()
    assert arranged["saved"] is False
    kinds = [s["kind"] for s in arranged["document"]["segments"]]
    assert kinds[0] == "opening" and kinds[-1] == "closing"
    assert all(s.get("reason") for s in arranged["document"]["segments"])
    saved = client.post(f"{BASE}/arrange", json={"save": True}).json()
    assert saved["version"] == (2 if saved["saved"] else 1)
    again = client.post(f"{BASE}/arrange", json={"save": True}).json()
    assert again["saved"] is False and again["version"] == saved["version"]  # a fixed point


def test_runsheet_check_targets_and_yaml(client, demo):
    sheet = client.get(f"{BASE}/runsheet").json()
    assert sheet["errors"] == 0 and sheet["slots"][0]["kind"] == "opening"
    lead = next(s for s in sheet["slots"] if s["prices"])["prices"][0]
    assert set(lead) >= {"list_price", "daily_price", "live_price", "final_price", "margin"}
    assert client.get(f"{BASE}/check").json() == {"errors": 0, "findings": []}
    targets = client.get(f"{BASE}/targets", params={"gmv": "300000"}).json()
    assert targets["viewers_needed"] == 60000 and targets["lines"]
    yaml_text = client.get(f"{BASE}/export.yaml")
    assert yaml_text.headers["content-type"].startswith("application/yaml")
    imported = client.post("/api/v1/plans/import", content=yaml_text.content)
    assert imported.status_code == 201 and imported.json()["changed"] is False


def test_create_plan_for_a_show_through_the_api(client, demo):
    client.post("/api/v1/shows", json={"id": "api-show", "title": "API show",
                                       "scheduled_start": "2026-12-09T20:00:00",
                                       "planned_duration_minutes": 60})
    response = client.post("/api/v1/plans", json={"show": "api-show",
                                                  "skus": ["BT-MASK-10", "HM-CUP-WHT"]})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/v1/plans/api-show"
    again = client.post("/api/v1/plans", json={"show": "api-show", "skus": ["BT-MASK-10"]})
    assert again.status_code == 409


def test_plan_pages_render(client, demo):
    html = {"Accept": "text/html"}
    assert "demo-winter-goodies" in client.get("/plans", headers=html).text
    sheet = client.get(f"/plans/{DEMO_SHOW_ID}/sheet", headers=html)
    assert sheet.status_code == 200 and "<small>· 排品脚本</small>" in sheet.text
    english = client.get(f"/plans/{DEMO_SHOW_ID}/sheet", params={"lang": "en"}, headers=html)
    assert "<small>· Run sheet</small>" in english.text and '<html lang="en">' in english.text


def test_a_save_based_on_an_old_version_is_refused(client, demo):
    document = client.get(BASE).json()["document"]
    document["title"] = "第一个标签页 first tab"
    assert client.put(BASE, json={"document": document, "base_version": 1}).status_code == 200
    document["title"] = "第二个标签页 second tab"
    stale = client.put(BASE, json={"document": document, "base_version": 1})
    assert stale.status_code == 409
    assert "was saved as version 2 since you opened version 1" in stale.json()["error"]["message"]
    assert client.get(BASE).json()["document"]["title"] == "第一个标签页 first tab"
