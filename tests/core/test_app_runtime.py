"""The serving process's collector settings: applied for the app's lifetime, then undone."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from studio.app import create_app


def test_serving_freezes_startup_objects_and_collects_the_young_less_often(settings):
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    with TestClient(create_app(settings.model_copy(update={"gc_threshold": 12_345}))) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_threshold() == (12_345, *threshold[1:])
        assert gc.get_freeze_count() > frozen  # the imports and the app are out of the scans
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == frozen


def test_zero_keeps_pythons_thresholds(settings):
    threshold = gc.get_threshold()
    with TestClient(create_app(settings.model_copy(update={"gc_threshold": 0}))):
        assert gc.get_threshold() == threshold


def test_the_threshold_comes_from_the_environment(monkeypatch):
    from studio.config import Settings

    monkeypatch.setenv("STUDIO_GC_THRESHOLD", "5000")
    assert Settings().gc_threshold == 5000
