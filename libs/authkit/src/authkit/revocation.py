"""Revoked access tokens, known to every service: a read model fed from users.v1 and a check for `install_auth`.

Access tokens are short-lived but not instantly void. Each service learns from users.v1 and refuses:

* every token of a disabled user (`UserDisabled`, until `UserEnabled`);
* tokens issued before a user's role change, password change or re-enabling (`UserRoleChanged`,
  `UserPasswordChanged`, `UserEnabled`, and `UserDisabled` too, so re-enabling does not revive old
  tokens). A token carries the user's stream version (claim `ver`); the event's envelope carries the
  version it made (`aggregate_version`). A token whose `ver` is below it was issued before the change.
  Versions, not clocks: a token minted from a user loaded just before a demotion is refused even if it
  was signed a moment after it. A token without `ver` counts as version 0.
* tokens of a role issued before that role's permissions were redefined (`RoleDefined` at a version
  above 1, compared with the token's `rver` claim): taking a permission away from a role bites at once
  for every holder, who gets the new permissions with their next refresh.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool

from authkit.principal import Principal
from contracts import Envelope, topics
from contracts.registry import message_type
from contracts.users import RoleDefined, UserDisabled, UserEnabled, UserPasswordChanged, UserRoleChanged
from spine.projector import SqlProjection

# Tokens live at most this long (users' ACCESS_TOKEN_EXPIRE_MINUTES is capped at 1440): older cut-offs
# cannot match a live token, so the check does not load them.
MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600 + 60

_CUTS_TOKENS = {message_type(t) for t in (UserDisabled, UserEnabled, UserPasswordChanged, UserRoleChanged)}


class DisabledUsersProjection(SqlProjection):
    """Tables `disabled_users(user_id, disabled_at, reason)`, `token_cutoffs(user_id, min_version, cut_at)` and
    `role_cutoffs(role, min_version, cut_at)` in the consuming service's own database."""

    name = "disabled_users"

    def __init__(self, topic: str = topics.USERS):
        # Tests feed it from a throwaway topic; services read users.v1.
        self.topics = (topic,)

    def create_schema(self, cur: Cursor) -> None:
        cur.execute("CREATE TABLE IF NOT EXISTS disabled_users ("
                    "user_id uuid PRIMARY KEY, disabled_at timestamptz NOT NULL, reason text)")
        cur.execute("CREATE TABLE IF NOT EXISTS token_cutoffs ("
                    "user_id uuid PRIMARY KEY, min_version bigint NOT NULL, cut_at timestamptz NOT NULL)")
        cur.execute("CREATE TABLE IF NOT EXISTS role_cutoffs ("
                    "role text PRIMARY KEY, min_version bigint NOT NULL, cut_at timestamptz NOT NULL)")

    def reset(self, cur: Cursor) -> None:
        cur.execute("TRUNCATE disabled_users, token_cutoffs, role_cutoffs")

    def apply(self, cur: Cursor, envelope: Envelope) -> None:
        self.apply_batch(cur, [envelope])

    def apply_batch(self, cur: Cursor, envelopes: list[Envelope]) -> None:
        """A batch in at most four statements; same result as its messages one by one.

        Cut-offs only grow (GREATEST per column), so the batch's highest per key is upserted once. Per user,
        `disabled_users` ends as: deleted if the batch re-enables them (then the first disabling after the last
        re-enabling, if any, inserted), else the batch's first disabling inserted unless a row is there.
        """
        roles: dict[str, tuple[int, Any]] = {}
        cutoffs: dict[UUID, tuple[int, Any]] = {}
        disabled: dict[UUID, tuple[bool, UserDisabled | None]] = {}  # user → (delete first, then insert)
        for envelope in envelopes:
            if envelope.type == message_type(RoleDefined) and envelope.aggregate_version > 1:
                _greatest(roles, RoleDefined.model_validate(envelope.payload).name, envelope)
                continue
            if envelope.type not in _CUTS_TOKENS:
                continue
            user_id = UUID(str(envelope.payload["user_id"]))
            if envelope.type == message_type(UserDisabled):
                event = UserDisabled.model_validate(envelope.payload)
                delete, insert = disabled.get(user_id, (False, None))
                disabled[user_id] = (delete, insert or event)
            elif envelope.type == message_type(UserEnabled):
                disabled[user_id] = (True, None)
            _greatest(cutoffs, user_id, envelope)
        if removed := [u for u, (delete, _) in disabled.items() if delete]:
            cur.execute("DELETE FROM disabled_users WHERE user_id = ANY(%s)", (removed,))
        if added := [e for _, e in disabled.values() if e is not None]:
            cur.execute("INSERT INTO disabled_users SELECT * FROM unnest(%s::uuid[], %s::timestamptz[], %s::text[]) "
                        "ON CONFLICT (user_id) DO NOTHING",
                        ([e.user_id for e in added], [e.disabled_at for e in added], [e.reason for e in added]))
        tables: tuple[tuple[str, str, dict[Any, tuple[int, Any]], str], ...] = (
            ("token_cutoffs", "user_id", cutoffs, "uuid"), ("role_cutoffs", "role", roles, "text"))
        for table, key, cuts, key_type in tables:
            if cuts:
                keys = list(cuts)
                cur.execute(f"INSERT INTO {table} SELECT * FROM unnest(%s::{key_type}[], %s::bigint[], "
                            f"%s::timestamptz[]) ON CONFLICT ({key}) DO UPDATE SET "
                            f"min_version = GREATEST({table}.min_version, EXCLUDED.min_version), "
                            f"cut_at = GREATEST({table}.cut_at, EXCLUDED.cut_at)",
                            (keys, [cuts[k][0] for k in keys], [cuts[k][1] for k in keys]))


