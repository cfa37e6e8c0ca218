"""The order's payment state, derived from its payments' amounts (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ..models import PaymentStatus
from .models import Payment


def payment_state(payments: Iterable[Payment]) -> str:
    """pending, authorized, partially captured, paid, partially refunded, refunded, voided,
    failed: from the summed amounts (a failed or voided payment counts only when every
    payment is)."""
    payments = list(payments)
    authorized = sum((p.authorized for p in payments), Decimal("0"))
    captured = sum((p.captured for p in payments), Decimal("0"))
    refunded = sum((p.refunded for p in payments), Decimal("0"))
    if refunded > 0:
        return PaymentStatus.REFUNDED if refunded >= captured else PaymentStatus.PARTIALLY_REFUNDED
    if captured > 0:
        voided_rest = all(p.voided_at or p.captured >= p.authorized for p in payments)
        return PaymentStatus.PAID if voided_rest else PaymentStatus.PARTIALLY_CAPTURED
    if payments and all(p.voided_at for p in payments):
        return PaymentStatus.VOIDED
    if authorized > 0:
        return PaymentStatus.AUTHORIZED
    if payments and all(p.failed for p in payments):
        return PaymentStatus.FAILED
    return PaymentStatus.PENDING
