"""HTTP API of the users service."""

from users_service.api import audit, jwks, passwords, roles, users

ROUTERS = [users.router, passwords.router, roles.roles, roles.settings, audit.router, jwks.router]

__all__ = ["ROUTERS"]