def _greatest(cuts: dict[Any, tuple[int, Any]], key: Any, envelope: Envelope) -> None:
    """The batch's cut-off of `key`: the highest version and, separately, the latest time (as GREATEST does)."""
    version, at = cuts.get(key, (envelope.aggregate_version, envelope.occurred_at))
    cuts[key] = (max(version, envelope.aggregate_version), max(at, envelope.occurred_at))


class DisabledUsers:
    """`is_revoked` check: is the token's user disabled, or was the token issued before a cut-off?

    Reads the projection, cached for `refresh_seconds`: one query per process every few seconds, not per request.
    Once loaded, a stale set is refreshed in the background while requests go on with it (no request waits for
    the query), unless it is older than three refresh periods; `refresh_seconds=0` always reads (tests).
    """

    def __init__(self, pool: ConnectionPool, refresh_seconds: float = 2.0):
        self.pool = pool
        self.refresh_seconds = refresh_seconds
        self._disabled: frozenset[UUID] = frozenset()
        self._cutoffs: dict[UUID, int] = {}
        self._role_cutoffs: dict[str, int] = {}
        self._loaded_at: float | None = None
        self._lock = threading.Lock()
        self._refreshing = False

    def __call__(self, principal: Principal) -> bool:
        disabled, cutoffs, role_cutoffs = self._current()
        if principal.user_id in disabled:
            return True
        cutoff = cutoffs.get(principal.user_id)
        if cutoff is not None and (principal.user_version or 0) < cutoff:
            return True
        role_cutoff = role_cutoffs.get(principal.role)
        return role_cutoff is not None and (principal.role_version or 0) < role_cutoff

    def needs_io(self) -> bool:
        """Whether the next check would wait for the database (so an async caller runs it on a thread)."""
        age = self._age()
        return age is None or self.refresh_seconds <= 0 or age >= 3 * self.refresh_seconds

    def _age(self) -> float | None:
        loaded_at = self._loaded_at
        return None if loaded_at is None else time.monotonic() - loaded_at

    def _current(self) -> tuple[frozenset[UUID], dict[UUID, int], dict[str, int]]:
        age = self._age()
        if age is not None and age < self.refresh_seconds:
            return self._disabled, self._cutoffs, self._role_cutoffs
        if not self.needs_io():
            self._refresh_in_background()
            return self._disabled, self._cutoffs, self._role_cutoffs
        with self._lock:
            age = self._age()
            if age is None or age >= self.refresh_seconds:
                self._load()
            return self._disabled, self._cutoffs, self._role_cutoffs

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self._background_load, name="revocation-refresh", daemon=True).start()

    def _background_load(self) -> None:
        try:
            with self._lock:
                self._load()
        except Exception:  # noqa: BLE001 — the next check tries again (synchronously once it is too old)
            pass
        finally:
            self._refreshing = False

    def _load(self) -> None:
        # Tuple rows whatever the pool's row factory (services configure theirs differently).
        with self.pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            disabled = cur.execute("SELECT user_id FROM disabled_users").fetchall()
            recent = "WHERE cut_at > now() - make_interval(secs => %s)"
            cutoffs = cur.execute(f"SELECT user_id, min_version FROM token_cutoffs {recent}",
                                  (MAX_TOKEN_LIFETIME_SECONDS,)).fetchall()
            role_cutoffs = cur.execute(f"SELECT role, min_version FROM role_cutoffs {recent}",
                                       (MAX_TOKEN_LIFETIME_SECONDS,)).fetchall()
        self._disabled = frozenset(row[0] for row in disabled)
        self._cutoffs = {row[0]: int(row[1]) for row in cutoffs}
        self._role_cutoffs = {str(row[0]): int(row[1]) for row in role_cutoffs}
        self._loaded_at = time.monotonic()
