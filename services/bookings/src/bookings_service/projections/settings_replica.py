"""A replica of the platform settings bookings obeys (users.v1 SettingChanged/SettingReset), read as `BookingRules`."""

from __future__ import annotations

import threading
import time
from typing import Any

from psycopg import Cursor
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert

from contracts import Envelope, topics
from contracts.users import SettingChanged, SettingReset
from spine.views import View, execute, fetch

from bookings_service.domain import BookingRules
from bookings_service.domain.terms import BOUNDS

KEYS = ("waitlist_policy", *BOUNDS)

metadata = MetaData()
settings_replica = Table(
    "settings_replica", metadata,
    Column("key", Text, primary_key=True),
    Column("value", JSONB, nullable=False),
    Column("version", BigInteger, nullable=False),
)
# The batch's newest message per key, as arrays (one statement); a row keeps a newer version it already has.
_rows = select(*(func.unnest(bindparam(c.name, type_=ARRAY(c.type))).label(c.name) for c in settings_replica.columns))
_insert = insert(settings_replica).from_select([c.name for c in settings_replica.columns], _rows)
UPSERT = _insert.on_conflict_do_update(
    index_elements=["key"], set_={"value": _insert.excluded.value, "version": _insert.excluded.version},
    where=settings_replica.c.version < _insert.excluded.version)


class SettingsReplica(View):
    """Table `settings_replica(key, value)`: only the keys bookings uses."""

    name = "settings_replica"
    version = 1
    metadata = metadata

    def __init__(self, topic: str = topics.USERS):
        self.topics = (topic,)

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        newest: dict[str, tuple[int, Any]] = {}  # key → (version, value): the first of the highest version wins
        for envelope in envelopes:
            if envelope.version != 1:
                continue
            if envelope.type == SettingChanged.message_type:  # type: ignore[attr-defined]
                setting = SettingChanged.model_validate(envelope.payload)
                key, value = setting.key, setting.value
            elif envelope.type == SettingReset.message_type:  # type: ignore[attr-defined]
                # Back to default: a JSON null, which BookingRules reads as "use the default" (a row, not a
                # delete, so the version guard still ignores an older SettingChanged delivered late).
                key, value = SettingReset.model_validate(envelope.payload).key, None
            else:
                continue
            if key in KEYS and (key not in newest or newest[key][0] < envelope.aggregate_version):
                newest[key] = (envelope.aggregate_version, value)
        if newest:
            execute(cur, UPSERT, {"key": list(newest), "value": [Jsonb(v) for _, v in newest.values()],
                                  "version": [version for version, _ in newest.values()]})


class RulesReader:
    """Current `BookingRules`, re-read at most every `refresh_seconds` (settings change rarely)."""

    def __init__(self, pool: ConnectionPool, refresh_seconds: float = 2.0):
        self.pool = pool
        self.refresh_seconds = refresh_seconds
        self._rules = BookingRules()
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    def current(self) -> BookingRules:
        with self._lock:
            if self._loaded_at is None or time.monotonic() - self._loaded_at >= self.refresh_seconds:
                with self.pool.connection() as conn:
                    rows = fetch(conn, select(settings_replica.c.key, settings_replica.c.value))
                self._rules = BookingRules.from_settings({row["key"]: row["value"] for row in rows})
                self._loaded_at = time.monotonic()
            return self._rules
