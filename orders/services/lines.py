"""Line edits after placement: set a line's quantity (more units are routed now, fewer are
released) and cancel (part of) a line; the totals follow."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from inventory.errors import InsufficientStock
from inventory.services import inbound_reservation_reduce, stock_reservation_reduce

from .. import event_types as et
from ..errors import OrderLineNotFound
from ..events import EventRecorder
from ..models import Fulfilment, FulfilmentLine, Order, OrderLine, OrderState
from ..payments.settlement import payments_settle_cancellation
from ..rules import line_cancel_rule, line_quantity_rule
from .allocation import allocate, order_save_changes, unallocated_quantities
from .common import fulfilment_fire, load_order
from .edits import handed_over, order_lock_for_edit, reroutable
from .extension import extendable_fulfilments
from .totals import order_totals_recompute


def order_line_set_quantity(
    *,
    order_id: int,
    line_id: int,
    quantity: int,
    actor: str,
    expected_version: int | None,
    channel_id: int | None = None,
) -> Order:
    """Set a line's quantity. Less: the difference is cancelled (stock released). More: the
    extra units are routed now, or the edit is refused (409 out_of_stock, nothing changed);
    a location already fulfilling the order that has not started picking takes them into
    its fulfilment when it has the stock (orders.services.extension)."""
    with transaction.atomic():
        order = order_lock_for_edit(
            order_id=order_id, channel_id=channel_id, expected_version=expected_version
        )
        lines, fulfilments = load_order(order)
        line = lines.get(line_id)
        if line is None:
            raise OrderLineNotFound(details={"line_id": line_id})
        events = EventRecorder(order, actor)
        if not line_quantity_apply(
            order, lines, fulfilments, events, actor, line=line, quantity=quantity
        ):
            return order
        lines, fulfilments = load_order(order)
        line_edits_settle(order, lines, fulfilments, events)
        return order_save_changes(order, lines, fulfilments, events)


def line_quantity_apply(
    order: Order,
    lines: dict[int, OrderLine],
    fulfilments: list[Fulfilment],
    events: EventRecorder,
    actor: str,
    *,
    line: OrderLine,
    quantity: int,
) -> bool:
    """Set one line's open quantity on the locked order; False when it already is that.
    The caller reloads the fulfilments, settles (`line_edits_settle`) and saves."""
    line_quantity_rule(order=order, line=line, fulfilments=fulfilments, quantity=quantity).require()
    current = line.open_quantity
    if quantity == current:
        return False
    if quantity < current:
        _cancel_units(order, line, fulfilments, current - quantity, actor)
    else:
        line.quantity += quantity - current
        line.save(update_fields=["quantity"])
        outcome = allocate(
            order=order,
            lines=lines,
            quantities={line.pk: quantity - current},
            events=events,
            actor=actor,
            trigger="quantity_changed",
            require_complete=True,
            # Units for a location already sending this order join its parcel if unpicked.
            extend=extendable_fulfilments(fulfilments),
        )
        if not outcome.complete:
            raise InsufficientStock(
                [{"line": line.line_number, "sku": line.sku, "missing": quantity - current}],
                "Not enough stock for the new quantity; nothing was changed.",
            )
        fulfilments.extend(outcome.fulfilments)
    events.add(
        et.LineQuantityChanged(line=line.line_number, sku=line.sku, before=current, after=quantity)
    )
    return True


def order_line_cancel(
    *,
    order_id: int,
    line_id: int,
    actor: str,
    expected_version: int | None,
    quantity: int | None = None,
    reason: str = "",
    channel_id: int | None = None,
) -> Order:
    """Cancel `quantity` open units of a line (all of them by default); stock is released."""
    with transaction.atomic():
        order = order_lock_for_edit(
            order_id=order_id, channel_id=channel_id, expected_version=expected_version
        )
        lines, fulfilments = load_order(order)
        line = lines.get(line_id)
        if line is None:
            raise OrderLineNotFound(details={"line_id": line_id})
        units = line.open_quantity if quantity is None else quantity
        line_cancel_rule(order=order, line=line, fulfilments=fulfilments, units=units).require()
        _cancel_units(order, line, fulfilments, units, actor)
        events = EventRecorder(order, actor)
        events.add(
            et.LineCancelled(line=line.line_number, sku=line.sku, quantity=units, reason=reason)
        )
        lines, fulfilments = load_order(order)
        line_edits_settle(order, lines, fulfilments, events)
        return order_save_changes(order, lines, fulfilments, events)


def line_edits_settle(
    order: Order, lines: dict[int, OrderLine], fulfilments: list[Fulfilment], events: EventRecorder
) -> None:
    """After line edits (once, however many): recompute the totals (one event), cancel
    fulfilments left without lines (and the order when no open unit is left), settle the
    payments. The caller saves."""
    order_totals_recompute(order, lines, events)
    if all(line.open_quantity == 0 for line in lines.values()):
        for fulfilment in reroutable(fulfilments):
            fulfilment_fire(fulfilment, "cancel")
            fulfilment.save()
        if order.state not in (OrderState.CANCELLED, OrderState.COMPLETED):
            if not handed_over(fulfilments):
                order.cancel()
                order.cancel_reason = "all lines cancelled"
                events.add(et.OrderCancelled(reason="all lines cancelled"))
    else:
        for fulfilment in reroutable(fulfilments):
            if not fulfilment.lines.exists():
                fulfilment_fire(fulfilment, "cancel")
                fulfilment.save()
    payments_settle_cancellation(order=order, events=events)


def _cancel_units(
    order: Order, line: OrderLine, fulfilments: list[Fulfilment], units: int, actor: str
) -> None:
    """Cancel units of a line: first the unallocated ones (waiting), then from fulfilments
    that have not been handed over, newest first. Refused if too few are still cancellable."""
    unallocated = unallocated_quantities(order, [line], fulfilments).get(line.pk, 0)
    take_unallocated = min(units, unallocated)
    remaining = units - take_unallocated
    cancellable: list[FulfilmentLine] = []
    for fulfilment in sorted(reroutable(fulfilments), key=lambda f: -f.pk):
        cancellable.extend(fl for fl in fulfilment.lines.all() if fl.order_line_id == line.pk)
    # Units handed over are not cancellable (the same rule the console shows).
    line_cancel_rule(order=order, line=line, fulfilments=fulfilments, units=units).require()
    assert remaining <= sum(fl.quantity for fl in cancellable)
    reference = f"order:{order.pk}/line:{line.pk}"
    for fl in cancellable:
        if remaining == 0:
            break
        take = min(remaining, fl.quantity)
        if fl.reservation_id is not None:  # a line without one holds nothing to give back
            stock_reservation_reduce(
                reservation_id=fl.reservation_id,
                by=take,
                actor=actor,
                reason="line cancelled",
                reference=reference,
            )
        elif fl.inbound_reservation_id is not None:  # a pre-order not received yet
            inbound_reservation_reduce(reservation_id=fl.inbound_reservation_id, by=take)
        if take == fl.quantity:
            fl.delete()
        else:
            FulfilmentLine.objects.filter(pk=fl.pk).update(quantity=F("quantity") - take)
        remaining -= take
    OrderLine.objects.filter(pk=line.pk).update(cancelled_quantity=F("cancelled_quantity") + units)
    line.cancelled_quantity += units
