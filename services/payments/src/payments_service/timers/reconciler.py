"""The reconciler: a worker timer that asks providers again about payments stuck in `pending`.

Webhooks get lost (provider outage, our downtime, a firewall). Every interval, online payments pending
for longer than `reconcile_after_minutes` are found in the read model and re-checked one by one; the
Payment aggregate decides again, so a payment settled meanwhile is left as it is.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from payments_service.application import Payments
from payments_service.projections.payments_query import PaymentsQuery

log = logging.getLogger("payments.reconciler")


class Reconciler:
    """Re-checks stuck payments with their providers."""

    def __init__(self, payments: Payments, query: PaymentsQuery, *, after: timedelta):
        self.payments = payments
        self.query = query
        self.after = after

    def providers_to_ask(self) -> tuple[str, ...]:
        """Online providers: cash waits for an operator and balance never stays pending."""
        return tuple(name for name, p in self.payments.providers.by_name.items()
                     if not p.is_offline and not p.pays_from_wallet)

    def run_once(self, now: datetime | None = None) -> int:
        """One pass; returns how many payments it settled."""
        cutoff = (now or datetime.now(UTC)) - self.after
        settled = 0
        for payment_id in self.query.stuck_pending(cutoff, providers=self.providers_to_ask()):
            try:
                if self.payments.reconcile(payment_id).status != "pending":
                    settled += 1
            except Exception:  # noqa: BLE001 — one provider outage must not stop the others
                log.exception("reconciling payment %s failed", payment_id)
        if settled:
            log.info("reconciler settled %d stuck payments", settled)
        return settled

    __call__ = run_once
