"""A replica of the platform settings bookings obeys (users.v1 SettingChanged/SettingReset), read as `BookingRules`."""

from __future__ import annotations

import threading
import time

from psycopg import Cursor
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, bindparam, select
from sqlalchemy.dialects.postgresql import JSONB, insert

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
_insert = insert(settings_replica).values(key=bindparam("v_key"), value=bindparam("v_value"),
                                          version=bindparam("v_version"))
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
        if envelope.version != 1:
            return
        if envelope.type == SettingChanged.message_type:  # type: ignore[attr-defined]
            setting = SettingChanged.model_validate(envelope.payload)
            key, value = setting.key, setting.value
        elif envelope.type == SettingReset.message_type:  # type: ignore[attr-defined]
            # Back to default: a JSON null, which BookingRules reads as "use the default" (a row, not a
            # delete, so the version guard still ignores an older SettingChanged delivered late).
            key, value = SettingReset.model_validate(envelope.payload).key, None
        else:
            return
        if key not in KEYS:
            return
        execute(cur, UPSERT, {"v_key": key, "v_value": Jsonb(value), "v_version": envelope.aggregate_version})


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
