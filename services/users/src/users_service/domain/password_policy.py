"""How strong a new password must be: zxcvbn's estimate (common and breached-list passwords, keyboard
patterns, dates, the user's own name or e-mail) must reach "safely unguessable" (score 3 of 4)."""

from __future__ import annotations

from zxcvbn import zxcvbn

from users_service.domain.errors import WeakPassword

MIN_SCORE = 3
# zxcvbn refuses longer input (its matching is super-linear); the first 72 characters decide.
_ZXCVBN_MAX = 72


def check_password_strength(password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    """Raises WeakPassword, saying why and what would help, unless the password is hard to guess."""
    words = [w for value in user_inputs for w in value.replace("@", " ").replace(".", " ").split() if w]
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=[*user_inputs, *words])
    if result["score"] >= MIN_SCORE:
        return
    feedback = result.get("feedback") or {}
    reasons = [feedback.get("warning") or "This password is easy to guess.", *(feedback.get("suggestions") or [])]
    raise WeakPassword("password is too weak: " + " ".join(r.strip() for r in reasons if r.strip()))
