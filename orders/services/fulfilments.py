"""Location-side lifecycle of fulfilments: accept, pick, pack, ship / pickup, reject, short-pick.

Every call locks the order first (orders.locks), so a rejection and a staff reroute of the
same order run one after the other and never double-reserve or drop stock.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from django.conf import settings
from django.db import transaction

from inventory.services import stock_adjust, stock_consume, stock_reservation_reduce

from .. import event_types as et
from ..errors import (
    FulfilmentNotFound,
    InvalidQuantity,
    ReasonRequired,
    TrackingRequired,
    TransitionNotAllowed,
)
from ..events import EventRecorder
from ..locks import order_lock, stock_levels_lock_for_reroute
from ..models import Fulfilment, FulfilmentLine, FulfilmentState, Order
from ..payments.settlement import payments_capture_on_handover
from .allocation import order_save_changes
from .common import fulfilment_fire, load_order
from .reroute import order_units_reroute

SIMPLE_ACTIONS = {
    "accept": "accept",
    "start_picking": "start_picking",
    "pack": "pack",
    "ship": "ship",
    "ready_for_pickup": "ready_for_pickup",
    "picked_up": "pick_up",
}


def _find(fulfilments: list[Fulfilment], fulfilment_id: int) -> Fulfilment:
    for fulfilment in fulfilments:
        if fulfilment.pk == fulfilment_id:
            return fulfilment
    raise FulfilmentNotFound(details={"fulfilment_id": fulfilment_id})


def shipment_tracking_set(
    fulfilment: Fulfilment, *, carrier: str, tracking_number: str, tracking_url: str
) -> None:
    """Record how a parcel travels. Carrier and tracking number are required unless the
    location delivers itself; without a tracking URL one is built from the carrier's
    template when settings list it."""
    carrier, tracking_number, tracking_url = (
        carrier.strip(),
        tracking_number.strip(),
        tracking_url.strip(),
    )
    if not fulfilment.location.own_delivery and not (carrier and tracking_number):
        raise TrackingRequired(
            details={
                "fulfilment_id": fulfilment.pk,
                "missing": [
                    name
                    for name, value in (("carrier", carrier), ("tracking_number", tracking_number))
                    if not value
                ],
            }
        )
    template = settings.OMS_CARRIER_TRACKING_URLS.get(carrier.lower())
    if not tracking_url and template and tracking_number:
        tracking_url = template.replace("{tracking_number}", quote(tracking_number, safe=""))
    fulfilment.carrier = carrier
    fulfilment.tracking_number = tracking_number
    fulfilment.tracking_url = tracking_url


def _order_id_of(fulfilment_id: int) -> int:
    order_id = (
        Fulfilment.objects.filter(pk=fulfilment_id).values_list("order_id", flat=True).first()
    )
    if order_id is None:
        raise FulfilmentNotFound(details={"fulfilment_id": fulfilment_id})
    return order_id


def fulfilment_transition(
    *,
    fulfilment_id: int,
    action: str,
    actor: str,
    carrier: str = "",
    tracking_number: str = "",
    tracking_url: str = "",
) -> Fulfilment:
    """Move a fulfilment one step: accept, start_picking, pack, ship, ready_for_pickup,
    picked_up. Shipping and pickup consume the reserved stock (on hand and reserved go down).
    Shipping a parcel needs the carrier and tracking number (TrackingRequired), unless the
    location delivers with its own drivers; the tracking URL is the one given or built from
    the carrier's template (settings.OMS_CARRIER_TRACKING_URLS)."""
    method = SIMPLE_ACTIONS.get(action)
    if method is None:
        raise ValueError(f"Unknown action {action!r}")
    with transaction.atomic():
        order = order_lock(order_id=_order_id_of(fulfilment_id))
        lines, fulfilments = load_order(order)
        fulfilment = _find(fulfilments, fulfilment_id)
        fulfilment_fire(fulfilment, method)
        if action == "ship":
            shipment_tracking_set(
                fulfilment,
                carrier=carrier,
                tracking_number=tracking_number,
                tracking_url=tracking_url,
            )
        fulfilment.save()
        if action in ("ship", "picked_up"):
            stock_consume(
                reservation_ids=[
                    fl.reservation_id for fl in fulfilment.lines.all() if fl.reservation_id
                ],
                actor=actor,
                reference=f"order:{order.pk}/fulfilment:{fulfilment.pk}",
            )
        events = EventRecorder(order, actor)
        location = fulfilment.location.code
        if action == "ship":
            events.add(
                et.FulfilmentShipped(
                    fulfilment_id=fulfilment.pk,
                    location=location,
                    carrier=fulfilment.carrier,
                    tracking_number=fulfilment.tracking_number,
                    tracking_url=fulfilment.tracking_url,
                )
            )
        else:
            step = et.FULFILMENT_STEP_EVENTS[action]
            events.add(step(fulfilment_id=fulfilment.pk, location=location))
        if action in ("ship", "picked_up"):
            payments_capture_on_handover(
                order=order,
                fulfilment=fulfilment,
                fulfilments=fulfilments,
                lines=lines,
                events=events,
            )
        order_save_changes(order, lines, fulfilments, events)
        return fulfilment


