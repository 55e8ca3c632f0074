"""Accounts and sessions: /api/v1/users/... (seed paths and payloads)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Query, Request, Response, status

from authkit import Principal
from authkit.deps import CurrentPrincipal, require
from contracts import limits as lim
from contracts.permissions import USERS_MANAGE, USERS_READ_ALL
from webkit import PageParams, Problem, problem_responses, set_page_headers
from webkit.consistency import AfterParam, position_response, read_after, set_event_position, stale_response
from webkit.fields import Line
from webkit.links import link, linked

from users_service.api.deps import Services
from users_service.api.schemas import (
    DisableRequest,
    RefreshRequest,
    RoleChange,
    TokenResponse,
    UserCreate,
    UserLogin,
    UserPublic,
    UserUpdate,
)
from users_service.application import TokenPair
from users_service.domain import AccountDisabled

router = APIRouter(prefix="/api/v1/users", tags=["users"])
# Ids in paths are typed (`{user_id:uuid}`): otherwise `GET /users/login` is read as a user id and answers 422
# instead of 405, because the literal routes beside them (login, token, refresh, logout, me) take other methods.

# OpenAPI links: the flows a client (and the stateful fuzzer) follows from one response to the next request.
_USER = "/api/v1/users/{user_id}"
_FROM_USER = {"user_id": "$response.body#/id"}
LINKS_FROM_USER = {
    "GetUser": link("get", _USER, "Read the account.", **_FROM_USER),
    "ChangeRole": link("put", _USER + "/role", "Give the account another role (admins).", **_FROM_USER),
    "DisableUser": link("post", _USER + "/disable", "Disable the account (admins).", **_FROM_USER),
}


def _tokens(pair: TokenPair) -> TokenResponse:
    return TokenResponse(access_token=pair.access_token, refresh_token=pair.refresh_token,
                         expires_in=pair.expires_in)


@router.post("/", status_code=status.HTTP_201_CREATED, response_model=UserPublic,
             responses={**position_response(201), **problem_responses(409, 422, 503)},
             openapi_extra=linked(201, **LINKS_FROM_USER))
def register(body: UserCreate, service: Services, response: Response) -> UserPublic:
    """Create an account with the participant role (503 with Retry-After while too many sign-ins wait)."""
    user = service.users.register(str(body.email), body.full_name, body.password, locale=body.locale)
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    set_event_position(response, user)
    return UserPublic.of(user)


@router.post("/login", response_model=TokenResponse, responses=problem_responses(401, 403, 422, 503))
def login(body: UserLogin, service: Services) -> TokenResponse:
    """Exchange e-mail and password for an access token and a refresh token (503 with Retry-After while too
    many sign-ins wait for password checks)."""
    return _tokens(service.users.login(body.email, body.password))


@router.post("/token", response_model=TokenResponse, responses=problem_responses(401, 403, 422, 503))
def token(username: Annotated[str, Form(max_length=lim.EMAIL, description="Your e-mail address.")],
          password: Annotated[str, Form(max_length=lim.PASSWORD)],
          service: Services, grant_type: Annotated[str | None, Form(max_length=8, pattern="^password$")] = None,
          scope: Annotated[str, Form(max_length=1000)] = "") -> TokenResponse:
    """OAuth2 password flow for the docs' Authorize button: the `username` is your e-mail address.

    The fields of fastapi's OAuth2PasswordRequestForm, with lengths bounded like every other input."""
    return _tokens(service.users.login(username, password))


@router.post("/refresh", response_model=TokenResponse, responses=problem_responses(401, 403, 422))
def refresh(body: RefreshRequest, service: Services) -> TokenResponse:
    """Rotate a refresh token; presenting one that was already used ends that login everywhere."""
    return _tokens(service.users.refresh(body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422))
def logout(body: RefreshRequest, service: Services) -> Response:
    """End the session of this refresh token (its access token lapses within minutes)."""
    service.users.logout(body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserPublic, responses=problem_responses(401))
