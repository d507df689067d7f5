"""Per-show role tokens, derived from the server secret so none is stored in the database.

token = role prefix + base64url(HMAC-SHA256(secret, "show:role:generation"))[:32]. Rotating a
role bumps its generation, which revokes every token handed out before. The secret comes from
``STUDIO_SECRET`` or from ``secret.key`` in the data folder (created on first use, mode 600).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from sqlalchemy.orm import Session

from studio.config import Settings
from studio.db import utcnow
from studio.live_console.models import TokenGeneration

ROLES = ("operator", "host", "overlay", "ingest")
PREFIX = {"operator": "op_", "host": "ho_", "overlay": "ov_", "ingest": "in_"}


def server_secret(settings: Settings) -> bytes:
    env = os.environ.get("STUDIO_SECRET")
    if env:
        return env.encode()
    path = Path(settings.home) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip().encode()


def derive(secret: bytes, show_id: str, role: str, generation: int) -> str:
    digest = hmac.new(secret, f"{show_id}:{role}:{generation}".encode(), hashlib.sha256).digest()
    return PREFIX[role] + base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def generations(session: Session, show_id: str) -> dict[str, int]:
    rows = session.query(TokenGeneration).filter(TokenGeneration.show_id == show_id).all()
    found = {row.role: row.generation for row in rows}
    return {role: found.get(role, 1) for role in ROLES}


def tokens_for(session: Session, secret: bytes, show_id: str) -> dict[str, str]:
    """The current token of every role for a show."""
    return {role: derive(secret, show_id, role, generation)
            for role, generation in generations(session, show_id).items()}


def rotate(session: Session, show_id: str, role: str) -> int:
    """Revoke a role's tokens for a show by moving to the next generation."""
    row = session.get(TokenGeneration, (show_id, role))
    if row is None:
        row = TokenGeneration(show_id=show_id, role=role, generation=1)
        session.add(row)
    row.generation += 1
    row.rotated_at = utcnow()
    session.flush()
    return row.generation


def role_of(token: str, current: dict[str, str]) -> str | None:
    """The role ``token`` grants, comparing in constant time; None when it grants nothing."""
    role = None
    for name, expected in current.items():
        if hmac.compare_digest(token.encode(), expected.encode()):
            role = name
    return role
