"""Sending deliveries: claim a batch, commit, send outside any transaction, record each try.

Claiming is one short transaction (`FOR UPDATE SKIP LOCKED`, then a lease of LEASE), so
several workers share the backlog and no row lock is held while a receiver is slow; a
crashed worker's lease expires and another worker takes the row over. Only the lowest
pending `sequence` of an `ordering_key` can be claimed: a later event of the same
subscription and order waits while an earlier one is retried, other keys proceed. Each
result is recorded in its own transaction, and each send is isolated (a target's database
error cannot roll back another delivery's record). Records commit without waiting for the
WAL flush: a database crash can lose the last few, whose deliveries are then sent again
(at least once; receivers deduplicate by webhook-id). A worker starts no send that could
outlast its lease; it gives the rest of its batch back instead.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..models import Delivery, DeliveryAttempt, WebhookSubscription
from .subscription_cache import webhooks_changed
from .targets import SendResult, target_for

logger = logging.getLogger("oms.hub")

LEASE = timedelta(seconds=60)
# The longest one send may take (the webhook client's connect + read timeouts, and margin).
SEND_BUDGET = timedelta(seconds=15)
# Delay after the n-th failed try (before jitter): about 3.2 days in 15 tries.
RETRY_SCHEDULE = tuple(
    timedelta(seconds=s)
    for s in (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 43200, 43200, 43200, 43200)
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
JITTER = 0.2
MAX_RETRY_AFTER = timedelta(hours=24)


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `attempts`-th failed try: the schedule +-20%, so receivers
    coming back are not hit by every delayed delivery at the same second."""
    base = RETRY_SCHEDULE[max(0, min(attempts, len(RETRY_SCHEDULE)) - 1)]
    scale = getattr(settings, "WEBHOOKS_BACKOFF_SCALE", 1.0)
    return base * scale * (rng or random).uniform(1 - JITTER, 1 + JITTER)


def _claimable(now: datetime) -> object:
    earlier = Delivery.objects.filter(
        status=Delivery.Status.PENDING,
        ordering_key=OuterRef("ordering_key"),
        sequence__lt=OuterRef("sequence"),
    ).exclude(ordering_key="")
    return (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(subscription__isnull=True) | Q(subscription__active=True))
        .filter(~Exists(earlier))
    )


