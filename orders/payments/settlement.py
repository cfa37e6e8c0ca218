"""What order changes do to its money: capture on shipment, refund and void on cancellation.

Both run inside the caller's transaction, with the order already locked; they lock the
payments (orders.payments.services.payments_lock) and add their events to the caller's
recorder. The caller saves the order and flushes the events.
"""

from __future__ import annotations

from decimal import Decimal

from ..events import EventRecorder
from ..models import (
    ACTIVE_FULFILMENT_STATES,
    Fulfilment,
    FulfilmentState,
    Order,
    OrderLine,
    OrderState,
)
from .adapters import adapter_get
from .models import ZERO
from .services import payments_lock, refund_issue
from .state import payment_state


def payments_capture_on_handover(
    *,
    order: Order,
    fulfilment: Fulfilment,
    fulfilments: list[Fulfilment],
    lines: dict[int, OrderLine],
    events: EventRecorder,
) -> None:
    """With the channel's `capture_on_shipment`, a shipped (or picked-up) fulfilment asks the
    adapter to capture its share: its units at their prices, plus the shipping with the last
    one. Never more than is authorized and not yet captured."""
    if not order.channel.capture_on_shipment:
        return
    share = sum(
        (lines[fl.order_line_id].unit_price * fl.quantity for fl in fulfilment.lines.all()),
        Decimal("0"),
    )
    still_open = (*ACTIVE_FULFILMENT_STATES, FulfilmentState.READY_FOR_PICKUP)
    others_open = any(f.pk != fulfilment.pk and f.state in still_open for f in fulfilments)
    if not others_open:
        share += order.shipping_total
    adapter = adapter_get(order.channel.payment_adapter)
    for payment in payments_lock(order=order):
        part = min(share, payment.capturable)
        if part <= 0:
            continue
        share -= part
        adapter.capture(payment=payment, amount=part, events=events)


def payments_settle_cancellation(*, order: Order, events: EventRecorder) -> None:
    """After cancelled units: refund what was captured above the order's new total (all of
    it for a cancelled order) and, for a cancelled order, void what is authorized and not
    captured."""
    payments = payments_lock(order=order)
    if not payments:
        return
    owed = ZERO if order.state == OrderState.CANCELLED else order.total
    kept = sum((p.captured - p.refunded - p.refund_pending for p in payments), ZERO)
    excess = kept - owed
    if excess > 0:
        refund_issue(
            order=order,
            payments=payments,
            amount=excess,
            reason="cancelled before shipment",
            source="cancellation",
            actor=events.actor,
            events=events,
        )
    if order.state == OrderState.CANCELLED:
        adapter = adapter_get(order.channel.payment_adapter)
        for payment in payments:
            if payment.capturable > 0:
                adapter.void(payment=payment, events=events)
    order.payment_status = payment_state(payments)
