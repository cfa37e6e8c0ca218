"""Keep the per-process subscription cache honest: any saved or deleted webhook subscription
gives its channel a new webhooks stamp (in the same transaction)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ..models import WebhookSubscription
from .subscription_cache import webhooks_changed


@receiver(post_save, sender=WebhookSubscription, dispatch_uid="hub_subscription_saved")
@receiver(post_delete, sender=WebhookSubscription, dispatch_uid="hub_subscription_deleted")
def _subscription_changed(sender: Any, instance: WebhookSubscription, **kwargs: Any) -> None:
    stamp = webhooks_changed(channel_id=instance.channel_id)
    if WebhookSubscription.channel.is_cached(instance):  # the caller's channel row, kept current
        instance.channel.webhooks_stamp = stamp
