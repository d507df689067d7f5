"""rehearsal copies and the show clock

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00

Adds to ``shows``: ``rehearsal_of`` (the show a rehearsal copy rehearses) and the show clock
(``clock_speed``, ``clock_wall_start``, ``clock_show_start``; see studio/live_console/clock.py).

SQLite gets plain ``ALTER TABLE … ADD COLUMN`` with the constraints written inline, never batch
mode: batch mode copies the table and drops the old one, and dropping ``shows`` with foreign keys
on deletes every plan, event and replay row that cascades from it.
"""

import sqlalchemy as sa
from alembic import op

import studio.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FK_NAME = "fk_shows_rehearsal_of_shows"
CK_NAME = "ck_shows_clock_speed_positive"
CLOCK_TIMES = ("clock_wall_start", "clock_show_start")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE shows ADD COLUMN rehearsal_of VARCHAR(80) CONSTRAINT {FK_NAME} "
                   "REFERENCES shows (id)")
        op.execute(f"ALTER TABLE shows ADD COLUMN clock_speed FLOAT CONSTRAINT {CK_NAME} "
                   "CHECK (clock_speed IS NULL OR clock_speed > 0)")
        for name in CLOCK_TIMES:
            op.execute(f"ALTER TABLE shows ADD COLUMN {name} DATETIME")
        return
    op.add_column("shows", sa.Column("rehearsal_of", sa.String(length=80), nullable=True))
    op.create_foreign_key(op.f(FK_NAME), "shows", "shows", ["rehearsal_of"], ["id"])
    op.add_column("shows", sa.Column("clock_speed", sa.Float(), nullable=True))
    op.create_check_constraint(op.f(CK_NAME), "shows", "clock_speed IS NULL OR clock_speed > 0")
    for name in CLOCK_TIMES:
        op.add_column("shows", sa.Column(name, studio.db.UTCDateTime(timezone=True),
                                         nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column only when no constraint names it: the foreign key and the check
        # go with their own columns (3.35+), which is what these are.
        for name in (*reversed(CLOCK_TIMES), "clock_speed", "rehearsal_of"):
            op.execute(f"ALTER TABLE shows DROP COLUMN {name}")
        return
    for name in reversed(CLOCK_TIMES):
        op.drop_column("shows", name)
    op.drop_constraint(op.f(CK_NAME), "shows", type_="check")
    op.drop_column("shows", "clock_speed")
    op.drop_constraint(op.f(FK_NAME), "shows", type_="foreignkey")
    op.drop_column("shows", "rehearsal_of")
