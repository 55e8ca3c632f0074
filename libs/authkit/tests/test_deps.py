"""What an HTTP client of any service sees: 401 without a valid token, 403 without the permission."""

from __future__ import annotations

from uuid import uuid4

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from authkit import Principal
from authkit.deps import CurrentPrincipal, OptionalPrincipal, install_auth, require
from authkit.testing import TestIssuer
from spine import context
from webkit.problems import install_problem_handlers

pytestmark = pytest.mark.api

DISABLED = uuid4()


def make_app(issuer: TestIssuer) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_auth(app, issuer.verifier(), is_revoked=lambda p: p.user_id == DISABLED)

    @app.get("/me")
    def me(principal: CurrentPrincipal) -> dict:
        return {"user_id": str(principal.user_id), "actor": context.current().actor_id}

    @app.get("/maybe")
    async def maybe(principal: OptionalPrincipal) -> dict:
        return {"user_id": str(principal.user_id) if principal else None}

    @app.get("/admin")
    def admin(principal: Principal = Depends(require("users:manage"))) -> dict:
        return {"role": principal.role}

    return app


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
def client(issuer) -> TestClient:
    return TestClient(make_app(issuer))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_valid_token_identifies_the_caller_and_becomes_the_actor(client, issuer):
    user = uuid4()
    r = client.get("/me", headers=bearer(issuer.token(user)))
    assert r.status_code == 200
    assert r.json() == {"user_id": str(user), "actor": str(user)}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}])
def test_missing_or_invalid_tokens_get_a_401_problem(client, headers):
    r = client.get("/me", headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["status"] == 401 and r.json()["title"] == "Unauthorized"


def test_a_token_from_an_untrusted_issuer_gets_401(client):
    assert client.get("/me", headers=bearer(TestIssuer().token())).status_code == 401


def test_a_disabled_users_token_is_revoked(client, issuer):
    r = client.get("/me", headers=bearer(issuer.token(DISABLED)))
    assert r.status_code == 401
    assert "disabled" in r.json()["detail"]


def test_a_missing_permission_gets_a_403_problem_naming_it(client, issuer):
    r = client.get("/admin", headers=bearer(issuer.token(role="participant")))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["required_permission"] == "users:manage"


def test_the_permission_grants_access(client, issuer):
    r = client.get("/admin", headers=bearer(issuer.token(role="admin", permissions=["users:manage"])))
    assert r.status_code == 200 and r.json() == {"role": "admin"}


def test_an_optional_principal_is_none_without_a_token_but_a_bad_token_is_still_refused(client, issuer):
    assert client.get("/maybe").json() == {"user_id": None}
    user = uuid4()
    assert client.get("/maybe", headers=bearer(issuer.token(user))).json() == {"user_id": str(user)}
    assert client.get("/maybe", headers=bearer("garbage")).status_code == 401
