"""Staff and shop edits after placement, and the waiting room.

Each edit: locks the order, checks the caller's version (optimistic concurrency: a stale
version is refused, never silently overwritten), re-validates, reroutes what it must, and
writes an event with before/after values (the audit trail). Edits touching goods that have
already shipped or are at the pickup counter are refused.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory.models import Location
from inventory.services import stock_reservation_reduce
from oms.errors import PreconditionFailed
from oms.models import Channel

from ..errors import (
    AlreadyHandedOver,
    InvalidPickupLocation,
    InvalidQuantity,
    NotRoutable,
    OrderClosed,
    OrderLineNotFound,
)
from ..events import EventRecorder, EventType
from ..locks import order_lock, stock_levels_lock_for_reroute
from ..models import (
    ACTIVE_FULFILMENT_STATES,
    HANDED_OVER_STATES,
    DeliveryType,
    Fulfilment,
    FulfilmentLine,
    Order,
    OrderLine,
    OrderState,
)
from ..payments.settlement import payments_settle_cancellation
from .allocation import (
    allocate,
    allocate_uncovered,
    order_save_changes,
    release_fulfilments,
    unallocated_quantities,
)
from .fulfilments import _transition, load_order

CUSTOMER_FIELDS = ("customer_email", "customer_name", "customer_phone")


def _begin(order_id: int, channel_id: int | None, expected_version: int | None) -> Order:
    order = order_lock(order_id=order_id, channel_id=channel_id)
    if expected_version is not None and expected_version != order.version:
        raise PreconditionFailed(
            "The order was changed by someone else; reload it and try again.",
            details={"current_version": order.version, "your_version": expected_version},
        )
    if order.state in (OrderState.CANCELLED, OrderState.COMPLETED):
        raise OrderClosed(details={"state": order.state})
    return order


def _handed_over(fulfilments: list[Fulfilment]) -> list[Fulfilment]:
    return [f for f in fulfilments if f.state in HANDED_OVER_STATES]


def _reroute_all(
    order: Order,
    lines: dict[int, OrderLine],
    fulfilments: list[Fulfilment],
    events: EventRecorder,
    actor: str,
    *,
    trigger: str,
    dissolve: list[Fulfilment],
    forced_location_id: int | None = None,
) -> None:
    """Cancel `dissolve`, release its stock, route every uncovered unit again; all or nothing.

    Runs inside the edit's transaction: if the new plan cannot hold every unit, NotRoutable
    rolls the whole edit back and the old reservations stay exactly as they were. A waiting
    order could not hold every unit before the edit either: it takes what it can get and
    keeps waiting for the rest (refusing would make its address or delivery option
    uneditable until stock arrives).
    """
    waiting = order.state == OrderState.WAITING
    if dissolve:
        stock_levels_lock_for_reroute(
            order=order,
            product_ids=[line.product_id for line in lines.values()],
            releasing=dissolve,
            extra_location_ids=[forced_location_id],
        )
    for fulfilment in dissolve:
        _transition(fulfilment, "cancel")
        fulfilment.save()
        events.add(
            EventType.FULFILMENT_CANCELLED,
            fulfilment_id=fulfilment.pk,
            location=fulfilment.location.code,
            reason=trigger,
        )
    release_fulfilments(dissolve, actor=actor, reason=trigger)
    outcome, uncovered = allocate_uncovered(
        order=order,
        lines=lines,
        fulfilments=fulfilments,
        events=events,
        actor=actor,
        trigger=trigger,
        require_complete=not waiting,
        forced_location_id=forced_location_id,
    )
    if outcome is None:
        return
    if not outcome.complete and not waiting:
        short = [
            {"line": lines[int(k)].line_number, "sku": lines[int(k)].sku, "missing": v}
            for k, v in (
                outcome.plan.unallocated or {str(k): v for k, v in uncovered.items()}
            ).items()
        ]
        raise NotRoutable(
            "The order cannot be routed this way; nothing was changed.",
            details={"lines": short, "reasons": list(outcome.plan.reasons)},
        )
    events.add(EventType.REROUTED, trigger=trigger, fulfilments=[f.pk for f in outcome.fulfilments])


def order_lock_stock_for_edits(*, order_id: int, channel_id: int | None = None) -> None:
    """Before several stock-touching edits in one transaction (a PATCH that lowers one line
    and raises another, or changes lines and the delivery option): lock the order, then every
    stock level those edits may release or reserve, in pk order. Each edit alone releases
    before it reserves; two in a row would otherwise lock levels out of pk order."""
    order = order_lock(order_id=order_id, channel_id=channel_id)
    lines, fulfilments = load_order(order)
    stock_levels_lock_for_reroute(
        order=order,
        product_ids=[line.product_id for line in lines.values()],
        releasing=_reroutable(fulfilments),
    )


def _reroutable(fulfilments: list[Fulfilment]) -> list[Fulfilment]:
    return [f for f in fulfilments if f.state in ACTIVE_FULFILMENT_STATES]


def order_update_details(
    *,
    order_id: int,
    actor: str,
    expected_version: int | None,
    channel_id: int | None = None,
    shipping_address: dict[str, Any] | None = None,
    billing_address: dict[str, Any] | None = None,
    customer: dict[str, str] | None = None,
) -> Order:
    """Change addresses and customer details. A new shipping country reroutes the order
    (refused once something has shipped); a new street does not."""
    with transaction.atomic():
        order = _begin(order_id, channel_id, expected_version)
        lines, fulfilments = load_order(order)
        events = EventRecorder(order, actor)
        if shipping_address is not None and shipping_address != order.shipping_address:
            if order.delivery_type == DeliveryType.SHIP and _handed_over(fulfilments):
                raise AlreadyHandedOver("The shipping address cannot change after shipment.")
            before = order.shipping_address
            order.shipping_address = shipping_address
            country_changed = False
            if order.delivery_type == DeliveryType.SHIP:
                country_changed = shipping_address.get("country") != order.shipping_country
                order.shipping_country = shipping_address.get("country", order.shipping_country)
                order.shipping_latitude = shipping_address.get("latitude")
                order.shipping_longitude = shipping_address.get("longitude")
            events.add(
                EventType.ADDRESS_CHANGED, kind="shipping", before=before, after=shipping_address
            )
            if country_changed:
                _reroute_all(
                    order,
                    lines,
                    fulfilments,
                    events,
                    actor,
                    trigger="address_changed",
                    dissolve=_reroutable(fulfilments),
                )
        if billing_address is not None and billing_address != order.billing_address:
            events.add(
                EventType.ADDRESS_CHANGED,
                kind="billing",
                before=order.billing_address,
                after=billing_address,
            )
            order.billing_address = billing_address
        if customer:
            before = {f: getattr(order, f) for f in CUSTOMER_FIELDS}
            for name in CUSTOMER_FIELDS:
                key = name.removeprefix("customer_")
                if key in customer:
                    setattr(order, name, customer[key])
            after = {f: getattr(order, f) for f in CUSTOMER_FIELDS}
            if after != before:
                events.add(EventType.CUSTOMER_CHANGED, before=before, after=after)
        if not events.pending:
            return order
        return order_save_changes(order, lines, fulfilments, events)


def order_change_delivery(
    *,
    order_id: int,
    actor: str,
    expected_version: int | None,
    delivery_type: str,
    pickup_location_code: str | None = None,
    shipping_address: dict[str, Any] | None = None,
    channel_id: int | None = None,
) -> Order:
    """Switch ship <-> click & collect (or the pickup store): reroutes every open unit; refused
    when the new option cannot be served (nothing changes then) or goods were handed over."""
    with transaction.atomic():
        order = _begin(order_id, channel_id, expected_version)
        lines, fulfilments = load_order(order)
        if _handed_over(fulfilments):
            raise AlreadyHandedOver("The delivery option cannot change after handover.")
        before = {
            "delivery_type": order.delivery_type,
            "pickup_location": order.pickup_location.code if order.pickup_location else None,
        }
        if delivery_type == DeliveryType.CLICK_COLLECT:
            store = Location.objects.filter(
                code=pickup_location_code or "",
                channels=order.channel_id,
                active=True,
                click_collect=True,
            ).first()
            if store is None:
                raise InvalidPickupLocation(details={"pickup_location": pickup_location_code})
            order.pickup_location = store
            order.shipping_country = store.country
            order.shipping_latitude, order.shipping_longitude = store.latitude, store.longitude
        elif delivery_type == DeliveryType.SHIP:
            address = shipping_address or order.shipping_address
            if not address.get("country"):
                raise InvalidQuantity(
                    "Shipping needs an address with a country.", code="shipping_address_required"
                )
            order.pickup_location = None
            order.shipping_address = address
            order.shipping_country = address["country"]
            order.shipping_latitude = address.get("latitude")
            order.shipping_longitude = address.get("longitude")
        else:
            raise InvalidQuantity("Unknown delivery type.", code="invalid_delivery_type")
        order.delivery_type = delivery_type
        events = EventRecorder(order, actor)
        events.add(
            EventType.DELIVERY_CHANGED,
            before=before,
            after={
                "delivery_type": delivery_type,
                "pickup_location": order.pickup_location.code if order.pickup_location else None,
            },
        )
        # Pickup fences exclude by location: a new option deserves a fresh look at all of them.
        _reroute_all(
            order,
            lines,
            fulfilments,
            events,
            actor,
            trigger="delivery_changed",
            dissolve=_reroutable(fulfilments),
        )
        return order_save_changes(order, lines, fulfilments, events)


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
    extra units are routed now, or the edit is refused (409 out_of_stock, nothing changed)."""
    with transaction.atomic():
        order = _begin(order_id, channel_id, expected_version)
        lines, fulfilments = load_order(order)
        line = lines.get(line_id)
        if line is None:
            raise OrderLineNotFound(details={"line_id": line_id})
        if quantity < 0 or quantity > 100_000:
            raise InvalidQuantity(details={"quantity": quantity})
        current = line.open_quantity
        events = EventRecorder(order, actor)
        if quantity < current:
            _cancel_units(order, line, fulfilments, current - quantity, actor)
        elif quantity > current:
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
            )
            if not outcome.complete:
                raise NotRoutable(
                    "Not enough stock for the new quantity; nothing was changed.",
                    details={
                        "lines": [
                            {
                                "line": line.line_number,
                                "sku": line.sku,
                                "missing": quantity - current,
                            }
                        ]
                    },
                )
            fulfilments.extend(outcome.fulfilments)
        else:
            return order
        events.add(
            EventType.LINE_QUANTITY_CHANGED,
            line=line.line_number,
            sku=line.sku,
            before=current,
            after=quantity,
        )
        lines, fulfilments = load_order(order)
        return _finish_line_edit(order, lines, fulfilments, events)


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
        order = _begin(order_id, channel_id, expected_version)
        lines, fulfilments = load_order(order)
        line = lines.get(line_id)
        if line is None:
            raise OrderLineNotFound(details={"line_id": line_id})
        units = line.open_quantity if quantity is None else quantity
        if units <= 0 or units > line.open_quantity:
            raise InvalidQuantity(details={"quantity": units, "open": line.open_quantity})
        _cancel_units(order, line, fulfilments, units, actor)
        events = EventRecorder(order, actor)
        events.add(
            EventType.LINE_CANCELLED,
            line=line.line_number,
            sku=line.sku,
            quantity=units,
            reason=reason,
        )
        lines, fulfilments = load_order(order)
        return _finish_line_edit(order, lines, fulfilments, events)


