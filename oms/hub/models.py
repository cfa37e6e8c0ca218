"""Deliveries of published messages to their targets, webhook subscriptions, attempt logs.

A published message (`oms.models.OutboxMessage`) is written in the transaction of the change
it describes; in the same transaction every target that wants it gets a `Delivery` row with
its own status, attempts and schedule. Workers claim deliveries, send outside any
transaction, and record each try as a `DeliveryAttempt`.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookSubscription(models.Model):
    """A channel's HTTP endpoint for the public order events it names."""

    channel = models.ForeignKey(
        "oms.Channel", on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(max_length=500)
    event_types = models.JSONField(
        default=list, blank=True, help_text="Public event types to send; empty means all."
    )
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100, editable=False)
    # During a rotation both secrets sign, until previous_secret_expires_at.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["channel", "id"]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.url}"

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def signing_secrets(self, now: object = None) -> list[str]:
        now = now or timezone.now()
        keys = [self.secret]
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > now:  # type: ignore[operator]
            keys.append(self.previous_secret)
        return keys


class Delivery(models.Model):
    """One published message for one target (a webhook subscription, an e-mail address, ...).

    `ordering_key` groups deliveries that must arrive in `sequence` order (per subscription
    and order): only the lowest pending one of a key can be claimed. Empty means unordered.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    message = models.ForeignKey(
        "oms.OutboxMessage", on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(max_length=30, help_text="The target kind that sends it.")
    subscription = models.ForeignKey(
        WebhookSubscription,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    target = models.CharField(max_length=300, blank=True, help_text="e.g. an e-mail address")
    ordering_key = models.CharField(max_length=100, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # A replay sends the same message again (same webhook-id) on a fresh retry schedule:
    # the schedule counts the tries after `attempts_before_replay`.
    replayed_at = models.DateTimeField(null=True, blank=True)
    replayed_by = models.CharField(max_length=150, blank=True)
    attempts_before_replay = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        permissions = [("replay_delivery", "Can replay deliveries (send them again)")]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="delivery_due_idx",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["ordering_key", "sequence"],
                name="delivery_ordering_idx",
                condition=Q(status="pending"),
            ),
            # The console dashboard's "failed deliveries" queue counts these alone.
            models.Index(
                fields=["created_at"], name="delivery_failed_idx", condition=Q(status="failed")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def webhook_id(self) -> str:
        """The Standard Webhooks `webhook-id`: the same for every attempt and replay."""
        return f"msg_{self.message_id}_{self.pk}"


class DeliveryAttempt(models.Model):
    """One try to send a delivery: what came back and how long it took."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        RETRY = "retry", "Failed, will retry"
        FAILED = "failed", "Failed for good"
        REFUSED = "refused", "Refused before sending"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}: {self.outcome}"
