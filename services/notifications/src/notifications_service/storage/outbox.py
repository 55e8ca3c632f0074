"""The sender's statements on the `notifications` outbox: claim a round of due rows, and write the round's
changes back together (one UPDATE per shape of change, not one per row and step).

Every write keeps the guard the per-row UPDATEs had: only a row still `pending` changes, so a row another
path finished (or a user's read) is never overwritten. `sent_at` is set to the database's `now()`, and a
`next_attempt_in` of s seconds sets `next_attempt_at = now() + s`.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb
from sqlalchemy import bindparam, func, literal_column, select, update

from spine.views import execute

from notifications_service.storage.notifications import notifications as t

LEASE = timedelta(minutes=5)

# A round: due rows, oldest first, leased for LEASE (FOR UPDATE SKIP LOCKED: two workers never share a row),
# each with its age in seconds (database clock; how long a row has waited for its views). 'pending' is a
# literal so that a prepared (generic) plan still matches the partial index `notifications_due`.
_DUE = (select(t.c.notification_id).where(t.c.status == literal_column("'pending'"), t.c.next_attempt_at <= func.now())
        .order_by(t.c.next_attempt_at).limit(bindparam("batch")).with_for_update(skip_locked=True))
CLAIM = (update(t).where(t.c.notification_id.in_(_DUE.scalar_subquery()))
         .values(next_attempt_at=func.now() + LEASE)
         .returning(*t.c, func.extract("epoch", func.now() - t.c.created_at).label("age")))

# Columns a round may write, with their SQL types in the JSON record set.
_TYPES = {"subject": "text", "body": "text", "html": "text", "locale": "text", "recipient": "text",
          "status": "text", "last_error": "text", "attempts": "integer", "next_attempt_in": "float8"}


def claim(conn: Connection, batch: int) -> list[dict[str, Any]]:
    """Lease up to `batch` due rows (dict rows of every column, plus `age`)."""
    rows: list[dict[str, Any]] = execute(conn.cursor(), CLAIM, {"batch": batch}).fetchall()  # type: ignore[assignment]
    return rows


@lru_cache(maxsize=64)
def _statement(shape: tuple[str, ...]) -> str:
    """UPDATE … FROM jsonb_to_recordset for rows that set the columns of `shape` (names from _TYPES only)."""
    sets, record = [], ["notification_id uuid"]
    for name in shape:
        if name == "sent_at":
            sets.append("sent_at = now()")
        elif name == "next_attempt_in":
            sets.append("next_attempt_at = now() + r.next_attempt_in * interval '1 second'")
            record.append(f"{name} {_TYPES[name]}")
        else:
            sets.append(f"{name} = r.{name}")
            record.append(f"{name} {_TYPES[name]}")
    return (f"UPDATE notifications AS n SET {', '.join(sets)} "
            f"FROM jsonb_to_recordset(%(rows)s) AS r({', '.join(record)}) "
            "WHERE n.notification_id = r.notification_id AND n.status = 'pending'")


class Changes:
    """The row changes of one step of a round, committed by `commit` in one statement per shape."""

    def __init__(self) -> None:
        self._shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._shapes.values())

    def add(self, notification_id: Any, *, sent_at: bool = False, **values: Any) -> None:
        """Change one row: `values` of _TYPES' columns; `sent_at=True` stamps it with now()."""
        for name in values:
            if name not in _TYPES:
                raise KeyError(f"the sender does not write {name!r}")
        shape = tuple(sorted(values)) + (("sent_at",) if sent_at else ())
        self._shapes.setdefault(shape, []).append({**values, "notification_id": str(notification_id)})

    def commit(self, conn: Connection) -> None:
        """Write the changes (pipelined: one round trip) and commit them."""
        if self._shapes:
            with conn.pipeline(), conn.cursor() as cur:
                for shape, rows in self._shapes.items():
                    cur.execute(_statement(shape), {"rows": Jsonb(rows)})
            self._shapes.clear()
        conn.commit()
