"""HTTP API of the users service."""

from users_service.api import jwks, passwords, roles, users

ROUTERS = [users.router, passwords.router, roles.roles, roles.settings, jwks.router]

__all__ = ["ROUTERS"]