def fulfilment_reject(*, fulfilment_id: int, reason: str, actor: str) -> Fulfilment:
    """The location cannot fulfil: reroute its lines elsewhere, never back to it.

    The new plan is reserved in this transaction; the rejected location's units are released
    in the same transaction, so no commit ever shows the order without its stock held (or
    without the remainder recorded as waiting, when nothing else can serve it).
    """
    if not reason.strip():
        raise ReasonRequired()
    with transaction.atomic():
        order = order_lock(order_id=_order_id_of(fulfilment_id))
        lines, fulfilments = load_order(order)
        fulfilment = _find(fulfilments, fulfilment_id)
        fulfilment_fire(fulfilment, "reject")
        fulfilment.rejection_reason = reason
        fulfilment.save()
        events = EventRecorder(order, actor)
        events.add(
            et.FulfilmentRejected(
                fulfilment_id=fulfilment.pk, location=fulfilment.location.code, reason=reason
            )
        )
        _exclude(order, fulfilment.location_id)
        order_units_reroute(
            order=order,
            lines=lines,
            fulfilments=fulfilments,
            events=events,
            actor=actor,
            trigger="rejection",
            release=[fulfilment],
            refuse_incomplete=False,
        )
        order_save_changes(order, lines, fulfilments, events)
        return fulfilment


def fulfilment_short_pick(
    *, fulfilment_id: int, missing: Mapping[int, int], actor: str, adjust_stock: bool = True
) -> Fulfilment:
    """The location found fewer units than reserved: `missing` maps order line id -> units.

    The missing units are released (and, by default, written off the location's on hand as
    a count correction, since they are not there) and rerouted to other locations.
    """
    with transaction.atomic():
        order = order_lock(order_id=_order_id_of(fulfilment_id))
        lines, fulfilments = load_order(order)
        fulfilment = _find(fulfilments, fulfilment_id)
        if fulfilment.state not in (
            FulfilmentState.CREATED,
            FulfilmentState.ACCEPTED,
            FulfilmentState.PICKING,
        ):
            raise TransitionNotAllowed(
                details={
                    "fulfilment_id": fulfilment.pk,
                    "state": fulfilment.state,
                    "action": "short_pick",
                }
            )
        by_line = {fl.order_line_id: fl for fl in fulfilment.lines.all()}
        for line_id, qty in missing.items():
            fl = by_line.get(line_id)
            if fl is None or qty <= 0 or qty > fl.quantity:
                raise InvalidQuantity(details={"order_line_id": line_id, "missing": qty})
        stock_levels_lock_for_reroute(
            order=order,
            product_ids=[line.product_id for line in lines.values()],
            releasing=[fulfilment],
        )
        reference = f"order:{order.pk}/fulfilment:{fulfilment.pk}"
        for line_id, qty in missing.items():
            fl = by_line[line_id]
            if fl.reservation_id is not None:  # a line without one holds nothing to give back
                stock_reservation_reduce(
                    reservation_id=fl.reservation_id,
                    by=qty,
                    actor=actor,
                    reason="short pick",
                    reference=reference,
                )
            if adjust_stock:
                stock_adjust(
                    location=fulfilment.location,
                    product=lines[line_id].product,
                    delta=-qty,
                    reason="short pick: units not found",
                    actor=actor,
                    reference=reference,
                )
            if qty == fl.quantity:
                fl.delete()
            else:
                FulfilmentLine.objects.filter(pk=fl.pk).update(quantity=fl.quantity - qty)
        remaining = FulfilmentLine.objects.filter(fulfilment=fulfilment).exists()
        events = EventRecorder(order, actor)
        events.add(
            et.FulfilmentShortPicked(
                fulfilment_id=fulfilment.pk,
                location=fulfilment.location.code,
                missing=[
                    {"line": lines[k].line_number, "sku": lines[k].sku, "quantity": v}
                    for k, v in missing.items()
                ],
            )
        )
        if not remaining:
            fulfilment_fire(fulfilment, "cancel")
            fulfilment.save()
        # The pickup store stays the pickup point: excluding it would leave a click & collect
        # order unroutable for good (no transfer in, no restock of the store would help).
        if fulfilment.location_id != order.pickup_location_id:
            _exclude(order, fulfilment.location_id)
        lines, fulfilments = load_order(order)
        order_units_reroute(
            order=order,
            lines=lines,
            fulfilments=fulfilments,
            events=events,
            actor=actor,
            trigger="short_pick",
            release=[],
            refuse_incomplete=False,
        )
        order_save_changes(order, lines, fulfilments, events)
        return fulfilment


def _exclude(order: Order, location_id: int) -> None:
    excluded = set(order.excluded_location_ids or ())
    excluded.add(location_id)
    order.excluded_location_ids = sorted(excluded)