def me(principal: CurrentPrincipal, service: Services) -> UserPublic:
    """The caller's own account."""
    return UserPublic.of(service.users.user(principal.user_id))


@router.patch("/me", response_model=UserPublic, responses=problem_responses(401, 422))
def update_me(body: UserUpdate, principal: CurrentPrincipal, service: Services) -> UserPublic:
    """Change your own account's settings (today: `locale`, the language of your e-mails and messages)."""
    if body.locale is not None:
        return UserPublic.of(service.users.change_locale(principal.user_id, body.locale))
    return UserPublic.of(service.users.user(principal.user_id))


@router.get("/", response_model=list[UserPublic], responses={**stale_response(), **problem_responses(401, 403, 422)})
def list_users(request: Request, response: Response, page: PageParams, service: Services, after: AfterParam,
               _: Annotated[Principal, Depends(require(USERS_READ_ALL))],
               role: Annotated[Annotated[str, Line(lim.ROLE_NAME)] | None,
                               Query(description="Only users with this role.")] = None,
               q: Annotated[Annotated[str, Line(100)] | None, Query(description="Part of the e-mail or name.")] = None,
               ) -> list[UserPublic]:
    """All accounts, oldest first (read model; a new account appears within moments)."""
    read_after(response, after, service.users_query.pool, "users_view", recorder=service.users.recorder)
    rows, total = service.users_query.page(limit=page.limit, offset=page.offset, role=role, q=q)
    set_page_headers(request, response, total, page)
    return [UserPublic(id=r.user_id, email=r.email, full_name=r.full_name, role=r.role,
                       disabled=r.disabled_at is not None, created_at=r.registered_at) for r in rows]


@router.get("/{user_id:uuid}", response_model=UserPublic, responses=problem_responses(401, 403, 404))
def get_user(user_id: UUID, principal: CurrentPrincipal, service: Services) -> UserPublic:
    """One account: your own, or anyone's with users:read_all."""
    if user_id != principal.user_id and not principal.can(USERS_READ_ALL):
        raise Problem(403, "Forbidden", f"this needs the permission {USERS_READ_ALL!r}",
                      required_permission=USERS_READ_ALL)
    return UserPublic.of(service.users.user(user_id))


@router.put("/{user_id:uuid}/role", response_model=UserPublic,
            responses={**position_response(200), **problem_responses(401, 403, 404, 409, 422)})
def change_role(user_id: UUID, body: RoleChange, service: Services, response: Response,
                admin: Annotated[Principal, Depends(require(USERS_MANAGE))]) -> UserPublic:
    """Give a user another role: their earlier access tokens stop working at once, a refresh brings the new role.

    Only roles whose permissions you hold yourself, and only for users whose current role you could grant.
    """
    try:
        user = service.users.change_role(user_id, body.role, by=admin.user_id)
    except AccountDisabled as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    set_event_position(response, user)
    return UserPublic.of(user)


@router.post("/{user_id:uuid}/disable", response_model=UserPublic,
             responses={**position_response(200), **problem_responses(401, 403, 404)})
def disable(user_id: UUID, service: Services, admin: Annotated[Principal, Depends(require(USERS_MANAGE))],
            response: Response, body: DisableRequest | None = None) -> UserPublic:
    """Disable an account: logins and refreshes stop now, every service refuses its access tokens."""
    user = service.users.disable(user_id, body.reason if body else None, by=admin.user_id)
    set_event_position(response, user)
    return UserPublic.of(user)


@router.post("/{user_id:uuid}/enable", response_model=UserPublic,
             responses={**position_response(200), **problem_responses(401, 403, 404, 409)})
def enable(user_id: UUID, service: Services, admin: Annotated[Principal, Depends(require(USERS_MANAGE))],
           response: Response) -> UserPublic:
    """Re-enable a disabled account: the user logs in again (tokens and sessions from before stay void)."""
    user = service.users.enable(user_id, by=admin.user_id)
    set_event_position(response, user)
    return UserPublic.of(user)
