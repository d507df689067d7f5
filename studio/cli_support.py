"""What every CLI command shares: consoles, the database behind the settings, one-line errors."""

from __future__ import annotations

import getpass
from functools import cache
from typing import Any

import click
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from typer.core import TyperGroup

from studio.config import get_settings
from studio.errors import ConfigurationError, StudioError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
MAX_DETAILS = 50


# Exits and usage errors the argument parser reports itself (typer may vendor its own click).
_COMMAND_LINE_EXITS: tuple[type[BaseException], ...] = (
    typer.Exit, typer.Abort, click.exceptions.ClickException, click.exceptions.Exit,
    click.exceptions.Abort, *((typer.TyperException,) if hasattr(typer, "TyperException") else ()),
)


class StudioGroup(TyperGroup):
    """A command group that turns Studio's errors into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StudioError as exc:
            report_error(exc)
            raise typer.Exit(1) from None
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"]) or "value"
                print_error(f"{where}: {error['msg']}")
            raise typer.Exit(1) from None
        except SQLAlchemyError as exc:
            first = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
            print_error(f"database: {first}")
            raise typer.Exit(1) from None
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            print_error(f"{exc.strerror or exc}{where}")
            raise typer.Exit(1) from None
        except _COMMAND_LINE_EXITS:
            raise
        except Exception as exc:
            if get_settings().debug:
                raise
            # A bug of ours: still one line, with the way to see more.
            print_error(f"unexpected {type(exc).__name__}: {exc} "
                        "(set STUDIO_DEBUG=1 to see the traceback)")
            raise typer.Exit(1) from None


def print_error(message: str) -> None:
    """One line on stderr: ``error: <message>`` (the message is text, never rich markup)."""
    err_console.print(f"[red]error:[/] {escape(message)}")


def report_error(exc: StudioError) -> None:
    print_error(exc.message)
    for detail in exc.details[:MAX_DETAILS]:
        err_console.print(f"  {detail}", markup=False)
    if len(exc.details) > MAX_DETAILS:
        err_console.print(f"  … and {len(exc.details) - MAX_DETAILS} more")


def actor_name() -> str:
    """Who is running the command, for the price history."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


@cache
def session_factory(*, check_schema: bool = True) -> sessionmaker[Session]:
    """Sessions on the configured database; refuses a database that is not migrated to head."""
    from studio import schema
    from studio.db import make_engine, make_session_factory

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    if check_schema:
        try:
            current = schema.current_revision(engine)
        except SQLAlchemyError as exc:
            raise ConfigurationError(
                f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
                f"{str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}"
            ) from None
        head = schema.head_revision()
        if current != head:
            state = "is empty" if current is None else f"is at revision {current}"
            raise ConfigurationError(
                f"the database {state}, not {head}: run `studio init` (or `studio db upgrade`)"
            )
    return make_session_factory(engine)
