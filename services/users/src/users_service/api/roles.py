"""Roles and platform settings: /api/v1/roles, /api/v1/settings[/{key}]."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from authkit import Principal
from authkit.deps import CurrentPrincipal, require
from contracts import limits as lim
from contracts.permissions import ROLES_MANAGE, SETTINGS_MANAGE
from webkit import PageParams, problem_responses, set_page_headers
from webkit.body_limit import body_limit
from webkit.consistency import AfterParam, position_response, read_after, set_event_position, stale_response
from webkit.fields import SINGLE_LINE_PATTERN

from users_service.api.deps import Services
from users_service.api.schemas import RoleCreate, RolePublic, SettingPublic, SettingPut

roles = APIRouter(prefix="/api/v1/roles", tags=["roles"])
settings = APIRouter(prefix="/api/v1/settings", tags=["settings"])

SettingKey = Annotated[str, Path(max_length=lim.SETTING_KEY, pattern=SINGLE_LINE_PATTERN,
                                 examples=["booking_hold_minutes"])]
# A value of 16 KiB of compact JSON may arrive pretty-printed or \u-escaped.
SETTING_BODY_LIMIT = 128 * 1024


@roles.get("", response_model=list[RolePublic], responses={**stale_response(), **problem_responses(401, 422)})
def list_roles(_: CurrentPrincipal, service: Services, request: Request, response: Response, page: PageParams,
               after: AfterParam) -> list[RolePublic]:
    """Every role and the permissions it grants, in the order they were defined (read model; `after` waits for
    a definition's `X-Event-Position`). Paged via `limit`/`offset`, `X-Total-Count`, `Link`."""
    assert service.roles_query is not None
    read_after(response, after, service.roles_query.pool, "roles_view", recorder=service.users.recorder)
    rows, total = service.roles_query.page(limit=page.limit, offset=page.offset)
    set_page_headers(request, response, total, page)
    return [RolePublic(name=r["name"], permissions=list(r["permissions"])) for r in rows]


@roles.post("", response_model=RolePublic, status_code=status.HTTP_201_CREATED,
            responses={**position_response(201),
                       200: {"description": "The role existed; its permissions were replaced.",
                             **position_response(200)[200]},
                       **problem_responses(401, 403, 422)})
def define_role(body: RoleCreate, response: Response, service: Services,
                admin: Annotated[Principal, Depends(require(ROLES_MANAGE))]) -> RolePublic:
    """Create a role, or replace an existing role's permissions (201 when new, 200 when replaced).

    Only with permissions you hold yourself (403 otherwise), before and after the change.
    """
    role, created = service.users.define_role(body.name, body.permissions, by=admin.user_id)
    set_event_position(response, role)
    if not created:
        response.status_code = status.HTTP_200_OK
    return RolePublic(name=role.name, permissions=list(role.permissions))


@settings.get("", response_model=list[SettingPublic], responses=problem_responses(401, 403))
def list_settings(service: Services,
                  _: Annotated[Principal, Depends(require(SETTINGS_MANAGE))]) -> list[SettingPublic]:
    """Every known setting: its value, default, type, bounds and what it is for."""
    return [SettingPublic.of(s) for s in service.users.settings()]


@settings.get("/{key}", response_model=SettingPublic, responses=problem_responses(401, 403, 404))
def get_setting(key: SettingKey, service: Services,
                _: Annotated[Principal, Depends(require(SETTINGS_MANAGE))]) -> SettingPublic:
    """A known setting's value (its default while never set) and definition; 404 for an unknown key."""
    return SettingPublic.of(service.users.setting(key))


@settings.put("/{key}", response_model=SettingPublic, responses=problem_responses(401, 403, 422),
              openapi_extra=body_limit(SETTING_BODY_LIMIT))
def put_setting(key: SettingKey, body: SettingPut, service: Services,
                _: Annotated[Principal, Depends(require(SETTINGS_MANAGE))]) -> SettingPublic:
    """Set a known setting; services that use it receive the change on users.v1 (unknown key: 422)."""
    state, _created = service.users.put_setting(key, body.value, body.type)
    return SettingPublic.of(state)


@settings.delete("/{key}", response_model=SettingPublic, responses=problem_responses(401, 403, 404))
def reset_setting(key: SettingKey, service: Services,
                  _: Annotated[Principal, Depends(require(SETTINGS_MANAGE))]) -> SettingPublic:
    """Return a setting to its default (SettingReset on users.v1); answers with the setting as it now is."""
    return SettingPublic.of(service.users.reset_setting(key))
