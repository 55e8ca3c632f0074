"""schemathesis hooks for the OpenAPI fuzz run (loaded through SCHEMATHESIS_HOOKS=fuzz_hooks).

They keep the fuzzer from locking the platform out of itself, and change nothing about what is checked:
an admin fuzzer finds user ids in list responses and would otherwise disable the platform's admin (seen:
every later request 401/403), or redefine the seeded roles. Such a call is redirected to a sacrificial
target of the same kind, so the operation is still exercised with the same input shape:

* a state-changing call on `/api/v1/users/{user_id}/...` for a protected account goes to the victim account;
* `POST /api/v1/roles` naming a seeded role defines `fuzz-<name>` instead.

Configured by the environment the test gives the schemathesis process: FUZZ_PROTECTED_USERS (comma
separated ids), FUZZ_VICTIM_USER (an id), FUZZ_PROTECTED_ROLES (comma separated names).
"""

from __future__ import annotations

import os

import schemathesis

PROTECTED_USERS = {u for u in os.environ.get("FUZZ_PROTECTED_USERS", "").split(",") if u}
VICTIM = os.environ.get("FUZZ_VICTIM_USER", "")
PROTECTED_ROLES = {r for r in os.environ.get("FUZZ_PROTECTED_ROLES", "").split(",") if r}


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    """Redirect calls that would disable or re-role a protected account, or replace a seeded role."""
    method = case.method.upper()
    if method in ("GET", "HEAD", "OPTIONS"):
        return
    params = case.path_parameters or {}
    if VICTIM and case.path.startswith("/api/v1/users/{user_id}") and str(params.get("user_id")) in PROTECTED_USERS:
        case.path_parameters = {**params, "user_id": VICTIM}
    body = case.body
    name = body.get("name") if isinstance(body, dict) else None
    if case.path == "/api/v1/roles" and isinstance(name, str) and name in PROTECTED_ROLES:
        case.body = {**body, "name": f"fuzz-{name}"}
