"""Loading many aggregates with one query: the one place that reads the eventsourcing library's table layout.

A batch (a saga step over hundreds of bookings, a seat desk over a few events) would otherwise pay one or
two round trips per aggregate. `load_many` asks PostgreSQL once for, per id, the newest snapshot and the
events after it — or, for an aggregate in the application's cache, only the events after the cached
version (the library's own fast-forward, for many ids at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

# Per wanted id: `floor` is the cached version (NULL when not cached). A cached id reads only its newer events;
# any other id its newest snapshot (if any) and the events after that.
_SELECT = """
WITH want AS (SELECT * FROM unnest(%s::{idtype}[], %s::bigint[]) AS w(originator_id, floor)),
snap AS (
    SELECT w.originator_id, s.originator_version, s.topic, s.state FROM want w
    CROSS JOIN LATERAL (SELECT originator_version, topic, state FROM {schema}.{snapshots} x
                        WHERE x.originator_id = w.originator_id ORDER BY originator_version DESC LIMIT 1) s
    WHERE w.floor IS NULL)
SELECT originator_id, originator_version, topic, state, true AS snapshot FROM snap
UNION ALL
SELECT e.originator_id, e.originator_version, e.topic, e.state, false FROM want w
JOIN {schema}.{events} e ON e.originator_id = w.originator_id
LEFT JOIN snap s ON s.originator_id = w.originator_id
WHERE e.originator_version > COALESCE(w.floor, s.originator_version, 0)
ORDER BY originator_id, originator_version
"""

_SELECT_NO_SNAPSHOTS = """
WITH want AS (SELECT * FROM unnest(%s::{idtype}[], %s::bigint[]) AS w(originator_id, floor))
SELECT e.originator_id, e.originator_version, e.topic, e.state, false AS snapshot FROM want w
JOIN {schema}.{events} e ON e.originator_id = w.originator_id
WHERE e.originator_version > COALESCE(w.floor, 0)
ORDER BY originator_id, originator_version
"""


def load_many(app: Application, aggregate_ids: Iterable[UUID]) -> dict[UUID, Any | None]:
    """Each id's current aggregate (None when nothing is stored under it), with one query.

    Aggregates come as `repository.get` would give them: copies (a failed command never corrupts the cache),
    rebuilt from the newest snapshot or the cached state plus the newer events.
    """
    ids = list(dict.fromkeys(aggregate_ids))
    found: dict[UUID, Any | None] = dict.fromkeys(ids)
    if not ids:
        return found
    cache = app.repository.cache
    cached: dict[UUID, Any] = {}
    if cache is not None:
        for aggregate_id in ids:
            try:
                cached[aggregate_id] = cache.get(aggregate_id)
            except KeyError:
                continue
    floors = [cached[i].version if i in cached else None for i in ids]
    for aggregate_id, aggregate in cached.items():
        found[aggregate_id] = deepcopy(aggregate)
    recorder: Any = app.recorder
    datastore = recorder.datastore
    template = _SELECT if app.snapshots is not None else _SELECT_NO_SNAPSHOTS
    params: dict[str, Any] = {"schema": Identifier(datastore.schema), "events": Identifier(recorder.events_table_name),
                              "idtype": SQL(datastore.originator_id_type)}
    if app.snapshots is not None:
        params["snapshots"] = Identifier(app.snapshots.recorder.events_table_name)  # type: ignore[attr-defined]
    statement = SQL(template).format(**params)
    with datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(statement, (ids, floors), prepare=True)
        rows = curs.fetchall()
    mapper = app.mapper
    for row in rows:
        stored = StoredEvent(originator_id=row["originator_id"], originator_version=row["originator_version"],
                             topic=row["topic"], state=bytes(row["state"]))
        domain_event: Any = mapper.to_domain_event(stored)
        aggregate_id = row["originator_id"]
        found[aggregate_id] = domain_event.mutate(None if row["snapshot"] else found[aggregate_id])
    return found

