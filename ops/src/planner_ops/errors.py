"""Every failure the operator can do something about ends the command with one line and a non-zero code.

`OpsGroup` is the click group class of the CLI (and of its sub-groups): it turns our own errors, an
unreachable broker or database and anything unexpected into `planner-ops: <what>` on stderr, never a
traceback (PLANNER_OPS_DEBUG=1 shows it). Exit codes: 2 unknown topic/service/view or bad value, 3 Kafka or
PostgreSQL unreachable, 1 anything else, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import psycopg
import typer
from aiokafka.errors import KafkaConnectionError, KafkaError, NoBrokersAvailable
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

UNKNOWN, UNREACHABLE, FAILED = 2, 3, 1


class OpsError(Exception):
    """Raised for something the operator named that does not exist or cannot be done (one-line message)."""

    code = UNKNOWN

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class Unreachable(OpsError):
    """Raised when Kafka or PostgreSQL does not answer."""

    code = UNREACHABLE


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def explain(exc: BaseException) -> tuple[str, int]:
    """The one line and exit code for an exception."""
    if isinstance(exc, OpsError):
        return str(exc), exc.code
    if isinstance(exc, (KafkaConnectionError, NoBrokersAvailable)):
        # aiokafka reports refused credentials the same way (bootstrap failed): name the principal too.
        who = os.environ.get("KAFKA_USERNAME") or "no principal"
        return (f"Kafka is unreachable at {os.environ.get('KAFKA_BOOTSTRAP_SERVERS', '?')} as {who} (down, or "
                f"these credentials refused): {_first_line(exc)}"), UNREACHABLE
    if isinstance(exc, KafkaError):
        return f"Kafka refused: {type(exc).__name__}: {_first_line(exc)}", FAILED
    if isinstance(exc, psycopg.OperationalError):
        where = f"{os.environ.get('POSTGRES_HOST', '127.0.0.1')}:{os.environ.get('POSTGRES_PORT', '?')}"
        return f"PostgreSQL is unreachable at {where}: {_first_line(exc)}", UNREACHABLE
    if isinstance(exc, psycopg.Error):
        return f"PostgreSQL error: {_first_line(exc)}", FAILED
    return f"unexpected error: {type(exc).__name__}: {_first_line(exc)}", FAILED


class OpsGroup(TyperGroup):
    """A command group whose commands fail with one line instead of a traceback."""

    def invoke(self, ctx: Any) -> Any:  # click's Context, which typer vendors privately
        try:
            return super().invoke(ctx)
        except (Exit, Abort, TyperException):  # typer's own: usage errors, --help, explicit exits
            raise
        except KeyboardInterrupt:
            raise Exit(130) from None
        except Exception as exc:  # noqa: BLE001 — the point: one line, never a traceback
            if os.environ.get("PLANNER_OPS_DEBUG"):
                raise
            line, code = explain(exc)
            typer.echo(f"planner-ops: {line}", err=True)
            sys.stderr.flush()
            raise Exit(code) from None
