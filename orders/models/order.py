"""Orders and their lines; the order lifecycle is declared django-fsm transitions on a
protected field, fired by the services under the order's row lock (orders.locks)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from inventory.models import Location, Product
from oms.models import Channel

from ..search_keys import SHIPPING_PHONE, SHIPPING_POSTAL_CODE, phone_key_expression


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
    # No index of its own: the unique (channel, external_reference) and the channel/state
    # indexes lead with it (migration 0014; each index costs every intake an entry).
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
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
    # Indexed only where set (`order_pickup_location`): most orders are shipped.
    pickup_location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pickup_orders",
        db_index=False,
    )
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # An order-level discount (voucher, basket promotion) as the shop sent it; refunds and
    # totals pro-rate it over the lines by value.
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
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
            ("resend_notification", "Can resend customer e-mails"),
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
            models.Index(
                fields=["pickup_location"],
                condition=Q(pickup_location__isnull=False),
                name="order_pickup_location",
            ),
            # The dashboard's "escalated" queue: counted from the index alone.
            models.Index(
                fields=["escalated_at"],
                condition=Q(state="waiting", escalated_at__isnull=False),
                name="order_escalated",
            ),
            # The order list's search box (orders.search): exact keys on every backend,
            # trigram indexes for "contains" on PostgreSQL (migration 0008).
            models.Index(Upper(SHIPPING_POSTAL_CODE), name="order_search_postal_code"),
            models.Index(phone_key_expression("customer_phone"), name="order_search_phone"),
            models.Index(phone_key_expression(SHIPPING_PHONE), name="order_search_shipping_phone"),
            GinIndex(
                OpClass(Upper("external_reference"), name="gin_trgm_ops"),
                name="order_search_reference_trgm",
            ),
            GinIndex(
                OpClass(Upper("customer_email"), name="gin_trgm_ops"),
                name="order_search_email_trgm",
            ),
            GinIndex(
                OpClass(Upper("customer_name"), name="gin_trgm_ops"),
                name="order_search_name_trgm",
            ),
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
    # Indexed by the unique (order, line_number) index, which leads with it.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
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
        # The order list's search by SKU (orders.search).
        indexes = [models.Index(Upper("sku"), "order", name="order_line_search_sku")]

    def __str__(self) -> str:
        return f"{self.line_number}: {self.quantity} x {self.sku}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.cancelled_quantity
