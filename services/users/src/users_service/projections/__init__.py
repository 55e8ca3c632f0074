"""Read models of the users service."""

from users_service.projections.users_view import UserRow, UsersQuery, UsersView

__all__ = ["UserRow", "UsersQuery", "UsersView"]
