"""The console benchmark's set-based seed (benchmarks/console_seed.py) writes every column of
the models it fills, and what it writes is found by the order list's search."""

from __future__ import annotations

import pytest

from benchmarks.console_seed import CHANNEL_CODE, seed_console
from orders.models import Fulfilment, Order, OrderLine
from orders.search import orders_search

pytestmark = pytest.mark.django_db


def test_seed_fills_orders_lines_and_fulfilments_that_search_finds():
    counts = seed_console(orders=300)
    orders = Order.objects.filter(channel__code=CHANNEL_CODE)
    # Waiting orders have no fulfilment; events: placed + routed each, shipped / rejected.
    assert counts["orders"] == 300 and counts["fulfilments"] == 285
    shipped_or_rejected = Fulfilment.objects.filter(state__in=["shipped", "rejected"]).count()
    assert counts["events"] == 600 + shipped_or_rejected
    assert OrderLine.objects.filter(order__in=orders).count() == 600
    shipped = Fulfilment.objects.exclude(tracking_number="").first()
    assert shipped is not None and shipped.state == "shipped"
    found = orders_search(Order.objects.all(), shipped.tracking_number.lower())
    assert list(found) == [shipped.order]
