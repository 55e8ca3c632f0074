"""The users Application, one module per purpose — base (loading, retrying), roles, platform settings,
accounts, sessions, credentials (passwords) — each a layer of one eventsourcing Application, `Users`
(users.py), so they share one event store, one way to load aggregates and one retry rule for lost races."""

from users_service.application.base import TokenPolicy
from users_service.application.credentials import PasswordReset
from users_service.application.sessions import TokenPair
from users_service.application.users import Users

__all__ = ["PasswordReset", "TokenPair", "TokenPolicy", "Users"]
