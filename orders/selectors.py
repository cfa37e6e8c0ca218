"""Order reads."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from oms.models import ApiKey, Channel
from routing.planner import Destination, PlanLine, RoutingRequest
from routing.replay import ReplayOrder

from .errors import FulfilmentNotFound, OrderNotFound
from .models import Fulfilment, FulfilmentLine, FulfilmentState, Order, OrderEvent, OrderLine


def fulfilments_today_by_location(*, location_ids: list[int] | None = None) -> dict[int, int]:
    """location id -> fulfilments created today (UTC day) that still count against capacity
    (all locations, or `location_ids`). One grouped query. Routing reads it for its fence;
    allocation re-counts under a lock before committing (plan_reserve._capacity_holds).
    """
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    live = Fulfilment.objects.filter(created_at__gte=start)
    if location_ids is not None:
        live = live.filter(location_id__in=location_ids)
    rows = (
        live.exclude(state__in=[FulfilmentState.REJECTED, FulfilmentState.CANCELLED])
        .values("location_id")
        .annotate(n=Count("id"))
        .values_list("location_id", "n")
    )
    return dict(rows)


def order_detail_queryset(*, with_products: bool = False) -> QuerySet[Order]:
    lines = OrderLine.objects.select_related("product") if with_products else None
    return Order.objects.select_related("channel", "pickup_location").prefetch_related(
        Prefetch("lines", queryset=lines),
        Prefetch(
            "fulfilments",
            queryset=Fulfilment.objects.select_related("location", "transfer_to").prefetch_related(
                Prefetch("lines", queryset=FulfilmentLine.objects.select_related("order_line"))
            ),
        ),
    )


def order_for_console(*, order_id: int) -> Order | None:
    """Everything the staff console's order page shows, in a fixed number of queries:
    lines (with their products' names), fulfilments with their lines, the timeline (newest
    first), routing decisions."""
    return (
        order_detail_queryset(with_products=True)
        .prefetch_related(
            Prefetch("events", queryset=OrderEvent.objects.order_by("-sequence")),
            "routing_decisions",
        )
        .filter(pk=order_id)
        .first()
    )


def location_order_ids(*, key: ApiKey) -> QuerySet[Fulfilment] | None:
    """For a location system's key, the ids (a subquery) of orders with a fulfilment at its
    location (in any state, also rejected); None for a key that is not bound to a location."""
    if not key.location_id:
        return None
    return Fulfilment.objects.filter(location_id=key.location_id).values("order_id")


def orders_for_key(*, key: ApiKey) -> QuerySet[Order]:
    """The orders an API key sees: its channel's; a location system's key only those of them
    with a fulfilment at its location (`location_order_ids`)."""
    orders = order_detail_queryset().filter(channel_id=key.channel_id)
    at_location = location_order_ids(key=key)
    if at_location is not None:
        orders = orders.filter(pk__in=at_location)
    return orders


def order_get_for_key(*, key: ApiKey, order_id: int) -> Order:
    """One order the key sees (`orders_for_key`), or `OrderNotFound`: another channel's order,
    or for a location system one without a fulfilment at its location, is "not found"."""
    order = orders_for_key(key=key).filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound(details={"order_id": order_id})
    return order


def fulfilments_for_key(*, key: ApiKey) -> QuerySet[Fulfilment]:
    """A location system's key sees its location's fulfilments (every channel); a channel's
    key sees the fulfilments of its channel's orders."""
    qs = Fulfilment.objects.select_related("order", "location", "transfer_to").prefetch_related(
        Prefetch("lines", queryset=FulfilmentLine.objects.select_related("order_line"))
    )
    if key.location_id:
        return qs.filter(location_id=key.location_id)
    return qs.filter(order__channel_id=key.channel_id)


def fulfilment_get_for_key(*, key: ApiKey, fulfilment_id: int) -> Fulfilment:
    fulfilment = fulfilments_for_key(key=key).filter(pk=fulfilment_id).first()
    if fulfilment is None:
        raise FulfilmentNotFound(details={"fulfilment_id": fulfilment_id})
    return fulfilment


def replay_orders_recent(*, limit: int, channel: Channel | None) -> list[ReplayOrder]:
    """The `limit` most recent orders (of `channel`, or all) as routing requests for
    `routing.replay`: open quantities, as placed (no reroute exclusions)."""
    qs = Order.objects.select_related("channel").prefetch_related("lines")
    if channel is not None:
        qs = qs.filter(channel=channel)
    found = (_replay_order(order) for order in qs.order_by("-placed_at", "-pk")[:limit])
    return [order for order in found if order is not None]


def replay_order_by_reference(*, reference: str) -> ReplayOrder | None:
    """One order as a routing request (see `replay_orders_recent`), by "channel/reference"
    or by its external reference alone (the newest such order); None when there is none or
    nothing of it is open."""
    qs = Order.objects.select_related("channel").prefetch_related("lines")
    channel_code, _, external = reference.strip().rpartition("/")
    if channel_code:
        qs = qs.filter(channel__code=channel_code, external_reference=external)
    else:
        qs = qs.filter(external_reference=external)
    order = qs.order_by("-placed_at", "-pk").first()
    return _replay_order(order) if order is not None else None


def _replay_order(order: Order) -> ReplayOrder | None:
    lines = []
    for line in order.lines.all():
        quantity = line.quantity - line.cancelled_quantity
        if quantity > 0:
            lines.append(PlanLine(str(line.pk), line.sku, quantity, Decimal(line.unit_price)))
    if not lines:
        return None
    return ReplayOrder(
        reference=f"{order.channel.code}/{order.external_reference}",
        request=RoutingRequest(
            lines=tuple(lines),
            destination=Destination(
                order.shipping_country, order.shipping_latitude, order.shipping_longitude
            ),
            delivery_type=order.delivery_type,
            pickup_location_id=order.pickup_location_id,
            channel_id=order.channel_id,
        ),
    )
