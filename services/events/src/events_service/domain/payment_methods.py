"""Which payment methods an event may advertise before the payments service has said which it switched on.

The payments service publishes `PaymentMethodsAvailable` at start-up, and the events service keeps the latest
(projections/payment_methods.py). Until the first one arrives (a fresh install whose payments worker has not
started yet) events assume what payments enables with no configuration at all: cash and balance always, and
in development the sandbox, which also serves `card` by default. A Stripe or YooKassa method is refused until
payments says it is on — an organizer retrying a minute later loses less than every booking failing.
"""

from __future__ import annotations

ALWAYS = ("cash", "balance")  # offline and wallet payments need no provider configuration
DEVELOPMENT = ("card", "sandbox")  # the sandbox is on by default outside production, and serves `card`


def fallback_payment_methods(*, production: bool) -> tuple[str, ...]:
    """The methods payments enables by default in this environment (see the module docstring)."""
    return ALWAYS if production else (*DEVELOPMENT, *ALWAYS)
