"""Show registry API: slug ids, timezones, status transitions."""

from __future__ import annotations


def create(client, **overrides):
    payload = {"title": "双十二预热 12.12 Warm-up", "scheduled_start": "2026-12-10T20:00:00",
               "planned_duration_minutes": 180, "timezone": "Asia/Shanghai"}
    payload.update(overrides)
    return client.post("/api/v1/shows", json=payload)


def test_naive_start_is_read_in_the_show_timezone(client):
    response = create(client)
    assert response.status_code == 201, response.text
    show = response.json()
    assert show["id"] == "2026-12-10-shuang-shi-er-yu-re-12-12-warm-up"
    assert show["scheduled_start"] == "2026-12-10T20:00:00+08:00"
    assert show["status"] == "planned" and show["platform"] == "douyin"
    assert client.get(f"/api/v1/shows/{show['id']}").json() == show


def test_offset_start_is_kept_as_the_same_instant(client):
    show = create(client, scheduled_start="2026-12-10T12:00:00Z", timezone="Europe/London",
                  title="London pop-up").json()
    assert show["scheduled_start"] == "2026-12-10T12:00:00Z" or \
        show["scheduled_start"] == "2026-12-10T12:00:00+00:00"


def test_same_title_and_day_get_distinct_ids(client):
    first, second = create(client).json()["id"], create(client).json()["id"]
    assert second == f"{first}-2"


def test_unknown_timezone_is_rejected(client):
    response = create(client, timezone="Mars/Olympus")
    assert response.status_code == 422
    assert "unknown timezone 'Mars/Olympus'" in response.json()["error"]["message"]


def test_status_follows_allowed_transitions(client):
    show_id = create(client).json()["id"]
    assert client.patch(f"/api/v1/shows/{show_id}", json={"status": "live"}).status_code == 200
    response = client.patch(f"/api/v1/shows/{show_id}", json={"status": "planned"})
    assert response.status_code == 409
    assert "cannot become planned (allowed: ended, paused)" in response.json()["error"]["message"]
    assert client.patch(f"/api/v1/shows/{show_id}", json={"status": "ended"}).status_code == 200
    assert client.patch(f"/api/v1/shows/{show_id}",
                        json={"status": "live"}).json()["error"]["code"] == "conflict"


def test_list_is_newest_first_and_filters_by_status(client):
    create(client, title="A", scheduled_start="2026-12-01T20:00:00")
    create(client, title="B", scheduled_start="2026-12-05T20:00:00")
    body = client.get("/api/v1/shows").json()
    assert [s["title"] for s in body["items"]] == ["B", "A"] and body["total"] == 2
    assert client.get("/api/v1/shows", params={"status": "live"}).json()["total"] == 0


def test_bad_payloads_name_the_field(client):
    response = create(client, planned_duration_minutes=0)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "planned_duration_minutes"
    assert create(client, id="Bad Id!").status_code == 422
