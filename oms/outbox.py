"""Outbox delivery: hands pending outbox rows to the subscribers of their topic.

Rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED, so several workers can drain the
outbox without delivering a row twice at the same time. A failing subscriber leaves the row
pending with exponential backoff; after MAX_ATTEMPTS it is marked failed for staff.
The status-hub issue adds webhook subscriptions as subscribers; today every event is also
written to the `oms.events` log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger("oms.events")
MAX_ATTEMPTS = 12
Subscriber = Callable[[OutboxMessage], None]
_subscribers: list[tuple[str, Subscriber]] = []


def subscribe(topic_prefix: str, subscriber: Subscriber) -> None:
    """Register a subscriber for every topic starting with `topic_prefix`."""
    _subscribers.append((topic_prefix, subscriber))


def _log_event(message: OutboxMessage) -> None:
    logger.info("%s %s", message.topic, message.payload)


subscribe("", _log_event)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 2**attempts))


def outbox_dispatch(*, batch_size: int = 100, now: Any = None) -> dict[str, int]:
    """Deliver up to `batch_size` due messages; returns counts."""
    now = now or timezone.now()
    delivered = failed = 0
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxMessage.Status.PENDING, available_at__lte=now)
            .order_by("id")[:batch_size]
        )
        for message in messages:
            try:
                for prefix, subscriber in _subscribers:
                    if message.topic.startswith(prefix):
                        subscriber(message)
            except Exception as exc:  # a subscriber's failure must not stop the others
                message.attempts += 1
                message.last_error = repr(exc)[:2000]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = OutboxMessage.Status.FAILED
                else:
                    message.available_at = now + backoff(message.attempts)
                failed += 1
            else:
                message.status = OutboxMessage.Status.DELIVERED
                message.delivered_at = now
                message.attempts += 1
                delivered += 1
        OutboxMessage.objects.bulk_update(
            messages, ["status", "attempts", "available_at", "delivered_at", "last_error"]
        )
    return {"delivered": delivered, "failed": failed}
