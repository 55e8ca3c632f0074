"""The Payments application: creates payments with their provider, settles, confirms and refunds them.

Every command loads what it needs, lets the domain decide, and saves all touched aggregates (payment,
wallet, refund, processed webhook) in one transaction. Losing an optimistic-concurrency race (e.g. two
debits of one wallet) re-runs the whole command on fresh state, so the domain's guards see the truth.
Commands from Kafka pass their `tracking`, so the change and the message position commit together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking

from spine.eventstore import ServiceApplication
from spine.retry import retrying

from payments_service import domain
from payments_service.domain import Payment, PaymentOrder, Wallet, settlement
from payments_service.providers import (
    ChargeRequest,
    ChargeState,
    CreatedCharge,
    PaymentProvider,
    ProviderNotEnabled,
    ProviderRefused,
    Providers,
)

log = logging.getLogger("payments.application")

T = TypeVar("T")
Step = Callable[[], tuple[T, Sequence[Aggregate]]]

_RETRIES = 25
_BACKOFF_SECONDS = 0.002
_MAX_BACKOFF_SECONDS = 0.1


class Payments(ServiceApplication):
    """Commands and queries on payments, refunds and wallets."""

    # A busy wallet collects an event per payment; snapshots keep loading it cheap.
    snapshotting_intervals = {Wallet: 50}

    def __init__(self, env: dict[str, str] | None = None, *, providers: Providers | None = None,
                 cash_top_up_max: dict[str, Decimal] | None = None):
        super().__init__(env)
        self.providers = providers or Providers([])
        self.cash_top_up_max = cash_top_up_max or {}

    def announce_methods(self) -> bool:
        """Record the payment methods this deployment takes, if they changed since last recorded (the relay
        publishes them for the events service); returns whether they changed."""
        methods = self.providers.enabled_methods()
        card = self.providers.card_provider if "card" in methods else None

        def step() -> tuple[bool, Sequence[Aggregate]]:
            current = self.find(domain.METHODS_ID)
            if not isinstance(current, domain.PaymentMethods):
                fresh = domain.PaymentMethods(methods=methods, card_provider=card)
                return True, [fresh]
            return (True, [current]) if current.announce(methods, card) else (False, [])

        return self.commit(step)

    # --- queries ---------------------------------------------------------------------------------

    def get_payment(self, payment_id: UUID) -> Payment:
        """One payment; PaymentNotFound when there is none."""
        found = self.find(payment_id)
        if not isinstance(found, Payment):
            raise domain.PaymentNotFound(f"no payment with id {payment_id}")
        return found

    def find(self, aggregate_id: UUID) -> Any | None:
        """Any aggregate of this application by id, or None."""
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def wallet_of(self, user_id: UUID) -> Wallet:
        """The user's wallet (a new empty one, unsaved, if they never had money here)."""
        return self.find(domain.wallet_id(user_id)) or Wallet.open(user_id)

    # --- commands --------------------------------------------------------------------------------

    def request_payment(self, order: PaymentOrder, *, tracking: Tracking | None = None) -> Payment:
        """A caller of the API asks to pay (a top-up): broken rules and a refusing provider raise (→ 4xx).

        Created with its provider once per id; a balance payment settles from the wallet at once."""
        existing = self.find(order.payment_id)
        if isinstance(existing, Payment):
            return existing
        return self._create(order, *self._charge(order), tracking)

    def request_payment_for_booking(self, order: PaymentOrder, *, tracking: Tracking | None = None) -> Payment:
        """The booking saga's RequestPayment: a refusal (broken rule, method not enabled, provider refused) is
        recorded as a failed payment, so bookings hears why. A provider outage (`ProviderError`) still raises:
        the command is retried until the provider answers, instead of failing the booking."""
        existing = self.find(order.payment_id)
        if isinstance(existing, Payment):
            return existing
        try:
            charged = self._charge(order)
        except (domain.InvalidPaymentRequest, ProviderNotEnabled, ProviderRefused) as exc:
            log.warning("payment %s refused: %s", order.payment_id, exc)
            refusal = exc  # bound for the lambda: `exc` itself is unbound once the except block ends
            # Recorded with the provider that refused, or with the method when no provider was chosen yet.
            provider = order.method
            if isinstance(exc, ProviderRefused):
                provider = self.providers.for_method(order.method).name
            return self.commit(lambda: self._refused(order, provider, refusal), tracking)
        return self._create(order, *charged, tracking)

    def _charge(self, order: PaymentOrder) -> tuple[PaymentProvider, CreatedCharge]:
        """Check the order and open the charge with its provider (nothing to open for balance payments)."""
        domain.check_order(order)
        domain.check_cash_top_up(order, self.cash_top_up_max)
        provider = self.providers.for_method(order.method)
        created = (CreatedCharge() if provider.pays_from_wallet else provider.create_payment(
            ChargeRequest(order.payment_id, order.user_id, order.amount, order.currency, order.description)))
        return provider, created

    def _create(self, order: PaymentOrder, provider: PaymentProvider, created: CreatedCharge,
                tracking: Tracking | None) -> Payment:
        def step() -> tuple[Payment, Sequence[Aggregate]]:
            again = self.find(order.payment_id)
            if isinstance(again, Payment):
                return again, []
            payment = Payment.request(order, provider=provider.name, is_offline=provider.is_offline,
                                      reference=created.reference, confirmation_url=created.confirmation_url)
            if created.client_secret:
                payment.issue_client_secret(created.client_secret)
            if not provider.pays_from_wallet:
                return payment, [payment]
            wallet = self.wallet_of(order.user_id)
            settlement.pay_from_wallet(payment, wallet)
            return payment, [payment, wallet]

        return self.commit(step, tracking)

    def _refused(self, order: PaymentOrder, provider: str, exc: Exception) -> tuple[Payment, Sequence[Aggregate]]:
        again = self.find(order.payment_id)
        if isinstance(again, Payment):
            return again, []
        reason = type(exc).__name__ if not isinstance(exc, ProviderRefused) else "provider_refused"
        payment = Payment.refuse(order, provider=provider, reason=reason)
        return payment, [payment]

    def confirm_offline(self, payment_id: UUID, *, operator_id: UUID, may_confirm_any: bool = True) -> Payment:
        """Support or an admin (`may_confirm_any`), or the event's organizer at its door, took the cash: the
        payment succeeds (a top-up fills the wallet).

        Like every later request on a payment, it continues the payment's story (`continuing_story`)."""

        def step() -> tuple[Payment, Sequence[Aggregate]]:
            payment = self.get_payment(payment_id)
            payment.check_confirmable_by(operator_id, may_confirm_any=may_confirm_any)
            payment.check_pending()
            return payment, self.settle(payment, ChargeState(payment.reference or "", "succeeded"),
                                        confirmed_by=operator_id)

        with self.continuing_story(payment_id):
            return self.commit(step)

    def refund_payment(self, payment_id: UUID, *, reason: str, requested_by: UUID | None = None,
                       amount: Decimal | None = None) -> Payment:
        """An admin gives a succeeded payment's money back (all of it, or `amount`); every refusal raises."""

        def step() -> tuple[Payment, Sequence[Aggregate]]:
            payment = self.get_payment(payment_id)
            return payment, self._refund(payment, reason=reason, requested_by=requested_by, amount=amount)

        with self.continuing_story(payment_id):  # the admin, in the payment's story
            return self.commit(step)

    def refund_for_booking(self, payment_id: UUID, *, reason: str, tracking: Tracking | None = None,
                           amount: Decimal | None = None) -> Payment | None:
        """The booking saga's RefundPayment: give the money back once, whatever state the payment is in.

        A repeated refund is a no-op, a failed payment has nothing to give back, and a still-pending one is
        marked to be refunded the moment it succeeds. An `amount` the payment cannot give back (more than
        was paid, finer than the currency) is refunded in full rather than stuck: never keep money the saga
        meant to return. The message's cause is already bound by the consumer.
        """
        if amount is not None:
            found = self.find(payment_id)
            try:
                if isinstance(found, Payment):
                    found.refund_amount(amount)
            except domain.InvalidPaymentRequest as exc:
                log.warning("refund amount of payment %s refused (%s): refunding in full", payment_id, exc)
                amount = None

        def step() -> tuple[Payment | None, Sequence[Aggregate]]:
            payment = self.find(payment_id)
            if not isinstance(payment, Payment):
                log.warning("refund of unknown payment %s ignored", payment_id)
                return None, []
            if payment.status in (domain.REFUNDED, domain.FAILED, domain.VOIDED):
                return payment, []
            if payment.status == domain.PENDING:
                payment.request_refund(reason, amount)
                return payment, [payment]
            return payment, self._refund(payment, reason=reason, requested_by=None, amount=amount)

        return self.commit(step, tracking)

    def void_payment(self, payment_id: UUID, *, reason: str, tracking: Tracking | None = None) -> Payment | None:
        """The saga's VoidPayment: a pending payment can no longer be paid. Unknown or already settled payments
        are left alone (a paid one is refunded when the saga hears PaymentSucceeded)."""

        def step() -> tuple[Payment | None, Sequence[Aggregate]]:
            payment = self.find(payment_id)
            if not isinstance(payment, Payment):
                log.warning("void of unknown payment %s ignored", payment_id)
                return None, []
            return payment, [payment] if payment.void(reason) else []

        return self.commit(step, tracking)

    def _refund(self, payment: Payment, *, reason: str, requested_by: UUID | None, wallet: Wallet | None = None,
                amount: Decimal | None = None) -> list[Aggregate]:
        payment.check_refundable()
        if wallet is None and settlement.needs_wallet(payment):
            wallet = self.wallet_of(payment.user_id)
        settlement.check_refund(payment, wallet, amount)  # before the provider moves any money
        provider = self.providers.get(payment.provider)
        reference = provider.refund(payment.reference, payment.refund_amount(amount), payment.currency,
                                    idempotency_key=str(domain.refund_id(payment.id)))
        refund = settlement.refund(payment, wallet, reason=reason, requested_by=requested_by,
                                   provider_reference=reference, amount=amount)
        return [payment, refund, *([wallet] if wallet is not None else [])]

    def settle(self, payment: Payment, state: ChargeState, *, confirmed_by: UUID | None = None) -> list[Aggregate]:
        """Apply the provider's real state to a pending payment; returns what changed (nothing if still pending).

        A charge that succeeds at the provider after we failed the payment (the payer retried a declined card)
        or voided it (the booking was cancelled) is refunded at once: the booking no longer wants it."""
        if (payment.status in (domain.FAILED, domain.VOIDED) and state.status == "succeeded"
                and not payment.stray_charge_refunded):
            return self._refund_stray_charge(payment)
        if payment.status != domain.PENDING or state.status == "pending":
            return []
        if state.status == "failed":
            payment.fail(state.failure_reason or "declined")
            return [payment]
        wallet = self.wallet_of(payment.user_id) if payment.is_top_up else None
        settlement.record_success(payment, wallet, confirmed_by=confirmed_by)
        changed: list[Aggregate] = [payment, *([wallet] if wallet is not None else [])]
        if payment.refund_requested:
            # The booking was gone before the money came: never keep money without a seat.
            refunded = self._refund(payment, reason=payment.refund_requested, requested_by=None, wallet=wallet,
                                    amount=payment.refund_requested_amount)
            changed += [a for a in refunded if all(a is not c for c in changed)]
        return changed

    def _refund_stray_charge(self, payment: Payment) -> list[Aggregate]:
        provider = self.providers.get(payment.provider)
        log.warning("payment %s succeeded at %s after it failed here; refunding it", payment.id, provider.name)
        reference = provider.refund(payment.reference, payment.amount, payment.currency,
                                    idempotency_key=str(domain.refund_id(payment.id)))
        payment.refund_stray_charge(reference)
        return [payment]

    def reconcile(self, payment_id: UUID) -> Payment:
        """Ask the provider about a payment stuck in pending and apply what it says."""
        payment = self.get_payment(payment_id)
        if payment.status != domain.PENDING or payment.is_offline or payment.reference is None:
            return payment
        state = self.providers.get(payment.provider).fetch_status(payment.reference)

        def step() -> tuple[Payment, Sequence[Aggregate]]:
            fresh = self.get_payment(payment_id)
            return fresh, self.settle(fresh, state)

        with self.continuing_story(payment_id):
            return self.commit(step)

    # --- saving ----------------------------------------------------------------------------------

    def commit(self, step: Step[T], tracking: Tracking | None = None) -> T:
        """Run `step` and save what it returns in one transaction; re-run it on a version conflict."""
        outcome: list[T] = []

        def attempt() -> None:
            outcome[:] = []
            result, changed = step()
            outcome.append(result)
            if changed:
                if tracking is None:
                    self.save(*changed)
                else:
                    self.save_tracked(*changed, tracking=tracking)

        def redelivered() -> bool:  # a concurrent redelivery of the same message already did it
            return tracking is not None and self.process_recorder.has_tracking_id(
                tracking.application_name, tracking.notification_id)

        retrying(attempt, attempts=_RETRIES, done=redelivered, first=_BACKOFF_SECONDS, cap=_MAX_BACKOFF_SECONDS)
        return outcome[0]
