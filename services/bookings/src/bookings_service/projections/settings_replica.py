"""A replica of the platform settings bookings obeys (users.v1 SettingChanged), read as `BookingRules`."""

from __future__ import annotations

import threading
import time

from psycopg import Cursor
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from contracts import Envelope, topics
from contracts.users import SettingChanged
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
        if envelope.type != SettingChanged.message_type or envelope.version != 1:  # type: ignore[attr-defined]
            return
        setting = SettingChanged.model_validate(envelope.payload)
        if setting.key not in KEYS:
            return
        cur.execute("INSERT INTO settings_replica VALUES (%s, %s, %s) ON CONFLICT (key) DO UPDATE"
                    " SET value = EXCLUDED.value, version = EXCLUDED.version"
                    " WHERE settings_replica.version < EXCLUDED.version",
                    (setting.key, Jsonb(setting.value), envelope.aggregate_version))


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
