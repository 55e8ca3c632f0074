"""Refresh-token rotation: each token works once; a spent one coming back ends the whole login."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from users_service.domain import RefreshTokenInvalid, RefreshTokenReused, TokenFamily

pytestmark = pytest.mark.unit

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def family() -> TokenFamily:
    return TokenFamily(uuid4(), uuid4(), "t1", NOW + DAY)


def test_rotation_replaces_the_live_token_and_extends_the_session():
    f = family()
    f.rotate("t1", "t2", NOW + timedelta(hours=1), DAY)
    assert f.current_hash == "t2"
    assert f.expires_at == NOW + timedelta(hours=25)
    f.check_usable("t2", NOW + timedelta(hours=2))
    with pytest.raises(RefreshTokenInvalid):
        f.check_usable("t1", NOW + timedelta(hours=2))


def test_a_spent_token_presented_again_revokes_the_family():
    f = family()
    f.rotate("t1", "t2", NOW, DAY)
    with pytest.raises(RefreshTokenReused):
        f.rotate("t1", "t3", NOW, DAY)
    assert f.revoked
    assert [type(e).__name__ for e in f.collect_events()] == ["Started", "Rotated", "Revoked"]
    # The thief's successor token and the legitimate one are both dead now.
    with pytest.raises(RefreshTokenInvalid, match="log in again"):
        f.rotate("t2", "t4", NOW, DAY)


def test_an_unknown_token_is_refused_without_revoking():
    f = family()
    with pytest.raises(RefreshTokenInvalid):
        f.rotate("guess", "t2", NOW, DAY)
    assert not f.revoked


def test_an_expired_token_cannot_be_rotated():
    with pytest.raises(RefreshTokenInvalid, match="expired"):
        family().rotate("t1", "t2", NOW + DAY, DAY)


def test_logout_revokes_once_and_keeps_the_first_reason():
    f = family()
    f.revoke("logout")
    f.revoke("account disabled")
    assert f.revoked_reason == "logout"
    assert len(f.collect_events()) == 2
    with pytest.raises(RefreshTokenInvalid):
        f.rotate("t1", "t2", NOW, DAY)


def test_owns_knows_live_and_spent_tokens_of_the_family_only():
    f = family()
    f.rotate("t1", "t2", NOW, DAY)
    assert f.owns("t1") and f.owns("t2") and not f.owns("t3")
