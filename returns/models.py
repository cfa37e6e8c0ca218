"""Return requests (RMAs), their lines, receipts, inspections, quality-control holds, and the
per-channel return policy and reason list.

A return changes only through its declared transitions, called by returns.services under
the order's row lock (then the return's), so the returnable quantity of a line is never
promised twice.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from inventory.models import Location, Product
from oms.models import Channel
from orders.models import Order, OrderLine


class ReturnPolicy(models.Model):
    """How a channel takes returns back (one per channel; defaults when missing)."""

    class ShippingRefund(models.TextChoices):
        NEVER = "never", "Never refund shipping"
        FULL_RETURN = "full_return", "Refund shipping when everything comes back"
        ALWAYS = "always", "Always refund shipping (pro rata)"

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="return_policy")
    window_days = models.PositiveIntegerField(
        default=30, help_text="Days after shipment or pickup in which a return may be requested."
    )
    auto_approve = models.BooleanField(
        default=False, help_text="Approve requests within the window at once."
    )
    auto_approve_max_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Only auto-approve returns worth at most this much (empty: any amount).",
    )
    shipping_refund = models.CharField(
        max_length=20, choices=ShippingRefund.choices, default=ShippingRefund.FULL_RETURN
    )
    restocking_fee_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text="Deducted from the refunded goods value.",
    )

    class Meta:
        verbose_name_plural = "return policies"

    def __str__(self) -> str:
        return f"Return policy of {self.channel_id}"


class ReturnReason(models.Model):
    """The configurable list of reasons customers and staff pick from."""

    code = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label


class ReturnState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    IN_TRANSIT = "in_transit", "In transit"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    INSPECTED = "inspected", "Inspected"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# States whose lines still count against the returnable quantity.
LIVE_RETURN_STATES = [
    s for s in ReturnState.values if s not in (ReturnState.REJECTED, ReturnState.CANCELLED)
]
AWAITING_GOODS = [ReturnState.APPROVED, ReturnState.IN_TRANSIT, ReturnState.PARTIALLY_RECEIVED]


class Resolution(models.TextChoices):
    REFUND = "refund", "Refund"
    EXCHANGE = "exchange", "Exchange"


class CreatedVia(models.TextChoices):
    API = "api", "Shop (API)"
    STORE = "store", "Store (return to store)"
    STAFF = "staff", "Staff (console)"


TRANSITION_PERMISSION = "returns.transition_return"
INSPECT_PERMISSION = "returns.inspect_return"


class ReturnRequest(ConcurrentTransitionMixin, models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    # No index of its own: return_state (channel, state, created_at) leads with it.
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="returns", db_index=False
    )
    state = FSMField(default=ReturnState.REQUESTED, choices=ReturnState.choices, protected=True)
    resolution = models.CharField(
        max_length=20, choices=Resolution.choices, default=Resolution.REFUND
    )
    created_via = models.CharField(max_length=20, choices=CreatedVia.choices)
    # Where the goods came back (set by the first receipt; a store for return-to-store).
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="returns"
    )
    tracking_number = models.CharField(max_length=100, blank=True, db_index=True)
    customer_note = models.TextField(blank=True)
    rejection_reason = models.CharField(max_length=200, blank=True)
    exchange_order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="exchange_for"
    )
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("transition_return", "Can approve, reject, receive and close returns"),
            ("inspect_return", "Can inspect returned goods and release quality holds"),
        ]
        indexes = [models.Index(fields=["channel", "state", "-created_at"], name="return_state")]

    def __str__(self) -> str:
        return f"Return {self.pk} of order {self.order_id}"

    @transition(
        field=state,
        source=ReturnState.REQUESTED,
        target=ReturnState.APPROVED,
        permission=TRANSITION_PERMISSION,
    )
    def approve(self) -> None:
        pass

    @transition(
        field=state,
        source=ReturnState.REQUESTED,
        target=ReturnState.REJECTED,
        permission=TRANSITION_PERMISSION,
    )
    def reject(self) -> None:
        pass

    @transition(
        field=state,
        source=ReturnState.APPROVED,
        target=ReturnState.IN_TRANSIT,
        permission=TRANSITION_PERMISSION,
    )
    def ship_back(self) -> None:
        """The customer sent the parcel (tracking number known)."""

    @transition(
        field=state,
        source=AWAITING_GOODS,
        target=ReturnState.PARTIALLY_RECEIVED,
        permission=TRANSITION_PERMISSION,
    )
    def receive_part(self) -> None:
        pass

    @transition(
        field=state,
        source=AWAITING_GOODS,
        target=ReturnState.RECEIVED,
        permission=TRANSITION_PERMISSION,
    )
    def receive(self) -> None:
        pass

    @transition(
        field=state,
        source=ReturnState.RECEIVED,
        target=ReturnState.INSPECTED,
        permission=INSPECT_PERMISSION,
    )
    def finish_inspection(self) -> None:
        pass

    @transition(
        field=state,
        source=ReturnState.INSPECTED,
        target=ReturnState.CLOSED,
        permission=TRANSITION_PERMISSION,
    )
    def close(self) -> None:
        pass

    @transition(
        field=state,
        source=[ReturnState.REQUESTED, ReturnState.APPROVED, ReturnState.IN_TRANSIT],
        target=ReturnState.CANCELLED,
        permission=TRANSITION_PERMISSION,
    )
    def cancel(self) -> None:
        """Only before anything was received."""


class ReturnLine(models.Model):
    # No index of its own: return_line_unique (return_request, order_line) leads with it.
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    reason = models.ForeignKey(ReturnReason, on_delete=models.PROTECT, related_name="+")
    received_quantity = models.PositiveIntegerField(default=0)
    inspected_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["return_request_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity"),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=models.F("quantity")),
                name="return_line_received_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(inspected_quantity__lte=models.F("received_quantity")),
                name="return_line_inspected_within_received",
            ),
            models.UniqueConstraint(
                fields=["return_request", "order_line"], name="return_line_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.order_line.sku}"


class ReturnReceipt(models.Model):
    """One parcel received; the same parcel reference again is a no-op."""

    # No index of its own: return_receipt_parcel_unique (return_request, parcel_reference)
    # leads with it.
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="receipts", db_index=False
    )
    parcel_reference = models.CharField(max_length=100)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    lines = models.JSONField(help_text="{order line number: units received}")
    received_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["return_request_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["return_request", "parcel_reference"], name="return_receipt_parcel_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Parcel {self.parcel_reference}"


class Condition(models.TextChoices):
    NEW = "new", "As new"
    OPENED = "opened", "Opened, complete"
    DAMAGED = "damaged", "Damaged"
    DEFECTIVE = "defective", "Defective"


class Disposition(models.TextChoices):
    RESTOCK = "restock", "Restock (sellable at once)"
    QUALITY_CONTROL = "quality_control", "Quality control (held back)"
    WRITE_OFF = "write_off", "Write off"
    RETURN_TO_VENDOR = "return_to_vendor", "Return to vendor"


class ReturnInspection(models.Model):
    """Units of one return line judged together: their condition and what happens to them."""

    line = models.ForeignKey(ReturnLine, on_delete=models.CASCADE, related_name="inspections")
    quantity = models.PositiveIntegerField()
    condition = models.CharField(max_length=20, choices=Condition.choices)
    disposition = models.CharField(max_length=20, choices=Disposition.choices)
    note = models.CharField(max_length=200, blank=True)
    inspected_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["line_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_inspection_quantity")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.disposition}"


class QualityHold(models.Model):
    """Returned units in quality control: at the location, but not on hand for ATP until
    released (then a `return` movement restocks them) or written off."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        RELEASED = "released", "Released to stock"
        WRITTEN_OFF = "written_off", "Written off"

    inspection = models.OneToOneField(
        ReturnInspection, on_delete=models.PROTECT, related_name="quality_hold"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="quality_holds")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.HELD)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id} at {self.location_id} ({self.status})"
