"""Metrics (Prometheus, through prometheus_client), structured logs, and secrets kept out of logs.

Metrics are process-wide objects. With several server workers (``studio serve --workers N``)
each worker is a process of its own, so the serve command points ``PROMETHEUS_MULTIPROC_DIR``
at a fresh folder before the workers start: every worker writes its samples there, and
``/metrics`` on any of them reports the sum over all (prometheus_client's multiprocess mode).

Role tokens travel in URLs (OBS browser sources cannot send headers), so access logs would
otherwise print them: ``RedactSecrets`` masks them in every record, whatever the format.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

LIVE_CONNECTIONS = Gauge("studio_live_connections", "Open live-console sockets, by role",
                         ["role"], multiprocess_mode="livesum")
LIVE_EVENTS = Counter("studio_live_events", "Events written to the live log by this worker")
LIVE_SEQ_CONFLICTS = Counter("studio_live_seq_conflicts",
                             "Writes that found the next seq taken by another worker (retried)")
LIVE_RESYNCS = Counter("studio_live_resyncs", "Slow clients sent a snapshot instead of a backlog")
FANOUT_PUBLISHED = Counter("studio_fanout_published", "Event messages published to Redis")
FANOUT_RECEIVED = Counter("studio_fanout_received", "Event messages received from other workers")
FANOUT_DROPPED = Counter("studio_fanout_dropped",
                         "Event messages not published (Redis away); other workers read the log")
FANOUT_CATCH_UPS = Counter("studio_fanout_catch_ups", "Events read from the log to fill a gap")
FANOUT_LAG = Histogram("studio_fanout_lag_seconds",
                       "From an event's commit on one worker to its arrival on another",
                       buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
RENDER_JOBS = Gauge("studio_render_jobs", "Clip render batches queued or running, by state",
                    ["state"], multiprocess_mode="livesum")
RENDER_QUEUE = Gauge("studio_render_queue_depth",
                     "Clip render batches waiting on the Redis queue for a `studio worker`",
                     multiprocess_mode="max")


def metrics_text() -> tuple[bytes, str]:
    """The exposition text for /metrics and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def worker_exited(pid: int) -> None:
    """Drop a dead worker's live gauges (uvicorn calls no hook; the serve command may)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


# ---- logs ------------------------------------------------------------------------------------------

_TOKEN_PARAM = re.compile(r"((?:token|signature|secret)=)[^&\s\"']+", re.IGNORECASE)
_TOKEN_VALUE = re.compile(r"\b(op|ho|ov|in)_[A-Za-z0-9_-]{16,}")  # studio/live_console/tokens.py
_BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with role tokens, signatures and bearer credentials masked."""
    text = _TOKEN_PARAM.sub(r"\1***", text)
    text = _BEARER.sub(r"\1***", text)
    return _TOKEN_VALUE.sub(r"\1_***", text)


class RedactSecrets(logging.Filter):
    """Masks secrets in a record's message and arguments before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            if isinstance(record.args, dict):
                record.args = {k: redact(v) if isinstance(v, str) else v
                               for k, v in record.args.items()}
            else:
                record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def log_config(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    """A logging dictConfig for uvicorn and Studio: text for people, JSON lines for collectors;
    secrets redacted either way."""
    if log_format == "json":
        formatter: dict[str, Any] = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger",
                              "process": "pid"},
            "timestamp": False,
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "default",
               "filters": ["redact"], "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "studio.observability.RedactSecrets"}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
            "studio": {"handlers": ["default"], "level": level, "propagate": False},
        },
    }
