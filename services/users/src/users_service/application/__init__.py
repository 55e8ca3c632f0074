"""The users Application, one module per purpose: accounts, sessions, credentials (passwords), roles and
platform settings are mixins of one eventsourcing Application, `Users` (users.py), so they share one event
store, one way to load aggregates and one retry rule for lost races."""

from users_service.application.credentials import PasswordReset
from users_service.application.sessions import TokenPair, TokenPolicy
from users_service.application.users import Users

__all__ = ["PasswordReset", "TokenPair", "TokenPolicy", "Users"]
