"""The waiting room: orders that could not be (fully) routed wait for stock; a periodic job
routes them, highest priority then oldest first, and escalates the overdue ones to staff.

A run tries only the woken orders (orders/waiting_wake.py: stock for their SKUs arrived, they
just started waiting, or a periodic sweep), at most WAITING_ROOM_BATCH_SIZE of them, and a
retry that decides what the order's last routing decision said records no new decision."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from oms.models import Channel

from .. import event_types as et
from ..decision_logs import decision_outcome
from ..events import EventRecorder
from ..locks import order_lock
from ..models import Order, OrderState, RoutingDecision, WaitingRoomWake
from ..waiting_wake import waiting_orders_wake
from .allocation import allocate, order_save_changes, unallocated_quantities
from .common import load_order


def order_route_waiting(*, order_id: int, actor: str = "system:waiting-room") -> bool:
    """Try to route a waiting order's missing units; True when it is fully routed now."""
    with transaction.atomic():
        order = order_lock(order_id=order_id)
        WaitingRoomWake.objects.filter(order_id=order_id).delete()
        if order.state != OrderState.WAITING:
            return False
        lines, fulfilments = load_order(order)
        unallocated = unallocated_quantities(order, list(lines.values()), fulfilments)
        events = EventRecorder(order, actor)
        if unallocated:
            outcome = allocate(
                order=order,
                lines=lines,
                quantities=unallocated,
                events=events,
                actor=actor,
                trigger="waiting_room",
                require_complete=True,
            )
            if not outcome.complete:
                if decision_outcome(outcome.plan.decision_log) == _last_outcome(order):
                    events.discard_decisions()  # the same answer as last time: nothing new
                order.save(update_fields=["event_count"])
                events.flush()
                return False
            fulfilments.extend(outcome.fulfilments)
        order_save_changes(order, lines, fulfilments, events)
        return True


def _last_outcome(order: Order) -> tuple | None:
    log = (
        RoutingDecision.objects.filter(order=order)
        .order_by("-pk")
        .values_list("log", flat=True)
        .first()
    )
    return None if log is None else decision_outcome(log)


def waiting_room_process(*, limit: int | None = None) -> dict[str, int]:
    """Route the woken waiting orders (at most `limit`, default WAITING_ROOM_BATCH_SIZE),
    highest priority then oldest first; escalate the overdue ones. Orders left over stay
    woken for the next run."""
    limit = settings.WAITING_ROOM_BATCH_SIZE if limit is None else limit
    waiting_orders_wake()
    WaitingRoomWake.objects.exclude(order__state=OrderState.WAITING).delete()
    ids = list(
        WaitingRoomWake.objects.order_by(
            "-order__priority", "order__placed_at", "order_id"
        ).values_list("order_id", flat=True)[:limit]
    )
    routed = 0
    for order_id in ids:
        if order_route_waiting(order_id=order_id):
            routed += 1
    escalated = waiting_room_escalate()
    return {"tried": len(ids), "routed": routed, "escalated": escalated}


def waiting_room_escalate(*, now: Any = None) -> int:
    """Flag orders that waited longer than their channel allows, once, for staff."""
    now = now or timezone.now()
    escalated = 0
    for channel in Channel.objects.filter(orders__state=OrderState.WAITING).distinct():
        cutoff = now - timedelta(minutes=channel.waiting_escalation_minutes)
        overdue = Order.objects.filter(
            channel=channel,
            state=OrderState.WAITING,
            escalated_at__isnull=True,
            waiting_since__lte=cutoff,
        ).values_list("pk", flat=True)
        for order_id in overdue:
            with transaction.atomic():
                order = order_lock(order_id=order_id)
                if order.escalated_at is not None or order.state != OrderState.WAITING:
                    continue
                order.escalated_at = now
                events = EventRecorder(order, "system:waiting-room")
                events.add(
                    et.OrderEscalated(
                        waiting_since=(
                            order.waiting_since.isoformat() if order.waiting_since else None
                        )
                    )
                )
                order.save(update_fields=["escalated_at", "event_count"])
                events.flush()
                escalated += 1
    return escalated
