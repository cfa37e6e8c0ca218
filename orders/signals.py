"""Orders react to inventory: new stock may make waiting orders routable; received,
slipped or cancelled inbound stock changes pre-orders."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from inventory.signals import preorders_changed, stock_arrived
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