def _recompute_totals(order: Order, lines: dict[int, OrderLine], events: EventRecorder) -> None:
    """Subtotal = open units x unit price over the lines (cancelled units no longer count;
    shipped ones do); total = subtotal + shipping. The change is an event, so the shop can
    refund or charge the difference."""
    subtotal = sum(
        (line.unit_price * line.open_quantity for line in lines.values()), Decimal("0")
    ).quantize(Decimal("0.01"))
    total = subtotal + order.shipping_total
    if (subtotal, total) == (order.subtotal, order.total):
        return
    events.add(
        EventType.TOTALS_CHANGED,
        currency=order.currency,
        before={"subtotal": str(order.subtotal), "total": str(order.total)},
        after={"subtotal": str(subtotal), "total": str(total)},
        difference=str(total - order.total),
    )
    order.subtotal, order.total = subtotal, total


def _finish_line_edit(
    order: Order, lines: dict[int, OrderLine], fulfilments: list[Fulfilment], events: EventRecorder
) -> Order:
    _recompute_totals(order, lines, events)
    if all(line.open_quantity == 0 for line in lines.values()):
        for fulfilment in _reroutable(fulfilments):
            _transition(fulfilment, "cancel")
            fulfilment.save()
        if order.state not in (OrderState.CANCELLED, OrderState.COMPLETED):
            if not _handed_over(fulfilments):
                order.cancel()
                order.cancel_reason = "all lines cancelled"
                events.add(EventType.CANCELLED, reason="all lines cancelled")
    else:
        for fulfilment in _reroutable(fulfilments):
            if not fulfilment.lines.exists():
                _transition(fulfilment, "cancel")
                fulfilment.save()
    payments_settle_cancellation(order=order, events=events)
    return order_save_changes(order, lines, fulfilments, events)


