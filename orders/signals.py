"""Orders react to inventory: new stock may make waiting orders routable."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from inventory.signals import stock_arrived
from oms.jobs import enqueue


@receiver(stock_arrived)
def route_waiting_on_stock(sender: Any, **kwargs: Any) -> None:
    from .models import Order, OrderState
    from .tasks import route_waiting_orders

    if Order.objects.filter(state=OrderState.WAITING).exists():
        enqueue(route_waiting_orders)
