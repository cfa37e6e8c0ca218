"""Order intake: validate, route, reserve and record an order in one short transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from inventory.errors import InsufficientStock
from inventory.models import Location
from inventory.services import stock_release
from oms.db import violates_constraint
from oms.errors import OMSError
from oms.models import Channel

from .. import event_types as et
from ..errors import (
    NOT_ROUTABLE_MESSAGE,
    DuplicateOrder,
    HoldNotActive,
    HoldNotFound,
    InvalidPickupLocation,
)
from ..events import EventRecorder
from ..locks import stock_levels_lock
from ..metrics import ORDERS_PLACED, ORDERS_REFUSED
from ..models import CheckoutHold, DeliveryType, Order, OrderLine, OrderState, PaymentStatus
from ..payments.services import intake_payment
from ..waiting_wake import waiting_order_wake
from .allocation import RoutingOutcome, allocate
from .intake_rows import order_rows_create
from .waiting_limit import waiting_supply_admits


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int
    unit_price: Decimal
    name: str = ""


@dataclass(frozen=True)
class OrderInput:
    external_reference: str
    currency: str
    lines: tuple[LineInput, ...]
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any] = field(default_factory=dict)
    customer_email: str = ""
    customer_name: str = ""
    customer_phone: str = ""
    delivery_type: str = DeliveryType.SHIP
    pickup_location_code: str | None = None
    shipping_total: Decimal = Decimal("0")
    discount_total: Decimal = Decimal("0")
    payment_status: str = PaymentStatus.PENDING
    payment_provider: str = ""
    payment_reference: str = ""
    priority: int = 0
    hold_token: str | None = None


def _pickup_location(channel: Channel, code: str | None) -> Location:
    location = (
        Location.objects.filter(code=code or "", channels=channel, active=True, click_collect=True)
        .only("pk", "code", "country", "latitude", "longitude")
        .first()
    )
    if location is None:
        raise InvalidPickupLocation(details={"pickup_location": code})
    return location


def _consume_hold(channel: Channel, token: str, skus: set[str], actor: str) -> CheckoutHold:
    """Lock the hold and give its units back inside this transaction: the order's own
    reservation, made later in the same transaction, is the first to see them.

    Release-then-reserve would lock stock levels out of pk order, so the levels the order
    may touch are locked up front, in pk order (as reroutes do)."""
    hold = CheckoutHold.objects.select_for_update().filter(channel=channel, token=token).first()
    if hold is None:
        raise HoldNotFound(details={"hold": token})
    if hold.status != CheckoutHold.Status.ACTIVE or hold.expires_at <= timezone.now():
        raise HoldNotActive(details={"hold": token, "status": hold.status})
    from inventory.models import Reservation

    ids = list(
        Reservation.objects.filter(
            holder=hold.holder, status=Reservation.Status.ACTIVE
        ).values_list("pk", flat=True)
    )
    stock_levels_lock(channel_id=channel.pk, products=Q(product__sku__in=skus), reservation_ids=ids)
    stock_release(reservation_ids=ids, actor=actor, reason="checkout hold consumed by order")
    hold.status = CheckoutHold.Status.CONSUMED
    return hold


@dataclass(frozen=True)
class PlacedOrder:
    """A just-placed order with the lines and routing outcome intake created for it."""

    order: Order
    lines: list[OrderLine]
    outcome: RoutingOutcome


def order_create(*, channel: Channel, data: OrderInput, actor: str) -> Order:
    """Place an order (see order_place) and return it."""
    return order_place(channel=channel, data=data, actor=actor).order


def order_place(*, channel: Channel, data: OrderInput, actor: str) -> PlacedOrder:
    """Place an order: route it with the active strategy and hold its stock, or refuse it
    (409 out_of_stock, per line) or park it in the waiting room, by the channel's policy.

    One transaction; the reservation is its last hot step. A bounded number of queries
    (asserted in tests/integration/test_order_intake.py).
    """
    try:
        try:
            # No savepoint when the caller (the idempotent API view) already opened the
            # transaction: an error aborts the whole request anyway, and it saves two queries.
            with transaction.atomic(savepoint=False):
                placed = _order_create(channel=channel, data=data, actor=actor)
        except IntegrityError as exc:
            if violates_constraint(exc, Order, "order_reference_unique_per_channel"):
                raise DuplicateOrder(details={"external_reference": data.external_reference})
            raise
    except OMSError as exc:
        ORDERS_REFUSED.labels(channel=channel.code, code=exc.code).inc()
        raise
    # Counted once the order is really there (the caller's transaction may still roll back).
    counter = ORDERS_PLACED.labels(channel=channel.code, state=placed.order.state)
    transaction.on_commit(counter.inc)
    return placed


def _order_create(*, channel: Channel, data: OrderInput, actor: str) -> PlacedOrder:
    pickup = None
    if data.delivery_type == DeliveryType.CLICK_COLLECT:
        pickup = _pickup_location(channel, data.pickup_location_code)
    hold = (
        _consume_hold(channel, data.hold_token, {line.sku for line in data.lines}, actor)
        if data.hold_token
        else None
    )

    address = data.shipping_address
    if pickup is not None:
        country, lat, lon = pickup.country, pickup.latitude, pickup.longitude
    else:
        country = address.get("country", "")
        lat, lon = address.get("latitude"), address.get("longitude")
    subtotal = sum((line.unit_price * line.quantity for line in data.lines), Decimal("0"))
    order = Order(
        channel=channel,
        external_reference=data.external_reference,
        customer_email=data.customer_email,
        customer_name=data.customer_name,
        customer_phone=data.customer_phone,
        billing_address=data.billing_address,
        shipping_address=address,
        shipping_country=country,
        shipping_latitude=lat,
        shipping_longitude=lon,
        delivery_type=data.delivery_type,
        pickup_location=pickup,
        currency=data.currency,
        subtotal=subtotal,
        shipping_total=data.shipping_total,
        discount_total=data.discount_total,
        total=subtotal + data.shipping_total - data.discount_total,
        payment_status=data.payment_status,
        priority=data.priority,
    )
    lines = order_rows_create(
        order=order,
        lines=data.lines,
        payment=intake_payment(
            total=order.total,
            status=data.payment_status,
            provider=data.payment_provider,
            reference=data.payment_reference,
        ),
        actor=actor,
    )
    return _route_new_order(order=order, lines=lines, actor=actor, hold=hold)


def _route_new_order(
    *, order: Order, lines: list[OrderLine], actor: str, hold: CheckoutHold | None
) -> PlacedOrder:
    by_id = {line.pk: line for line in lines}
    events = EventRecorder(order, actor)
    events.add(
        et.OrderPlaced(
            lines=[
                {"line": ln.line_number, "sku": ln.sku, "quantity": ln.quantity} for ln in lines
            ],
            delivery_type=order.delivery_type,
            total=str(order.total),
            currency=order.currency,
        )
    )
    if hold is not None:
        hold.order = order
        hold.save(update_fields=["status", "order"])
        events.add(et.CheckoutHoldConsumed(hold=str(hold.token)))
    outcome = allocate(
        order=order,
        lines=by_id,
        quantities={line.pk: line.quantity for line in lines},
        events=events,
        actor=actor,
        trigger="intake",
        require_complete=True,
    )
    if not outcome.complete:
        channel = order.channel
        if channel.unroutable_policy != Channel.UnroutablePolicy.WAIT or (
            channel.waiting_limit == Channel.WaitingLimit.INBOUND_SUPPLY
            and not waiting_supply_admits(channel=channel, units=_units_by_product(lines))
        ):
            raise InsufficientStock(_short_lines(outcome, by_id), NOT_ROUTABLE_MESSAGE)
        order.park()  # born routed (the field's default, saved above): it waits instead
        order.waiting_since = timezone.now()
        events.add(
            et.OrderWaiting(lines=_short_lines(outcome, by_id), reasons=list(outcome.plan.reasons))
        )
    else:
        events.add(
            et.OrderRouted(strategy=order.strategy_name, fulfilments=len(outcome.fulfilments))
        )
    events.flush(
        order_fields=("state", "waiting_since", "strategy_version", "strategy_name", "event_count")
    )
    if order.state == OrderState.WAITING:
        waiting_order_wake(order_id=order.pk)
    return PlacedOrder(order=order, lines=lines, outcome=outcome)


def order_prime_for_output(placed: PlacedOrder) -> Order:
    """Fill a just-created order's related-object caches with what intake already holds, so
    the API can answer without reading it back (about a quarter of intake's cost).

    Only for serialising: the primed relations are lists, not querysets.
    """
    from inventory.models import Location

    order, lines, outcome = placed.order, placed.lines, placed.outcome
    by_id = {line.pk: line for line in lines}

    def location(pk: int) -> Location:
        row = outcome.snapshot.locations.get(pk)
        return Location(pk=pk, code=row.code if row else str(pk))

    for fulfilment in outcome.fulfilments:
        planned = outcome.fulfilment_lines[fulfilment.pk]
        for fl in planned:
            fl.order_line = by_id[fl.order_line_id]
        fulfilment.location = location(fulfilment.location_id)
        to = fulfilment.transfer_to_id
        fulfilment.transfer_to = location(to) if to is not None else None
        # Django's prefetch cache: not part of the model's declared attributes.
        fulfilment._prefetched_objects_cache = {"lines": planned}  # type: ignore[attr-defined]
    order._prefetched_objects_cache = {  # type: ignore[attr-defined]
        "lines": lines,
        "fulfilments": list(outcome.fulfilments),
    }
    return order


def _units_by_product(lines: list[OrderLine]) -> dict[int, int]:
    units: dict[int, int] = {}
    for line in lines:
        units[line.product_id] = units.get(line.product_id, 0) + line.quantity
    return units


def _short_lines(outcome: Any, lines: dict[int, OrderLine]) -> list[dict]:
    plan = outcome.plan
    short = []
    atp_total: dict[str, int] = {}
    for candidate in outcome.snapshot.candidates:
        for sku, qty in candidate.atp.items():
            atp_total[sku] = atp_total.get(sku, 0) + qty
    unallocated = (
        plan.unallocated
        if plan.unallocated
        else {str(pk): line.quantity for pk, line in lines.items()}
    )
    for line_id, qty in sorted(unallocated.items(), key=lambda kv: int(kv[0])):
        line = lines[int(line_id)]
        short.append(
            {
                "line": line.line_number,
                "sku": line.sku,
                "requested": line.quantity,
                "missing": qty,
                "available": atp_total.get(line.sku, 0),
            }
        )
    return short
