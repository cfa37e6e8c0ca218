"""Webhook subscription writes: create (the secret is returned once), rotate, enable."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..errors import NotFound
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


class WebhookSubscriptionNotFound(NotFound):
    code = "webhook_subscription_not_found"
    default_message = "No such webhook subscription for your channel."


def webhook_subscription_get(*, channel: Channel, subscription_id: int) -> WebhookSubscription:
    """The channel's subscription, or WebhookSubscriptionNotFound (also for another
    channel's)."""
    sub = WebhookSubscription.objects.filter(channel=channel, pk=subscription_id).first()
    if sub is None:
        raise WebhookSubscriptionNotFound(details={"subscription_id": subscription_id})
    return sub


def webhook_subscription_update(
    *,
    channel: Channel,
    subscription_id: int,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookSubscription:
    """Change what is given. A new URL is checked like at creation; enabling clears the
    "disabled by failures" mark (its pending deliveries then go out again)."""
    if url is not None:
        target_addresses(url)
    with transaction.atomic():
        sub = webhook_subscription_get(channel=channel, subscription_id=subscription_id)
        sub = WebhookSubscription.objects.select_for_update().get(pk=sub.pk)
        if url is not None:
            sub.url = url
        if event_types is not None:
            sub.event_types = sorted(set(event_types))
        if description is not None:
            sub.description = description
        if active is not None and active != sub.active:
            sub.active = active
            if active:
                sub.disabled_at, sub.disabled_reason = None, ""
        sub.save()  # renews the channel's webhooks stamp (oms.hub.signals)
    channel.refresh_from_db(fields=["webhooks_stamp"])
    return sub


def webhook_subscription_delete(*, channel: Channel, subscription_id: int) -> None:
    """Delete the subscription with its deliveries and their attempt logs."""
    webhook_subscription_get(channel=channel, subscription_id=subscription_id).delete()
