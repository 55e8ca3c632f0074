"""HTTP API of the users service."""

from users_service.api import jwks, roles, users

ROUTERS = [users.router, roles.roles, roles.settings, jwks.router]

__all__ = ["ROUTERS"]
