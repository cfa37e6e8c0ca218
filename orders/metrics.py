"""Order figures for `/metrics` (oms/metrics.py): intake counters and the waiting room.

The counters are incremented by intake (orders/services/intake.py): placed after the
transaction commits, refused when intake raises an OMSError (with its code). The waiting
room is read from the database at scrape time.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric

from oms.metrics import age_seconds

from .models import Order, OrderState

ORDERS_PLACED = Counter(
    "oms_orders_placed",
    "Orders accepted by intake (committed), by channel and the state they were born in",
    ["channel", "state"],
)
ORDERS_REFUSED = Counter(
    "oms_orders_refused", "Orders refused by intake, by channel and error code", ["channel", "code"]
)


def waiting_room_source() -> Iterator[Metric]:
    figures = Order.objects.filter(state=OrderState.WAITING).aggregate(
        size=Count("id"), escalated=Count("escalated_at"), oldest=Min("waiting_since")
    )
    yield GaugeMetricFamily(
        "oms_waiting_room_orders", "Orders waiting for stock", value=figures["size"]
    )
    yield GaugeMetricFamily(
        "oms_waiting_room_escalated_orders",
        "Waiting orders escalated to staff",
        value=figures["escalated"],
    )
    yield GaugeMetricFamily(
        "oms_waiting_room_oldest_age_seconds",
        "How long the longest-waiting order has waited (0 when none waits)",
        value=age_seconds(figures["oldest"], timezone.now()),
    )
