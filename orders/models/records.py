"""What the order keeps beside itself: the append-only event log, routing decision logs,
checkout holds and idempotency records."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from oms.models import Channel

from .order import Order


class OrderEvent(models.Model):
    """The order's history and audit trail: append-only, numbered per order."""

    # Indexed by the unique (order, sequence) index, which leads with it.
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    sequence = models.PositiveIntegerField()
    # Indexed together with created_at (order_event_type_time): the dashboard asks for recent
    # events of some types, the event list filters by type.
    type = models.CharField(max_length=50)
    actor = models.CharField(max_length=150)
    data = models.JSONField(default=dict, blank=True)
    # Internal events (staff notes, escalations) are never published to the channel.
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_id", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "sequence"], name="order_event_sequence_unique"
            )
        ]
        indexes = [models.Index(fields=["type", "created_at"], name="order_event_type_time")]

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

    # No index of its own: the unique (channel, scope, key) index leads with it. With one, the
    # claim's generic plan made on an empty table read every record of the channel
    # (tests/integration/test_idempotency_plan.py).
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, db_index=False)
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


class IntakeRefusalCount(models.Model):
    """Orders a channel's intake refused on one (local) day, by error code: the dashboard's
    "refused at intake today". One row per day, channel and code, counted up by one UPSERT
    after the refused transaction has rolled back (orders.services.intake_refusals)."""

    day = models.DateField()
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=64)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Day first: the dashboard reads one day across channels.
            models.UniqueConstraint(
                fields=["day", "channel", "code"], name="intake_refusal_day_channel_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.code}: {self.n}"