def deliveries_claim(*, batch_size: int = 50, now: datetime | None = None) -> list[Delivery]:
    """Lease up to `batch_size` due deliveries to this worker (short transaction; the row
    locks end at its commit)."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            _claimable(now)  # type: ignore[attr-defined]
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not rows:
            return []
        lease_until = now + LEASE
        Delivery.objects.filter(pk__in=rows).update(lease_until=lease_until)
    return list(
        Delivery.objects.filter(pk__in=rows)
        .select_related("message", "subscription")
        .order_by("next_attempt_at", "id")
    )


@dataclass
class DispatchReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0


def deliveries_dispatch(*, batch_size: int = 50, now: datetime | None = None) -> DispatchReport:
    """Claim one batch, send each delivery (no transaction open), record each result."""
    report = DispatchReport()
    claimed_at = time.monotonic()
    batch = deliveries_claim(batch_size=batch_size, now=now)
    report.claimed = len(batch)
    # A send may take up to SEND_BUDGET (timeouts); one that could outlast the lease is not
    # started: the rest of the batch is released for the next claim, so no other worker
    # takes over a row this one is still going to send.
    last_start = claimed_at + (LEASE - SEND_BUDGET).total_seconds()
    for position, delivery in enumerate(batch):
        if time.monotonic() > last_start:
            report.released = deliveries_release(batch[position:])
            break
        started = timezone.now()
        clock = time.monotonic()
        result = _send(delivery)
        duration_ms = int((time.monotonic() - clock) * 1000)
        outcome = delivery_record(
            delivery=delivery, result=result, started_at=started, duration_ms=duration_ms
        )
        if outcome == DeliveryAttempt.Outcome.DELIVERED:
            report.delivered += 1
        elif outcome == DeliveryAttempt.Outcome.RETRY:
            report.retrying += 1
        else:
            report.failed += 1
    return report


def deliveries_release(deliveries: list[Delivery]) -> int:
    """Give unsent claimed deliveries back (only while the lease is still ours)."""
    released = 0
    for delivery in deliveries:
        released += Delivery.objects.filter(
            pk=delivery.pk, lease_until=delivery.lease_until
        ).update(lease_until=None)
    return released


def _send(delivery: Delivery) -> SendResult:
    target = target_for(delivery.kind)
    if target is None:
        return SendResult(ok=False, error=f"no target registered for kind {delivery.kind!r}")
    # Inside a caller's transaction (tests) each send gets a savepoint; in a worker it runs
    # in autocommit, holding nothing.
    isolate = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with isolate:
            return target.send(delivery)
    except Exception as exc:  # a target's failure is this delivery's failed try, nothing more
        logger.warning("delivery %s (%s) failed: %r", delivery.pk, delivery.kind, exc)
        return SendResult(ok=False, error=repr(exc)[:2000])


def delivery_record(
    *, delivery: Delivery, result: SendResult, started_at: datetime, duration_ms: int
) -> str:
    """Record one try and schedule the next (own transaction). Returns the outcome.

    410 Gone disables the subscription; the last scheduled try failing does too (staff see
    it in the admin's "disabled" filter and can replay). The update is conditional on our
    lease, so a worker whose lease expired cannot overwrite its successor's result."""
    now = timezone.now()
    number = delivery.attempts + 1
    # Tries since the last replay (a replay starts a fresh schedule).
    tries = number - delivery.attempts_before_replay
    fields: dict[str, object] = {
        "attempts": number,
        "lease_until": None,
        "last_status_code": result.status_code,
        "last_error": result.error[:2000],
    }
    disable_reason = ""
    if result.ok:
        outcome = DeliveryAttempt.Outcome.DELIVERED
        fields.update(status=Delivery.Status.DELIVERED, delivered_at=now, last_error="")
    elif result.disable_subscription:
        outcome = DeliveryAttempt.Outcome.FAILED
        fields["status"] = Delivery.Status.FAILED
        disable_reason = f"receiver answered {result.status_code}: stop sending"
    elif result.permanent or tries >= MAX_ATTEMPTS:
        outcome = DeliveryAttempt.Outcome.FAILED
        fields["status"] = Delivery.Status.FAILED
        if tries >= MAX_ATTEMPTS:
            disable_reason = f"{tries} failed tries over {_span()}"
    else:
        outcome = DeliveryAttempt.Outcome.RETRY
        if result.retry_after is not None:
            wait = min(timedelta(seconds=max(result.retry_after, 1)), MAX_RETRY_AFTER)
        else:
            wait = backoff(tries)
        fields["next_attempt_at"] = now + wait
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Not waiting for the WAL flush: a record lost in a database crash only means the
            # delivery is sent again (same webhook-id), which receivers handle anyway.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        Delivery.objects.filter(pk=delivery.pk, lease_until=delivery.lease_until).update(**fields)
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=started_at,
            duration_ms=duration_ms,
            outcome=outcome,
            status_code=result.status_code,
            response_excerpt=result.response_excerpt[:1000],
            error=result.error[:2000],
        )
        if disable_reason and delivery.subscription_id:
            subscription_disable(subscription_id=delivery.subscription_id, reason=disable_reason)
    return outcome


def _span() -> str:
    return f"{sum(RETRY_SCHEDULE, timedelta()).total_seconds() / 86400:.1f} days"


def subscription_disable(*, subscription_id: int, reason: str) -> None:
    """Stop sending to a subscription; its pending deliveries wait until it is enabled."""
    with transaction.atomic():
        sub = WebhookSubscription.objects.filter(pk=subscription_id, active=True)
        channel_id = sub.values_list("channel_id", flat=True).first()
        if channel_id is None:
            return
        sub.update(active=False, disabled_at=timezone.now(), disabled_reason=reason[:200])
        webhooks_changed(channel_id=channel_id)  # the next order in every process skips it
    logger.warning("webhook subscription %s disabled: %s", subscription_id, reason)


def deliveries_due(*, now: datetime | None = None) -> int:
    """How many deliveries a worker could claim right now (the sweep's measure)."""
    return _claimable(now or timezone.now()).count()  # type: ignore[attr-defined]
