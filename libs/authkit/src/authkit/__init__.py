"""Access-token verification shared by every service: local JWKS checks, principals, FastAPI deps."""

from authkit.principal import Principal
from authkit.settings import AuthSettings
from authkit.verifier import InvalidToken, TokenVerifier

__all__ = ["AuthSettings", "InvalidToken", "Principal", "TokenVerifier"]
