"""Passwords after registration: change your own, an admin forces a reset, the user completes it."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from authkit import Principal
from authkit.deps import CurrentPrincipal, require
from contracts.permissions import USERS_MANAGE
from webkit import problem_responses

from users_service.api.deps import Services
from users_service.api.schemas import PasswordChange, PasswordResetComplete, PasswordResetIssued, TokenResponse

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.post("/me/password", response_model=TokenResponse, responses=problem_responses(401, 403, 422))
def change_my_password(body: PasswordChange, principal: CurrentPrincipal, service: Services) -> TokenResponse:
    """Change your password: every other session and earlier access token ends; the response is a new session."""
    pair = service.users.change_password(principal.user_id, body.current_password, body.new_password)
    return TokenResponse(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


@router.post("/{user_id:uuid}/password-reset", response_model=PasswordResetIssued, status_code=status.HTTP_201_CREATED,
             responses=problem_responses(401, 403, 404))
def force_password_reset(user_id: UUID, service: Services,
                         admin: Annotated[Principal, Depends(require(USERS_MANAGE))]) -> PasswordResetIssued:
    """Void a user's password and sessions and issue a one-time reset token (a second call replaces it).

    The token is meant for the user only: it will be sent by e-mail once notifications exist; until then it
    is shown in this response in development, and never in production.
    """
    reset = service.users.force_password_reset(user_id, by=admin.user_id)
    in_response = not service.settings.production
    return PasswordResetIssued(user_id=reset.user_id, expires_at=reset.expires_at,
                               delivery="response" if in_response else "pending",
                               reset_token=reset.token if in_response else None)


@router.post("/password-reset", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422))
def complete_password_reset(body: PasswordResetComplete, service: Services) -> Response:
    """Set a new password with a one-time reset token, then log in with it."""
    service.users.reset_password(body.token, body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
