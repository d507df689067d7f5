"""Rehearsal copies: what a copy carries, what it refuses, and how lists mark it."""

from __future__ import annotations

import pytest

from studio.db import transaction
from studio.errors import Conflict, ValidationFailed
from studio.rehearsal import service
from studio.scripts import service as plan_service
from studio.shows.models import Show, ShowStatus
from tests.rehearsal.conftest import MINI


def _copy(session_factory, show_id: str = MINI, speed: float = 60) -> str:
    with transaction(session_factory) as session:
        return service.create_copy(session=session, show_id=show_id, speed=speed).id


def test_a_copy_is_a_rehearsal_of_its_show_with_the_plan_and_a_clock(session_factory, mini_show):
    first, second = _copy(session_factory), _copy(session_factory, speed=120)
    assert (first, second) == (f"{MINI}-rehearsal-1", f"{MINI}-rehearsal-2")
    with session_factory() as session:
        original, copy = session.get(Show, MINI), session.get(Show, first)
        assert copy.rehearsal_of == MINI and copy.is_rehearsal and not original.is_rehearsal
        assert copy.status is ShowStatus.REHEARSAL
        assert copy.title == f"彩排 Rehearsal · {original.title}"
        assert (copy.timezone, copy.platform, copy.scheduled_start,
                copy.planned_duration_minutes) == (original.timezone, original.platform,
                                                   original.scheduled_start,
                                                   original.planned_duration_minutes)
        assert copy.clock_speed == 60 and copy.clock_show_start == original.scheduled_start
        assert session.get(Show, second).clock_speed == 120
        plan = plan_service.get_plan(session=session, plan_id=first)
        doc = plan_service.current_doc(session=session, plan=plan)
        source = plan_service.current_doc(session=session,
                                          plan=plan_service.get_plan(session=session,
                                                                     plan_id=MINI))
        assert doc.show == first and doc.segments == source.segments and doc.offers == source.offers
        assert plan.versions[0].note == f"copied from {MINI} version 1"


def test_what_cannot_be_rehearsed(session_factory, mini_show, show):
    copy = _copy(session_factory)
    with pytest.raises(ValidationFailed, match=f"itself a rehearsal of {MINI}"):
        _copy(session_factory, copy)
    with pytest.raises(ValidationFailed, match="--speed 0"):
        _copy(session_factory, speed=0)
    from studio.shows import schemas
    from studio.shows import service as show_service

    with transaction(session_factory) as session:
        show_service.create_show(session=session, show_in=schemas.ShowCreate(
            id="no-plan", title="t", scheduled_start="2026-12-24T20:00", planned_duration_minutes=60))
    with pytest.raises(ValidationFailed, match="no plan to rehearse"):
        _copy(session_factory, "no-plan")


def test_the_clock_starts_once_before_the_show(session_factory, mini_show):
    from datetime import UTC, datetime

    from studio.live_console.models import LiveEvent

    copy = _copy(session_factory)
    moment = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    with transaction(session_factory) as session:
        clock = service.start_clock(session=session, show_id=copy, at=moment)
        assert clock.wall_start == moment and clock.speed == 60
        session.add(LiveEvent(show_id=copy, seq=1, at=clock.show_start, type="status.changed",
                              role="operator", data={"status": "live"}))
    with pytest.raises(Conflict, match="already run"), transaction(session_factory) as session:
        service.start_clock(session=session, show_id=copy)
    with pytest.raises(ValidationFailed, match="not a rehearsal copy"), \
            transaction(session_factory) as session:
        service.start_clock(session=session, show_id=MINI)


def test_the_registry_never_shows_a_copy_live(client, session_factory, mini_show):
    copy = _copy(session_factory)
    refused = client.patch(f"/api/v1/shows/{copy}", json={"status": "live"})
    assert refused.status_code == 409
    assert "allowed: cancelled, ended" in refused.json()["error"]["message"]
    assert client.patch(f"/api/v1/shows/{copy}", json={"status": "ended"}).status_code == 200
    # a real show's machine is as it was
    assert client.patch(f"/api/v1/shows/{MINI}", json={"status": "rehearsal"}).status_code == 200
    assert client.patch(f"/api/v1/shows/{MINI}", json={"status": "live"}).status_code == 200


def test_the_shows_api_marks_and_filters_rehearsals(client, session_factory, mini_show):
    copy = _copy(session_factory)
    items = {s["id"]: s for s in client.get("/api/v1/shows").json()["items"]}
    assert items[copy]["rehearsal"] is True and items[copy]["rehearsal_of"] == MINI
    assert items[MINI]["rehearsal"] is False and items[MINI]["rehearsal_of"] is None
    real = client.get("/api/v1/shows", params={"rehearsal": "false"}).json()
    assert copy not in {s["id"] for s in real["items"]} and real["total"] == len(items) - 1
    only = client.get("/api/v1/shows", params={"rehearsal": "true"}).json()
    assert [s["id"] for s in only["items"]] == [copy]


def test_deleting_a_show_deletes_its_rehearsals(client, session_factory, mini_show):
    copy = _copy(session_factory)
    assert client.delete(f"/api/v1/shows/{MINI}").status_code == 204
    assert client.get(f"/api/v1/shows/{copy}").status_code == 404


def test_the_cli_list_marks_a_copy(run_cli, session_factory, mini_show):
    copy = _copy(session_factory)
    listed = run_cli("show", "list")
    assert f"彩排 rehearsal of {MINI}" in listed.stdout and copy in listed.stdout


@pytest.mark.parametrize(("language", "label", "link"), [("zh-CN", "彩排", "与正式场对比"),
                                                         ("en", "Rehearsal", "Compare with the real show")])
def test_the_review_index_marks_a_rehearsal_and_links_it_to_its_show(
        client, run_cli, session_factory, mini_show, tmp_path, language, label, link):
    copy = _copy(session_factory)
    minutes = tmp_path / "minutes.csv"
    minutes.write_text("minute,online_viewers\n2026-12-10 20:00,120\n2026-12-10 20:01,150\n",
                       encoding="utf-8")
    assert run_cli("replay", "import", copy, "--metrics", str(minutes)).exit_code == 0
    page = client.get("/replay", headers={"Accept-Language": language})
    assert page.status_code == 200
    from html.parser import HTMLParser

    class Marks(HTMLParser):
        inside, texts, links = 0, [], []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if attrs.get("data-testid") == "rehearsal-of":
                self.inside = 1
            elif self.inside:
                self.inside += tag != "br"
                if tag == "a":
                    self.links.append(attrs["href"])

        def handle_endtag(self, tag):
            if self.inside:
                self.inside -= 1

        def handle_data(self, data):
            if self.inside and data.strip():
                self.texts.append(data.strip())

    marks = Marks()
    marks.feed(page.text)
    assert marks.texts == [label, link]
    assert marks.links == [f"/replay/{copy}/vs/{MINI}"]
