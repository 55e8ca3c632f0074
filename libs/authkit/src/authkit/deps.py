"""FastAPI dependencies: who is calling (401 when nobody valid) and may they do this (403)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from starlette.types import Scope

from authkit.principal import Principal
from authkit.verifier import InvalidToken, TokenVerifier
from spine import context
from webkit.problems import Problem

RevocationCheck = Callable[[Principal], bool]

# Every service's Swagger "Authorize" button logs in at the users service (same origin behind the gateway).
# Swagger UI labels the field "username"; the description (shown in that dialog) says it is the e-mail.
SIGN_IN_HELP = ("Sign in with your **e-mail address** as the *username*, and your password; leave client_id and "
                "client_secret empty. The access token then goes with every request as `Authorization: Bearer`.")
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/users/token", auto_error=False, description=SIGN_IN_HELP)


def install_auth(app: FastAPI, verifier: TokenVerifier, is_revoked: RevocationCheck | None = None) -> None:
    """Make `verifier` (and the revocation check, e.g. disabled users) the app's authority for tokens."""
    app.state.token_verifier = verifier
    app.state.token_is_revoked = is_revoked


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def _authenticate(verifier: TokenVerifier, is_revoked: RevocationCheck | None, token: str) -> Principal:
    principal = verifier.verify(token)
    if is_revoked is not None and is_revoked(principal):
        raise InvalidToken("token revoked: the account was disabled, or its role or password changed since it "
                           "was issued; log in or refresh again")
    return principal


def _needs_io(is_revoked: RevocationCheck) -> bool:
    needs_io = getattr(is_revoked, "needs_io", None)
    return needs_io() if callable(needs_io) else True  # an unknown check may do I/O


async def _principal_or_none(request: Request, token: str | None) -> Principal | None:
    if not token:
        return None
    verifier: TokenVerifier = request.app.state.token_verifier
    is_revoked: RevocationCheck | None = getattr(request.app.state, "token_is_revoked", None)
    try:
        # A known key and a revocation set in memory (see DisabledUsers.needs_io): no I/O, no thread hop.
        if verifier.has_key_for(token) and (is_revoked is None or not _needs_io(is_revoked)):
            return _authenticate(verifier, is_revoked, token)
        # JWKS fetches and revocation look-ups do I/O: keep them off the event loop.
        return await run_in_threadpool(_authenticate, verifier, is_revoked, token)
    except InvalidToken as exc:
        raise _unauthorized(str(exc)) from None


async def current_principal(request: Request, token: Annotated[str | None, Depends(_bearer)]
                            ) -> AsyncIterator[Principal]:
    """The caller, from `Authorization: Bearer`; 401 problem when missing, invalid or revoked."""
    principal = await _principal_or_none(request, token)
    if principal is None:
        raise _unauthorized("missing bearer token")
    # Events saved while handling this request record who caused them.
    with context.caused_by(actor_id=str(principal.user_id)):
        yield principal


async def optional_principal(request: Request, token: Annotated[str | None, Depends(_bearer)]
                             ) -> AsyncIterator[Principal | None]:
    """The caller if a token was sent (still 401 for a bad one), else None."""
    principal = await _principal_or_none(request, token)
    if principal is None:
        yield None
        return
    with context.caused_by(actor_id=str(principal.user_id)):
        yield principal


async def token_subject(scope: Scope) -> str | None:
    """The user id of a valid bearer token in this request, else None: the owner of its Idempotency-Keys.

    Only the signature and claims are checked here (revocation is the route's business: it refuses with
    401, and 401s are not stored); an id rather than the token, so a refreshed token finds the same keys."""
    header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"authorization"), "")
    scheme, _, token = header.partition(" ")
    app = scope.get("app")
    verifier: TokenVerifier | None = getattr(getattr(app, "state", None), "token_verifier", None)
    if scheme.lower() != "bearer" or not token or verifier is None:
        return None
    try:
        if verifier.has_key_for(token):
            return str(verifier.verify(token).user_id)
        return str((await run_in_threadpool(verifier.verify, token)).user_id)
    except InvalidToken:
        return None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def require(permission: str) -> Callable[..., object]:
    """Dependency that returns the caller when their token grants `permission`, else a 403 problem."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise Problem(403, "Forbidden", f"this needs the permission {permission!r}",
                          required_permission=permission)
        return principal

    check.__name__ = f"require_{permission.replace(':', '_')}"
    return check
