"""Waiting room bounded by supply: a channel with `waiting_limit = inbound_supply` parks a new
order only while, per SKU, the units waiting stay within the open inbound stock that
pre-orders have not reserved; the rest is refused. So the units waiting are always known
against supply, never a promise of 500 units on a 100-unit purchase order.

Decided under a per-(channel, SKU) transaction-scoped advisory lock on PostgreSQL, so two
orders cannot both park on the last supply (SQLite has one writer: nothing to lock).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

from django.db import connection
from django.db.models import F, Sum

from inventory.models import InboundStock
from oms.models import Channel

from ..models import FulfilmentLine, OrderLine, OrderState
from .allocation import ALLOCATING_STATES


def waiting_supply_admits(*, channel: Channel, units: Mapping[int, int]) -> bool:
    """Whether `units` (product id -> units) may wait on top of what already waits.

    Takes the per-(channel, product) advisory locks (product order) and keeps them until
    the caller's transaction ends: the parked order must commit before the next one counts.
    """
    products = sorted(pid for pid, qty in units.items() if qty > 0)
    if not products:
        return True
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for product_id in products:
                key = zlib.crc32(f"waiting:{channel.pk}:{product_id}".encode())
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    supply = dict(
        InboundStock.objects.filter(
            status=InboundStock.Status.OPEN,
            product_id__in=products,
            location__channels=channel,
            location__active=True,
        )
        .values("product_id")
        .annotate(
            free=Sum(F("quantity_expected") - F("quantity_received") - F("quantity_reserved"))
        )
        .values_list("product_id", "free")
    )
    waiting_lines = OrderLine.objects.filter(
        order__channel=channel, order__state=OrderState.WAITING, product_id__in=products
    )
    ordered = dict(
        waiting_lines.values("product_id")
        .annotate(units=Sum(F("quantity") - F("cancelled_quantity")))
        .values_list("product_id", "units")
    )
    held = dict(
        FulfilmentLine.objects.filter(
            order_line__in=waiting_lines, fulfilment__state__in=ALLOCATING_STATES
        )
        .values("order_line__product_id")
        .annotate(units=Sum("quantity"))
        .values_list("order_line__product_id", "units")
    )
    return all(
        (ordered.get(pid) or 0) - (held.get(pid) or 0) + units[pid] <= (supply.get(pid) or 0)
        for pid in products
    )
