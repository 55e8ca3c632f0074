"""Who is calling: the identity and permissions carried by a verified access token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class Principal:
    """The authenticated user of one request, as the users service vouched for it when signing the token."""

    user_id: UUID
    role: str
    permissions: frozenset[str]
    token_id: str
    issued_at: datetime
    expires_at: datetime
    # The user's stream version at issue (claim `ver`); None for tokens that do not carry it.
    user_version: int | None = None
    # The role's stream version at issue (claim `rver`): a redefinition of the role voids earlier tokens.
    role_version: int | None = None

    def can(self, permission: str) -> bool:
        """Whether the token grants `permission`."""
        return permission in self.permissions
