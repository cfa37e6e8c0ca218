"""The waiting room: orders that could not be (fully) routed wait for stock; a periodic job
routes them, highest priority then oldest first, and escalates the overdue ones to staff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from oms.models import Channel

from .. import event_types as et
from ..events import EventRecorder
from ..locks import order_lock
from ..models import Order, OrderState
from .allocation import allocate, order_save_changes, unallocated_quantities
from .fulfilments import load_order


def order_route_waiting(*, order_id: int, actor: str = "system:waiting-room") -> bool:
    """Try to route a waiting order's missing units; True when it is fully routed now."""
    with transaction.atomic():
        order = order_lock(order_id=order_id)
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
                order.save(update_fields=["event_count"])
                events.flush()
                return False
            fulfilments.extend(outcome.fulfilments)
        order_save_changes(order, lines, fulfilments, events)
        return True


def waiting_room_process(*, limit: int = 200) -> dict[str, int]:
    """Route waiting orders, highest priority then oldest first; escalate the overdue ones."""
    routed = 0
    tried = 0
    ids = list(
        Order.objects.filter(state=OrderState.WAITING)
        .order_by("-priority", "placed_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for order_id in ids:
        tried += 1
        if order_route_waiting(order_id=order_id):
            routed += 1
    escalated = waiting_room_escalate()
    return {"tried": tried, "routed": routed, "escalated": escalated}


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