def _cancel_units(
    order: Order, line: OrderLine, fulfilments: list[Fulfilment], units: int, actor: str
) -> None:
    """Cancel units of a line: first the unallocated ones (waiting), then from fulfilments
    that have not been handed over, newest first. Refused if too few are still cancellable."""
    unallocated = unallocated_quantities(order, [line], fulfilments).get(line.pk, 0)
    take_unallocated = min(units, unallocated)
    remaining = units - take_unallocated
    cancellable: list[FulfilmentLine] = []
    for fulfilment in sorted(_reroutable(fulfilments), key=lambda f: -f.pk):
        cancellable.extend(fl for fl in fulfilment.lines.all() if fl.order_line_id == line.pk)
    if remaining > sum(fl.quantity for fl in cancellable):
        raise AlreadyHandedOver(
            "Those units have already shipped or are at the pickup counter.",
            details={
                "line": line.line_number,
                "cancellable": unallocated + sum(fl.quantity for fl in cancellable),
            },
        )
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
        if take == fl.quantity:
            fl.delete()
        else:
            FulfilmentLine.objects.filter(pk=fl.pk).update(quantity=F("quantity") - take)
        remaining -= take
    OrderLine.objects.filter(pk=line.pk).update(cancelled_quantity=F("cancelled_quantity") + units)
    line.cancelled_quantity += units


