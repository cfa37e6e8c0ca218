"""Orders, lines, per-location fulfilments, the append-only event log, holds, idempotency.

Lifecycles are declared django-fsm transitions on protected fields; services call them under
the order's row lock (orders.locks), so an order changes one request at a time.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from inventory.models import Location, Product, Reservation
from oms.models import Channel


class OrderState(models.TextChoices):
    WAITING = "waiting", "Waiting for stock"
    ROUTED = "routed", "Routed"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class DeliveryType(models.TextChoices):
    SHIP = "ship", "Ship to address"
    CLICK_COLLECT = "click_collect", "Click & collect"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    AUTHORIZED = "authorized", "Authorized"
    PARTIALLY_CAPTURED = "partially_captured", "Partially captured"
    PAID = "paid", "Paid"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    VOIDED = "voided", "Voided"
    FAILED = "failed", "Failed"


OPEN_ORDER_STATES = (OrderState.WAITING, OrderState.ROUTED, OrderState.IN_PROGRESS)


class Order(ConcurrentTransitionMixin, models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="orders")
    external_reference = models.CharField(max_length=100)
    state = FSMField(default=OrderState.ROUTED, choices=OrderState.choices, protected=True)
    # Bumped by every change; the API's ETag and the admin's conflict check use it.
    version = models.PositiveIntegerField(default=1)
    # Sequence number of the last OrderEvent (events are numbered per order, under its lock).
    event_count = models.PositiveIntegerField(default=0)

    customer_email = models.EmailField(blank=True)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_phone = models.CharField(max_length=50, blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    # Denormalised from the shipping address for routing and filtering.
    shipping_country = models.CharField(max_length=2)
    shipping_latitude = models.FloatField(null=True, blank=True)
    shipping_longitude = models.FloatField(null=True, blank=True)

    delivery_type = models.CharField(
        max_length=20, choices=DeliveryType.choices, default=DeliveryType.SHIP
    )
    pickup_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="pickup_orders"
    )
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    payment_status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    priority = models.SmallIntegerField(default=0, help_text="Higher is routed first when waiting.")
    # Locations staff or rejections excluded for this order (reroutes avoid them).
    excluded_location_ids = models.JSONField(default=list, blank=True)

    strategy_version = models.ForeignKey(
        "routing.StrategyVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        help_text="The active strategy version that routed it last (empty: built-in default).",
    )
    strategy_name = models.CharField(max_length=100, blank=True)
    placed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        permissions = [
            ("edit_order", "Can edit order addresses, customer and delivery option"),
            ("cancel_order", "Can cancel orders and order lines"),
            ("reroute_order", "Can reroute orders (exclude or force locations)"),
            ("transition_fulfilment", "Can move fulfilments through their lifecycle"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_reference"], name="order_reference_unique_per_channel"
            ),
            models.CheckConstraint(
                condition=~Q(delivery_type="click_collect") | Q(pickup_location__isnull=False),
                name="order_click_collect_has_pickup",
            ),
        ]
        indexes = [
            models.Index(fields=["channel", "state", "-placed_at"], name="order_channel_state"),
            models.Index(
                fields=["-priority", "placed_at"],
                condition=Q(state="waiting"),
                name="order_waiting_room",
            ),
            models.Index(fields=["customer_email"], name="order_customer_email"),
        ]

    def __str__(self) -> str:
        return f"{self.channel.code}/{self.external_reference}"

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'

    # --- Lifecycle: services decide when; these declare what may follow what. ---

    @transition(field=state, source=OrderState.WAITING, target=OrderState.ROUTED)
    def route(self) -> None:
        self.waiting_since = None
        self.escalated_at = None

    @transition(
        field=state, source=[OrderState.ROUTED, OrderState.IN_PROGRESS], target=OrderState.WAITING
    )
    def park(self) -> None:
        """Nothing (more) can be routed now: wait for stock."""

    @transition(field=state, source=OrderState.ROUTED, target=OrderState.IN_PROGRESS)
    def start(self) -> None:
        """A location accepted its fulfilment."""

    @transition(
        field=state, source=[OrderState.ROUTED, OrderState.IN_PROGRESS], target=OrderState.COMPLETED
    )
    def complete(self) -> None:
        """Every fulfilment has been shipped or picked up (or cancelled)."""

    @transition(field=state, source=list(OPEN_ORDER_STATES), target=OrderState.CANCELLED)
    def cancel(self) -> None:
        """Nothing has shipped; the services release every reservation."""


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField()
    cancelled_quantity = models.PositiveIntegerField(default=0)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["order_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="order_line_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(cancelled_quantity__lte=F("quantity")),
                name="order_line_cancel_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="order_line_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_number}: {self.quantity} x {self.sku}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.cancelled_quantity


class FulfilmentState(models.TextChoices):
    CREATED = "created", "Created"
    ACCEPTED = "accepted", "Accepted"
    PICKING = "picking", "Picking"
    PACKED = "packed", "Packed"
    SHIPPED = "shipped", "Shipped"
    READY_FOR_PICKUP = "ready_for_pickup", "Ready for pickup"
    PICKED_UP = "picked_up", "Picked up"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_FULFILMENT_STATES = (
    FulfilmentState.CREATED,
    FulfilmentState.ACCEPTED,
    FulfilmentState.PICKING,
    FulfilmentState.PACKED,
)
DONE_FULFILMENT_STATES = (FulfilmentState.SHIPPED, FulfilmentState.PICKED_UP)
# Goods have left (or are sitting at the pickup counter): edits of these lines are refused.
HANDED_OVER_STATES = (
    FulfilmentState.SHIPPED,
    FulfilmentState.READY_FOR_PICKUP,
    FulfilmentState.PICKED_UP,
)


def _ships_to_customer(fulfilment: Fulfilment) -> bool:
    return fulfilment.order.delivery_type == DeliveryType.SHIP


def _goes_to_pickup(fulfilment: Fulfilment) -> bool:
    return fulfilment.order.delivery_type == DeliveryType.CLICK_COLLECT


class Fulfilment(ConcurrentTransitionMixin, models.Model):
    """What one location picks and sends (or hands over at its counter) for an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfilments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="fulfilments")
    # Click & collect transfer: the goods go to this pickup store first.
    transfer_to = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = FSMField(
        default=FulfilmentState.CREATED, choices=FulfilmentState.choices, protected=True
    )
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    rejection_reason = models.CharField(max_length=200, blank=True)
    distance_km = models.FloatField(null=True, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order_id", "id"]
        indexes = [
            models.Index(fields=["location", "state"], name="fulfilment_location_state"),
            models.Index(fields=["location", "created_at"], name="fulfilment_location_day"),
        ]

    def __str__(self) -> str:
        return f"Fulfilment {self.pk} of {self.order_id} at {self.location_id} ({self.state})"

    @property
    def is_pickup(self) -> bool:
        return self.order.delivery_type == DeliveryType.CLICK_COLLECT

    @transition(field=state, source=FulfilmentState.CREATED, target=FulfilmentState.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=state, source=FulfilmentState.ACCEPTED, target=FulfilmentState.PICKING)
    def start_picking(self) -> None:
        pass

    @transition(
        field=state,
        source=[FulfilmentState.ACCEPTED, FulfilmentState.PICKING],
        target=FulfilmentState.PACKED,
    )
    def pack(self) -> None:
        pass

    @transition(
        field=state,
        source=FulfilmentState.PACKED,
        target=FulfilmentState.SHIPPED,
        conditions=[_ships_to_customer],
    )
    def ship(self) -> None:
        """Handed to the carrier (ship-to-address orders)."""

    @transition(
        field=state,
        source=FulfilmentState.PACKED,
        target=FulfilmentState.READY_FOR_PICKUP,
        conditions=[_goes_to_pickup],
    )
    def ready_for_pickup(self) -> None:
        """Waiting at the pickup store's counter (for a transfer: arrived at the store)."""

    @transition(
        field=state, source=FulfilmentState.READY_FOR_PICKUP, target=FulfilmentState.PICKED_UP
    )
    def pick_up(self) -> None:
        pass

    @transition(
        field=state,
        source=[FulfilmentState.CREATED, FulfilmentState.ACCEPTED, FulfilmentState.PICKING],
        target=FulfilmentState.REJECTED,
    )
    def reject(self) -> None:
        pass

    @transition(
        field=state, source=list(ACTIVE_FULFILMENT_STATES), target=FulfilmentState.CANCELLED
    )
    def cancel(self) -> None:
        pass


class FulfilmentLine(models.Model):
    fulfilment = models.ForeignKey(Fulfilment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="fulfilment_lines"
    )
    quantity = models.PositiveIntegerField()
    reservation = models.OneToOneField(
        Reservation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["fulfilment_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="fulfilment_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"


class OrderEvent(models.Model):
    """The order's history and audit trail: append-only, numbered per order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    sequence = models.PositiveIntegerField()
    type = models.CharField(max_length=50, db_index=True)
    actor = models.CharField(max_length=150)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["order_id", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "sequence"], name="order_event_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.type}"


class RoutingDecision(models.Model):
    """The planner's decision log for one routing of an order (intake, reroute, edit)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="routing_decisions")
    trigger = models.CharField(max_length=50)
    strategy_version = models.ForeignKey(
        "routing.StrategyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    routable = models.BooleanField()
    log = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_id", "-id"]

    def __str__(self) -> str:
        return f"Routing of {self.order_id} ({self.trigger})"


class CheckoutHold(models.Model):
    """Stock held for a shopper during checkout; placing the order consumes it."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CONSUMED = "consumed", "Consumed by an order"
        RELEASED = "released", "Released"
        EXPIRED = "expired", "Expired"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="holds")
    token = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    lines = models.JSONField(help_text="[{sku, quantity}] as requested")
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(status="active"), name="hold_active_expiry"
            )
        ]

    def __str__(self) -> str:
        return f"Hold {self.token} ({self.status})"

    @property
    def holder(self) -> str:
        return f"hold:{self.token}"


class IdempotencyRecord(models.Model):
    """The first response to an `Idempotency-Key`, replayed for retries of the same request."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=50, default="order_create")
    request_hash = models.CharField(max_length=64)
    completed = models.BooleanField(default=False)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "scope", "key"], name="idempotency_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.key}"


# Payments live in their own modules (orders/payments/); imported here so Django registers them.
from .payments.models import Payment as Payment  # noqa: E402
from .payments.models import PaymentTransaction as PaymentTransaction  # noqa: E402
from .payments.models import Refund as Refund  # noqa: E402
