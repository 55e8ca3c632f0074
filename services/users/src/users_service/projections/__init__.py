"""Read models of the users service."""

from users_service.projections.audit_log import AuditLog
from users_service.projections.audit_query import AuditFilter, AuditQuery, AuditRow
from users_service.projections.users_view import UserRow, UsersQuery, UsersView

__all__ = ["AuditFilter", "AuditLog", "AuditQuery", "AuditRow", "UserRow", "UsersQuery", "UsersView"]
