"""Webhook subscription writes: create (the secret is returned once), rotate, enable."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import Channel, WebhookSubscription
from .models import new_webhook_secret
from .ssrf import target_addresses


def webhook_subscription_create(
    *,
    channel: Channel,
    url: str,
    event_types: list[str] | None = None,
    description: str = "",
    created_by: str = "",
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (`whsec_...`, shown once). Refuses URLs that
    resolve into private networks (WebhookTargetRefused) unless settings allow them."""
    target_addresses(url)
    secret = new_webhook_secret()
    subscription = WebhookSubscription.objects.create(
        channel=channel,
        url=url,
        event_types=sorted(set(event_types or [])),
        description=description,
        secret=secret,
        created_by=created_by,
    )
    return subscription, secret


def webhook_secret_rotate(*, subscription_id: int, overlap: timedelta = timedelta(hours=24)) -> str:
    """A new secret; the old one keeps signing beside it for `overlap`."""
    with transaction.atomic():
        sub = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
        secret = new_webhook_secret()
        sub.previous_secret, sub.secret = sub.secret, secret
        sub.previous_secret_expires_at = timezone.now() + overlap
        sub.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return secret
