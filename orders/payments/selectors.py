"""Payment reads: an order's payments with their transactions, its refunds, what is owed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from ..models import Order
from .models import ZERO, Payment, PaymentTransaction, Refund, RefundState


@dataclass(frozen=True)
class PaymentSummary:
    """The order's money at a glance (console and API)."""

    state: str
    currency: str
    authorized: Decimal
    captured: Decimal
    refunded: Decimal
    refund_pending: Decimal
    refundable: Decimal
    payments: list[Payment]
    refunds: list[Refund]

    @property
    def still_owed(self) -> Decimal:
        """What the customer is still owed: refunds requested and not yet confirmed."""
        return self.refund_pending


def payment_summary(*, order: Order) -> PaymentSummary:
    payments = list(
        Payment.objects.filter(order=order)
        .order_by("pk")
        .prefetch_related(
            Prefetch("transactions", queryset=PaymentTransaction.objects.order_by("pk"))
        )
    )
    refunds = list(Refund.objects.filter(order=order).order_by("pk"))

    def total(field: str) -> Decimal:
        return sum((getattr(p, field) for p in payments), ZERO)

    return PaymentSummary(
        state=order.payment_status,
        currency=order.currency,
        authorized=total("authorized"),
        captured=total("captured"),
        refunded=total("refunded"),
        refund_pending=total("refund_pending"),
        refundable=total("refundable"),
        payments=payments,
        refunds=refunds,
    )


def refunds_requested(*, order: Order) -> list[Refund]:
    return list(Refund.objects.filter(order=order, state=RefundState.REQUESTED).order_by("pk"))