def order_cancel(
    *,
    order_id: int,
    actor: str,
    expected_version: int | None,
    reason: str = "",
    channel_id: int | None = None,
) -> Order:
    """Cancel the whole order: every reservation is released. Refused once anything shipped
    (cancel the remaining lines instead)."""
    with transaction.atomic():
        order = _begin(order_id, channel_id, expected_version)
        lines, fulfilments = load_order(order)
        if _handed_over(fulfilments):
            raise AlreadyHandedOver("Part of the order has shipped; cancel lines instead.")
        events = EventRecorder(order, actor)
        cancelled = _reroutable(fulfilments)
        for fulfilment in cancelled:
            _transition(fulfilment, "cancel")
            fulfilment.save()
        release_fulfilments(cancelled, actor=actor, reason="order cancelled")
        OrderLine.objects.filter(order=order).update(cancelled_quantity=F("quantity"))
        for line in lines.values():
            line.cancelled_quantity = line.quantity
        order.cancel()
        order.cancel_reason = reason
        events.add(EventType.CANCELLED, reason=reason)
        _recompute_totals(order, lines, events)
        payments_settle_cancellation(order=order, events=events)
        order.version += 1
        order.save()
        events.flush()
        return order


def order_reroute(
    *,
    order_id: int,
    actor: str,
    expected_version: int | None,
    exclude_location_ids: list[int] | None = None,
    force_location_id: int | None = None,
    channel_id: int | None = None,
) -> Order:
    """Staff reroute: route every unit not yet handed over again, excluding locations and/or
    forcing one. Refused (nothing changes) when no plan can hold every unit."""
    with transaction.atomic():
        order = _begin(order_id, channel_id, expected_version)
        lines, fulfilments = load_order(order)
        events = EventRecorder(order, actor)
        excluded = set(order.excluded_location_ids or ()) | set(exclude_location_ids or ())
        if force_location_id is not None:
            excluded.discard(force_location_id)
        order.excluded_location_ids = sorted(excluded)
        events.add(
            EventType.REROUTED,
            trigger="staff",
            excluded=sorted(exclude_location_ids or ()),
            forced=force_location_id,
        )
        _reroute_all(
            order,
            lines,
            fulfilments,
            events,
            actor,
            trigger="staff_reroute",
            dissolve=_reroutable(fulfilments),
            forced_location_id=force_location_id,
        )
        return order_save_changes(order, lines, fulfilments, events)


def order_add_note(*, order_id: int, text: str, actor: str) -> Order:
    """An internal note on the order's timeline (staff only)."""
    if not text.strip():
        raise InvalidQuantity("A note needs text.", code="note_empty")
    with transaction.atomic():
        order = order_lock(order_id=order_id)
        events = EventRecorder(order, actor)
        events.add(EventType.NOTE_ADDED, text=text.strip())
        order.save(update_fields=["event_count"])
        events.flush()
        return order


# --- Waiting room -----------------------------------------------------------------------


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
                    EventType.ESCALATED,
                    waiting_since=order.waiting_since.isoformat() if order.waiting_since else None,
                )
                order.save(update_fields=["escalated_at", "event_count"])
                events.flush()
                escalated += 1
    return escalated
