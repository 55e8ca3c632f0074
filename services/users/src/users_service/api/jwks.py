"""The public signing keys every service verifies access tokens with."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from users_service.api.deps import Services

router = APIRouter(tags=["auth"])


@router.get("/.well-known/jwks.json")
def jwks(service: Services, response: Response) -> dict[str, Any]:
    """JWK Set (RFC 7517) of the active signing keys."""
    # Verifiers cache it and re-fetch on an unknown kid; a short max-age keeps rotations quick.
    response.headers["Cache-Control"] = "public, max-age=300"
    return service.keys.jwks()
