"""Staff and shop edits of a whole order after placement: addresses and customer, delivery
option, cancellation, staff reroute, notes. Line quantities live in `lines`, totals in
`totals`, the waiting room in `waiting_room`.

Each edit: locks the order, checks the caller's version (optimistic concurrency: a stale
version is refused, never silently overwritten), re-validates, reroutes what it must, and
writes an event with before/after values (the audit trail). Edits touching goods that have
already shipped or are at the pickup counter are refused.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from inventory.models import Location
from oms.errors import PreconditionFailed

from .. import event_types as et
from ..addresses import shipping_address_validate, shipping_coordinates
from ..errors import (
    InvalidDeliveryType,
    InvalidPickupLocation,
    NoteEmpty,
    ShippingAddressRequired,
)
from ..events import EventRecorder
from ..locks import order_lock
from ..models import (
    ACTIVE_FULFILMENT_STATES,
    HANDED_OVER_STATES,
    DeliveryType,
    Fulfilment,
    Order,
    OrderLine,
    OrderState,
)
from ..payments.settlement import payments_settle_cancellation
from ..rules import (
    order_address_rule,
    order_cancel_rule,
    order_delivery_rule,
    order_open_rule,
)
from .allocation import order_save_changes, release_fulfilments
from .common import fulfilment_fire, load_order
from .reroute import order_units_reroute
from .totals import order_totals_recompute

CUSTOMER_FIELDS = ("customer_email", "customer_name", "customer_phone")


def order_lock_for_edit(
    *, order_id: int, channel_id: int | None, expected_version: int | None
) -> Order:
    """Lock the order for an edit; refuse a stale version or a closed order."""
    order = order_lock(order_id=order_id, channel_id=channel_id)
    if expected_version is not None and expected_version != order.version:
        raise PreconditionFailed(
            "The order was changed by someone else; reload it and try again.",
            details={"current_version": order.version, "your_version": expected_version},
        )
    order_open_rule(order=order).require()
    return order


def handed_over(fulfilments: list[Fulfilment]) -> list[Fulfilment]:
    return [f for f in fulfilments if f.state in HANDED_OVER_STATES]


def reroutable(fulfilments: list[Fulfilment]) -> list[Fulfilment]:
    return [f for f in fulfilments if f.state in ACTIVE_FULFILMENT_STATES]


def details_apply(
    order: Order,
    lines: dict[int, OrderLine],
    fulfilments: list[Fulfilment],
    events: EventRecorder,
    actor: str,
    *,
    shipping_address: dict[str, Any] | None = None,
    billing_address: dict[str, Any] | None = None,
    customer: dict[str, str] | None = None,
) -> None:
    """Change addresses and customer details of the locked order (saved by the caller). A new
    shipping country reroutes the order (refused once something has shipped); a new street
    does not."""
    if shipping_address is not None and shipping_address != order.shipping_address:
        order_address_rule(order=order, fulfilments=fulfilments).require()
        before = order.shipping_address
        country_changed = False
        if order.delivery_type == DeliveryType.SHIP:
            # A new place never keeps the old place's coordinates (see shipping_coordinates).
            shipping_address, _source = shipping_coordinates(
                before=before, after=shipping_address_validate(shipping_address)
            )
            country_changed = shipping_address["country"] != order.shipping_country
            order.shipping_country = shipping_address["country"]
            order.shipping_latitude = shipping_address.get("latitude")
            order.shipping_longitude = shipping_address.get("longitude")
        order.shipping_address = shipping_address
        events.add(et.AddressChanged(kind="shipping", before=before, after=shipping_address))
        if country_changed:
            order_units_reroute(
                order=order,
                lines=lines,
                fulfilments=fulfilments,
                events=events,
                actor=actor,
                trigger="address_changed",
                release=reroutable(fulfilments),
                # A waiting order could not hold every unit before either: it takes what it
                # can and keeps waiting (refusing would freeze its address until stock comes).
                refuse_incomplete=order.state != OrderState.WAITING,
            )
    if billing_address is not None and billing_address != order.billing_address:
        events.add(
            et.AddressChanged(kind="billing", before=order.billing_address, after=billing_address)
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
            events.add(et.CustomerChanged(before=before, after=after))


def delivery_apply(
    order: Order,
    lines: dict[int, OrderLine],
    fulfilments: list[Fulfilment],
    events: EventRecorder,
    actor: str,
    *,
    delivery_type: str,
    pickup_location_code: str | None = None,
    shipping_address: dict[str, Any] | None = None,
) -> None:
    """Switch ship <-> click & collect (or the pickup store) on the locked order (saved by the
    caller): reroutes every open unit; refused when the new option cannot be served or goods
    were handed over."""
    order_delivery_rule(order=order, fulfilments=fulfilments).require()
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
            raise ShippingAddressRequired()
        address = shipping_address_validate(address)
        if shipping_address:
            address, _source = shipping_coordinates(before=order.shipping_address, after=address)
        order.pickup_location = None
        order.shipping_address = address
        order.shipping_country = address["country"]
        order.shipping_latitude = address.get("latitude")
        order.shipping_longitude = address.get("longitude")
    else:
        raise InvalidDeliveryType()
    order.delivery_type = delivery_type
    events.add(
        et.DeliveryOptionChanged(
            before=before,
            after={
                "delivery_type": delivery_type,
                "pickup_location": order.pickup_location.code if order.pickup_location else None,
            },
        )
    )
    # Pickup fences exclude by location: a new option deserves a fresh look at all of them.
    order_units_reroute(
        order=order,
        lines=lines,
        fulfilments=fulfilments,
        events=events,
        actor=actor,
        trigger="delivery_changed",
        release=reroutable(fulfilments),
        # A waiting order could not hold every unit before either: it takes what it
        # can and keeps waiting (refusing would freeze its address until stock comes).
        refuse_incomplete=order.state != OrderState.WAITING,
    )


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
        order = order_lock_for_edit(
            order_id=order_id, channel_id=channel_id, expected_version=expected_version
        )
        lines, fulfilments = load_order(order)
        order_cancel_rule(order=order, fulfilments=fulfilments).require()
        events = EventRecorder(order, actor)
        cancelled = reroutable(fulfilments)
        for fulfilment in cancelled:
            fulfilment_fire(fulfilment, "cancel")
            fulfilment.save()
        release_fulfilments(cancelled, actor=actor, reason="order cancelled")
        OrderLine.objects.filter(order=order).update(cancelled_quantity=F("quantity"))
        for line in lines.values():
            line.cancelled_quantity = line.quantity
        order.cancel()
        order.cancel_reason = reason
        events.add(et.OrderCancelled(reason=reason))
        order_totals_recompute(order, lines, events)
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
    reason: str = "",
) -> Order:
    """Staff reroute: route every unit not yet handed over again, excluding locations and/or
    forcing one, for `reason` (in the timeline). Refused (nothing changes) when no plan can
    hold every unit. A plan equal to the current one keeps every fulfilment as it is (no
    cancel and re-create); the timeline says so (internal `reroute_unchanged`)."""
    with transaction.atomic():
        order = order_lock_for_edit(
            order_id=order_id, channel_id=channel_id, expected_version=expected_version
        )
        lines, fulfilments = load_order(order)
        events = EventRecorder(order, actor)
        excluded = set(order.excluded_location_ids or ()) | set(exclude_location_ids or ())
        if force_location_id is not None:
            excluded.discard(force_location_id)
        order.excluded_location_ids = sorted(excluded)
        outcome = order_units_reroute(
            order=order,
            lines=lines,
            fulfilments=fulfilments,
            events=events,
            actor=actor,
            trigger="staff",
            release=reroutable(fulfilments),
            # A waiting order could not hold every unit before either: it takes what it
            # can and keeps waiting (refusing would freeze its address until stock comes).
            refuse_incomplete=order.state != OrderState.WAITING,
            forced_location_id=force_location_id,
            excluded=list(exclude_location_ids or ()),
            reason=reason,
        )
        if outcome is None or outcome.unchanged:
            events.add(
                et.RerouteUnchanged(
                    reason=reason,
                    excluded=sorted(exclude_location_ids or ()),
                    forced=force_location_id,
                )
            )
        return order_save_changes(order, lines, fulfilments, events)


def order_add_note(*, order_id: int, text: str, actor: str) -> Order:
    """An internal note on the order's timeline (staff only)."""
    if not text.strip():
        raise NoteEmpty()
    with transaction.atomic():
        order = order_lock(order_id=order_id)
        events = EventRecorder(order, actor)
        events.add(et.NoteAdded(text=text.strip()))
        order.save(update_fields=["event_count"])
        events.flush()
        return order
