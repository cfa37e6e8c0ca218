"""Replaying deliveries: send published messages again, by staff (admin) or operators
(`manage.py webhooks_replay`).

A replay puts delivered or failed deliveries back to pending, due now, on a fresh retry
schedule. Nothing new is created: the message and the delivery row stay the same, so the
receiver sees the same `webhook-id` and deduplicates a message it had processed. The
per-(target, order) ordering rule of the dispatcher holds for replays too: a replayed
event is sent before any later pending event of the same order and subscription. A
delivery that a worker is sending right now (leased) is left alone and counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..errors import NotFound, ValidationFailed
from ..models import Delivery, WebhookSubscription
from .publish import nudge_workers_on_commit
from .services import WebhookSubscriptionNotFound

logger = logging.getLogger("oms.hub")


class ReplayRequestInvalid(ValidationFailed):
    code = "replay_request_invalid"
    default_message = "Name one delivery, or a subscription and a start time."


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    default_message = "No such delivery."


@dataclass(frozen=True)
class ReplayReport:
    """`requeued`: deliveries due again; `in_flight`: being sent right now, left alone;
    `paused`: requeued deliveries of a disabled subscription (they go out once it is
    enabled again)."""

    requeued: int
    in_flight: int
    paused: int


def deliveries_replay(
    *,
    actor: str,
    delivery_id: int | None = None,
    subscription_id: int | None = None,
    since: datetime | None = None,
) -> ReplayReport:
    """Requeue one delivery (`delivery_id`), or every delivery of a webhook subscription
    whose message was published at or after `since`. One short transaction: a conditional
    UPDATE that skips leased rows (a worker that claims a row meanwhile wins, and the row
    is counted as in flight). Workers are nudged after commit."""
    if (delivery_id is None) == (subscription_id is None):
        raise ReplayRequestInvalid(
            details={"delivery_id": delivery_id, "subscription_id": subscription_id}
        )
    if subscription_id is not None and since is None:
        raise ReplayRequestInvalid(
            "Replaying a subscription needs a start time (since).",
            details={"subscription_id": subscription_id},
        )
    now = timezone.now()
    with transaction.atomic():
        if delivery_id is not None:
            rows = Delivery.objects.filter(pk=delivery_id)
            found = rows.values_list("pk", "subscription_id").first()
            if found is None:
                raise DeliveryNotFound(details={"delivery_id": delivery_id})
            subscription_id = found[1]
        else:
            assert subscription_id is not None
            if not WebhookSubscription.objects.filter(pk=subscription_id).exists():
                raise WebhookSubscriptionNotFound(details={"subscription_id": subscription_id})
            # Deliveries are created with their message, in the same transaction.
            rows = Delivery.objects.filter(subscription_id=subscription_id, created_at__gte=since)
        total = rows.count()
        # Conditions on the row itself, so PostgreSQL re-checks them on a row that a worker
        # leased while this UPDATE waited for its lock: that row stays the worker's.
        requeued = rows.exclude(status=Delivery.Status.PENDING, lease_until__gt=now).update(
            status=Delivery.Status.PENDING,
            next_attempt_at=now,
            lease_until=None,
            replayed_at=now,
            replayed_by=actor[:150],
            attempts_before_replay=F("attempts"),
        )
        paused = (
            requeued
            if subscription_id is not None
            and not WebhookSubscription.objects.filter(pk=subscription_id, active=True).exists()
            else 0
        )
        if requeued:
            nudge_workers_on_commit()
    logger.info(
        "deliveries replayed by %s: %s requeued, %s in flight (delivery %s, subscription %s "
        "since %s)",
        actor,
        requeued,
        total - requeued,
        delivery_id,
        subscription_id,
        since,
    )
    return ReplayReport(requeued=requeued, in_flight=total - requeued, paused=paused)
