"""The order transition an order's fulfilments call for, fired after every change."""

from __future__ import annotations

from django.utils import timezone

from .. import event_types as et
from ..events import EventRecorder
from ..models import (
    ACTIVE_FULFILMENT_STATES,
    DONE_FULFILMENT_STATES,
    Fulfilment,
    FulfilmentState,
    Order,
    OrderLine,
    OrderState,
)


def sync_order_state(
    order: Order,
    lines: dict[int, OrderLine],
    fulfilments: list[Fulfilment],
    unallocated: dict[int, int],
    events: EventRecorder,
) -> None:
    """Fire the declared order transition its fulfilments call for (if any)."""
    if order.state in (OrderState.CANCELLED, OrderState.COMPLETED):
        return
    if unallocated:
        if order.state != OrderState.WAITING:
            order.park()
            order.waiting_since = timezone.now()
            events.add(
                et.OrderWaiting(
                    lines=[
                        {"line": lines[k].line_number, "sku": lines[k].sku, "missing": v}
                        for k, v in sorted(unallocated.items())
                        if k in lines
                    ]
                )
            )
        return
    if order.state == OrderState.WAITING:
        order.route()
        routed = [f for f in fulfilments if f.state in ACTIVE_FULFILMENT_STATES]
        events.add(et.OrderRouted(strategy=order.strategy_name, fulfilments=len(routed)))
    live = [
        f
        for f in fulfilments
        if f.state not in (FulfilmentState.REJECTED, FulfilmentState.CANCELLED)
    ]
    if live and all(f.state in DONE_FULFILMENT_STATES for f in live):
        order.complete()
        events.add(et.OrderCompleted())
    elif order.state == OrderState.ROUTED and any(f.state != FulfilmentState.CREATED for f in live):
        order.start()
