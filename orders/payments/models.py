"""Payments of an order, one transaction row per PSP step, and refunds.

The three amounts of a payment only grow through the services (orders.payments.services),
under the order's row lock and the payment's; CHECK constraints keep
`refunded + refund_pending <= captured <= authorized` even if a service had a bug.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, transition

ZERO = Decimal("0")


def _money() -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)


class Payment(models.Model):
    """One payment of an order at a PSP (a card authorization, a PayPal order, an invoice)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="payments")
    provider = models.CharField(max_length=50, help_text="PSP or method, e.g. stripe, invoice.")
    reference = models.CharField(max_length=200, blank=True, help_text="The PSP's payment id.")
    currency = models.CharField(max_length=3)
    authorized = _money()
    captured = _money()
    refunded = _money()
    # Requested refunds not yet confirmed by the PSP: held against `captured` so concurrent
    # refunds can never promise more than was captured.
    refund_pending = _money()
    voided_at = models.DateTimeField(null=True, blank=True)
    failed = models.BooleanField(default=False, help_text="The shop reported a failed payment.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "orders"
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(authorized__gte=0)
                & Q(captured__gte=0)
                & Q(refunded__gte=0)
                & Q(refund_pending__gte=0),
                name="payment_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(captured__lte=F("authorized")),
                name="payment_captured_within_authorized",
            ),
            models.CheckConstraint(
                condition=Q(refunded__lte=F("captured") - F("refund_pending")),
                name="payment_refunds_within_captured",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.reference or self.pk} ({self.currency})"

    @property
    def refundable(self) -> Decimal:
        """Captured money not yet refunded nor promised to a pending refund."""
        return self.captured - self.refunded - self.refund_pending

    @property
    def capturable(self) -> Decimal:
        return ZERO if self.voided_at else self.authorized - self.captured


class TransactionKind(models.TextChoices):
    AUTHORIZATION = "authorization", "Authorization"
    CAPTURE = "capture", "Capture"
    REFUND = "refund", "Refund"
    VOID = "void", "Void"


class PaymentTransaction(models.Model):
    """One confirmed step at the PSP, with its reference: the source of the payment's amounts."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="transactions")
    kind = models.CharField(max_length=20, choices=TransactionKind.choices)
    amount = _money()
    psp_reference = models.CharField(max_length=200, blank=True)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "orders"
        ordering = ["payment_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_transaction_amount"),
            # A shop reporting the same PSP transaction twice changes nothing.
            models.UniqueConstraint(
                fields=["payment", "kind", "psp_reference"],
                condition=~Q(psp_reference=""),
                name="payment_transaction_psp_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.psp_reference or 'no reference'})"


class RefundState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Refund(models.Model):
    """Money going back to the customer from one payment, tracked until the PSP confirms."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = _money()
    state = FSMField(default=RefundState.REQUESTED, choices=RefundState.choices, protected=True)
    reason = models.CharField(max_length=200, blank=True)
    # What it is for: "cancellation", "return:<id>", "staff", "api".
    source = models.CharField(max_length=50, blank=True, db_index=True)
    psp_reference = models.CharField(max_length=200, blank=True)
    # How the amount was computed (returns' refund preview), for the console and the audit.
    breakdown = models.JSONField(default=dict, blank=True)
    requested_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "orders"
        ordering = ["order_id", "id"]
        permissions = [("issue_refund", "Can issue refunds and adjust refund amounts")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk}: {self.amount} ({self.state})"

    @transition(field=state, source=RefundState.REQUESTED, target=RefundState.SUCCEEDED)
    def succeed(self) -> None:
        pass

    @transition(field=state, source=RefundState.REQUESTED, target=RefundState.FAILED)
    def fail(self) -> None:
        pass
