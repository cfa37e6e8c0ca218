"""An order's money figures, recomputed after every change of its open units."""

from __future__ import annotations

from decimal import Decimal

from .. import event_types as et
from ..events import EventRecorder
from ..models import Order, OrderLine


def order_totals_recompute(
    order: Order, lines: dict[int, OrderLine], events: EventRecorder
) -> None:
    """Subtotal = open units x unit price over the lines (cancelled units no longer count;
    shipped ones do); total = subtotal + shipping - the order-level discount's share of the
    open units (pro rata by value). The change is an event, so the shop can refund or charge
    the difference."""
    subtotal = sum(
        (line.unit_price * line.open_quantity for line in lines.values()), Decimal("0")
    ).quantize(Decimal("0.01"))
    total = subtotal + order.shipping_total - discount_share(order, lines, subtotal)
    if (subtotal, total) == (order.subtotal, order.total):
        return
    events.add(
        et.TotalsChanged(
            currency=order.currency,
            before={"subtotal": str(order.subtotal), "total": str(order.total)},
            after={"subtotal": str(subtotal), "total": str(total)},
            difference=str(total - order.total),
        )
    )
    order.subtotal, order.total = subtotal, total


def discount_share(order: Order, lines: dict[int, OrderLine], value: Decimal) -> Decimal:
    """The part of the order-level discount that goods worth `value` carry (pro rata over
    the value of every line as ordered, cancelled units included)."""
    if not order.discount_total:
        return Decimal("0")
    gross = sum((line.unit_price * line.quantity for line in lines.values()), Decimal("0"))
    if gross <= 0:
        return Decimal("0")
    return (order.discount_total * value / gross).quantize(Decimal("0.01"))
