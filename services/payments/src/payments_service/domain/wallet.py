"""The Wallet aggregate: one per user, a balance per currency that can never go below zero.

Top-ups credit it when their payment succeeds; `balance` payments debit it; refunds of either reverse
it. Concurrent debits are made safe by optimistic concurrency: every debit is decided on the version
loaded, a concurrent save makes ours fail, and the retry re-runs `check_covers` on the fresh balance.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from payments_service.domain import errors
from payments_service.domain.money import check_amount


def wallet_id(user_id: UUID) -> UUID:
    """Deterministic: the first credit and every later look-up find the same wallet."""
    return uuid5(NAMESPACE_URL, f"/wallets/{user_id}")


class Wallet(Aggregate):
    """A user's money held by the platform."""

    @staticmethod
    def create_id(user_id: UUID) -> UUID:
        return wallet_id(user_id)

    @classmethod
    def open(cls, user_id: UUID) -> Wallet:
        """An empty wallet."""
        return cls(user_id=user_id)

    @event("Opened")
    def __init__(self, user_id: UUID) -> None:
        self.user_id = user_id
        self.balances: dict[str, Decimal] = {}

    def balance(self, currency: str) -> Decimal:
        """What the user holds in `currency`."""
        return self.balances.get(currency, Decimal(0))

    def credit(self, amount: Decimal, currency: str, *, payment_id: UUID) -> None:
        """Add money (a top-up succeeded, or a balance payment was refunded)."""
        check_amount(amount, currency)
        self._credited(amount=amount, currency=currency, payment_id=payment_id,
                       balance=self.balance(currency) + amount)

    @event("Credited")
    def _credited(self, amount: Decimal, currency: str, payment_id: UUID, balance: Decimal) -> None:
        self.balances[currency] = balance

    def debit(self, amount: Decimal, currency: str, *, payment_id: UUID) -> None:
        """Take money (a balance payment, or the refund of a top-up)."""
        check_amount(amount, currency)
        self.check_covers(amount, currency)
        self._debited(amount=amount, currency=currency, payment_id=payment_id,
                      balance=self.balance(currency) - amount)

    @event("Debited")
    def _debited(self, amount: Decimal, currency: str, payment_id: UUID, balance: Decimal) -> None:
        self.balances[currency] = balance

    def check_covers(self, amount: Decimal, currency: str) -> None:
        """A debit never takes the balance below zero."""
        available = self.balance(currency)
        if amount > available:
            raise errors.InsufficientBalance(f"the wallet holds {available} {currency}, {amount} {currency} needed")
