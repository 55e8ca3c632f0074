"""Categories of notifications and which of them a user may turn off.

Transactional categories (account, booking, payment) are what the user must hear of to use the platform:
they cannot be turned off (a PUT that tries gets a 422). Opting out of a category stops its e-mail; the
in-app message stays in the user's own inbox (it is not mail, and it is how they find out anyway).
"""

from __future__ import annotations

TRANSACTIONAL = ("account", "booking", "payment")
OPTIONAL = ("mailings", "reviews", "support")
CATEGORIES = TRANSACTIONAL + OPTIONAL


class TransactionalCategory(ValueError):
    """Raised when a user tries to turn off a transactional category."""

    problem_title = "Transactional messages cannot be turned off"


def check_opt_outs(opted_out: set[str]) -> None:
    """Only optional categories can be turned off."""
    refused = sorted(opted_out & set(TRANSACTIONAL))
    if refused:
        raise TransactionalCategory(f"{', '.join(refused)} messages are transactional and cannot be turned off")
