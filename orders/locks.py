"""Row locks for orders, in one place. Fixed order: order -> fulfilments -> reservations ->
stock levels. Every writing service on an existing order starts with `order_lock`."""

from __future__ import annotations

from .errors import OrderNotFound
from .models import Order


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
