"""A replica of the platform settings bookings obeys (users.v1 SettingChanged/SettingReset), read as `BookingRules`."""

from __future__ import annotations

import threading
import time

from psycopg import Cursor
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from contracts import Envelope, topics
from contracts.users import SettingChanged, SettingReset
from spine.projector import SqlProjection

from bookings_service.domain import BookingRules
from bookings_service.domain.terms import BOUNDS

KEYS = ("waitlist_policy", *BOUNDS)


class SettingsReplica(SqlProjection):
    """Table `settings_replica(key, value)`: only the keys bookings uses."""

    name = "settings_replica"

    def __init__(self, topic: str = topics.USERS):
        self.topics = (topic,)

    def create_schema(self, cur: Cursor) -> None:
        cur.execute("CREATE TABLE IF NOT EXISTS settings_replica (key text PRIMARY KEY, value jsonb NOT NULL,"
                    " version bigint NOT NULL)")

    def reset(self, cur: Cursor) -> None:
        cur.execute("TRUNCATE settings_replica")

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
        cur.execute("INSERT INTO settings_replica VALUES (%s, %s, %s) ON CONFLICT (key) DO UPDATE"
                    " SET value = EXCLUDED.value, version = EXCLUDED.version"
                    " WHERE settings_replica.version < EXCLUDED.version",
                    (key, Jsonb(value), envelope.aggregate_version))


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
                    rows = conn.execute("SELECT key, value FROM settings_replica").fetchall()
                self._rules = BookingRules.from_settings({row["key"]: row["value"] for row in rows})
                self._loaded_at = time.monotonic()
            return self._rules
