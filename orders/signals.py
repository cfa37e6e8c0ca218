"""Orders react to inventory: new stock may make waiting orders routable; received,
slipped or cancelled inbound stock changes pre-orders."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from inventory.signals import inbound_announced, preorders_changed, stock_arrived
from oms.jobs import enqueue


@receiver(stock_arrived)
def route_waiting_on_stock(sender: Any, **kwargs: Any) -> None:
    from .models import Order, OrderState
    from .tasks import route_waiting_orders

    if Order.objects.filter(state=OrderState.WAITING).exists():
        enqueue(route_waiting_orders)


@receiver(preorders_changed)
def apply_preorder_changes(sender: Any, *, change: Any, actor: str, **kwargs: Any) -> None:
    """In the inventory service's transaction: conversions make fulfilments actionable,
    displaced pre-orders are planned again (orders/services/preorders.py)."""
    from .services.preorders import preorders_apply

    preorders_apply(change=change, actor=actor)


@receiver(inbound_announced)
def wake_waiting_preorders(sender: Any, *, product_ids: list[int], **kwargs: Any) -> None:
    """New inbound stock: wake the waiting orders of channels that sell it (in the
    announcing transaction) and run the waiting room after commit."""
    from django.db import transaction

    from .models import Order, OrderState
    from .tasks import route_waiting_orders
    from .waiting_wake import waiting_order_wake

    waiting = Order.objects.filter(
        state=OrderState.WAITING, channel__sell_inbound=True, lines__product_id__in=product_ids
    ).distinct()
    woken = list(waiting.values_list("pk", flat=True))
    for order_id in woken:
        waiting_order_wake(order_id=order_id)
    if woken:
        transaction.on_commit(lambda: enqueue(route_waiting_orders))
