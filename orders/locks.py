"""Row locks for orders, in one place. Fixed order: order -> fulfilments -> reservations ->
stock levels. Every writing service on an existing order starts with `order_lock`; one that
gives stock back and then routes again also calls `stock_levels_lock_for_reroute` before
its first stock write."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from inventory.models import Location, Reservation, StockLevel

from .errors import OrderNotFound
from .models import Fulfilment, Order


def order_lock(*, order_id: int, channel_id: int | None = None) -> Order:
    """Fetch and lock the order row (SELECT ... FOR UPDATE OF the order only).

    Must be called inside a transaction. With `channel_id`, another channel's order is
    reported as missing.
    """
    qs = Order.objects.select_for_update(of=("self",)).select_related("channel")
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    order = qs.filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound(details={"order_id": order_id})
    return order


def stock_levels_lock_for_reroute(
    *,
    order: Order,
    product_ids: Iterable[int],
    releasing: Iterable[Fulfilment] = (),
    extra_location_ids: Iterable[int | None] = (),
) -> None:
    """Lock, in pk order, every stock level a reroute of `order` may release or reserve.

    A reroute gives back the units of `releasing` (or of a short pick) and then reserves a
    new plan in the same transaction. Left alone, that locks the old levels first and the new
    ones later, out of pk order: two locations rejecting at once and swapping their orders,
    or a reroute and a new order reserving both levels, deadlock. So before its first stock
    write the reroute locks the levels of the order's SKUs at every location the planner may
    choose (those serving the channel, the pickup store, `extra_location_ids`) plus the levels
    it releases; everything after that touches rows it already holds. Only reroutes (rare,
    short) pay for it: intake reserves in pk order and never calls this.
    Must be called inside a transaction, after `order_lock`.
    """
    product_ids = set(product_ids)
    if not product_ids:
        return
    reservation_ids = [
        fl.reservation_id for f in releasing for fl in f.lines.all() if fl.reservation_id
    ]
    location_ids = {pk for pk in (order.pickup_location_id, *extra_location_ids) if pk}
    stock_levels_lock(
        channel_id=order.channel_id,
        products=Q(product_id__in=product_ids),
        location_ids=location_ids,
        reservation_ids=reservation_ids,
    )


def stock_levels_lock(
    *,
    channel_id: int,
    products: Q,
    location_ids: Iterable[int] = (),
    reservation_ids: Iterable[int] = (),
) -> None:
    """Lock, in pk order, the levels of `products` at the channel's locations and at
    `location_ids`, plus the levels of `reservation_ids`: for any release-then-reserve in one
    transaction (reroutes, placing an order that consumes a checkout hold)."""
    serving = Location.channels.through.objects.filter(channel_id=channel_id).values("location_id")
    levels = StockLevel.objects.filter(
        (products & Q(location_id__in=serving))
        | (products & Q(location_id__in=list(location_ids)))
        | Q(
            pk__in=Reservation.objects.filter(pk__in=list(reservation_ids)).values("stock_level_id")
        )
    )
    list(levels.order_by("pk").select_for_update(no_key=True).values_list("pk", flat=True))
