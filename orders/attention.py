"""Orders and holds that need a person, for the dashboard's queues and the lists they open.

One definition per queue, used by both the count on the dashboard and the filter of the list
it links to, so the number and the list always agree. Each is an indexed query: waiting orders
(partial index `order_waiting_room`), recent events by type (`created_at` and `type` indexes),
active holds by expiry (`hold_active_expiry`), today's orders by `placed_at`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet, Sum
from django.utils import timezone

from .events import EventType
from .models import (
    CheckoutHold,
    Fulfilment,
    IntakeRefusalCount,
    Order,
    OrderEvent,
    OrderState,
)

RECENT = timedelta(hours=24)
HOLD_EXPIRY_SOON = timedelta(minutes=10)


def _recent_event_orders(*types: str, since: datetime | None = None) -> QuerySet:
    since = since or timezone.now() - RECENT
    return (
        OrderEvent.objects.filter(type__in=types, created_at__gte=since)
        .order_by()
        .values("order_id")
    )


def waiting_orders() -> QuerySet[Order]:
    return Order.objects.filter(state=OrderState.WAITING)


def escalated_orders() -> QuerySet[Order]:
    return Order.objects.filter(state=OrderState.WAITING, escalated_at__isnull=False)


def recently_rejected_orders() -> QuerySet[Order]:
    """Orders with a fulfilment a location rejected in the last 24 hours."""
    return Order.objects.filter(pk__in=_recent_event_orders(EventType.FULFILMENT_REJECTED))


def recently_short_picked_orders() -> QuerySet[Order]:
    """Orders with a fulfilment short-picked in the last 24 hours."""
    return Order.objects.filter(pk__in=_recent_event_orders(EventType.FULFILMENT_SHORT_PICKED))


def holds_expiring_soon() -> QuerySet[CheckoutHold]:
    now = timezone.now()
    return CheckoutHold.objects.filter(
        status=CheckoutHold.Status.ACTIVE, expires_at__lte=now + HOLD_EXPIRY_SOON
    )


ORDER_QUEUES = {
    "escalated": ("Escalated (waiting too long)", escalated_orders),
    "waiting": ("Waiting for stock", waiting_orders),
    "rejected": ("Rejected by a location (24 h)", recently_rejected_orders),
    "short_picked": ("Short-picked (24 h)", recently_short_picked_orders),
}


# --- Today's figures ----------------------------------------------------------------------


def placed_since(since: datetime) -> int:
    return Order.objects.filter(placed_at__gte=since).count()


def routed_since(since: datetime) -> int:
    """Orders that got a fulfilment since `since` (at intake, from the waiting room, rerouted)."""
    return (
        Fulfilment.objects.filter(created_at__gte=since)
        .order_by()
        .values("order_id")
        .distinct()
        .count()
    )


def shipped_since(since: datetime) -> int:
    """Parcels handed to a carrier or picked up since `since`."""
    return OrderEvent.objects.filter(
        type__in=[EventType.FULFILMENT_SHIPPED, EventType.FULFILMENT_PICKED_UP],
        created_at__gte=since,
    ).count()


def refused_since(since: datetime) -> int:
    """Fulfilments locations refused (rejected or short-picked) since `since`."""
    return OrderEvent.objects.filter(
        type__in=[EventType.FULFILMENT_REJECTED, EventType.FULFILMENT_SHORT_PICKED],
        created_at__gte=since,
    ).count()


def intake_refusals_on(since: datetime) -> list[tuple[str, int]]:
    """Orders intake refused on the day of `since` (local), per error code, most first.
    Read from the per-channel daily counters (orders.services.intake_refusals)."""
    rows = (
        IntakeRefusalCount.objects.filter(day=timezone.localdate(since))
        .values("code")
        .annotate(total=Sum("n"))
        .order_by("-total", "code")
    )
    return [(row["code"].replace("_", " "), row["total"]) for row in rows]


def refused_at_intake_since(since: datetime) -> int:
    return sum(n for _, n in intake_refusals_on(since))


def dashboard_register() -> None:
    """The orders app's queues and figures on the dashboard (from `OrdersConfig.ready`)."""
    from oms.dashboard import Figure, Queue, dashboard_figure_register, dashboard_queue_register

    help_texts = {
        "escalated": "Waited longer than the channel allows: decide (reroute, cancel, call).",
        "waiting": "Retried automatically when stock arrives.",
        "rejected": "Rerouted automatically; check those that wait.",
        "short_picked": "Units not found at the location; rerouted.",
    }
    for key, (label, queryset) in ORDER_QUEUES.items():
        dashboard_queue_register(
            Queue(
                key=f"orders-{key}",
                group="Orders",
                label=label,
                count=lambda queryset=queryset: queryset().count(),  # type: ignore[misc]
                url_name="admin:orders_order_changelist",
                query=f"attention={key}",
                permission="orders.view_order",
                help=help_texts[key],
            )
        )
    dashboard_queue_register(
        Queue(
            key="holds-expiring",
            group="Orders",
            label="Checkout holds expiring within 10 minutes",
            count=lambda: holds_expiring_soon().count(),
            url_name="admin:orders_checkouthold_changelist",
            query="expiry=soon",
            permission="orders.view_checkouthold",
        )
    )
    for key, label, value in (
        ("placed", "orders placed", placed_since),
        ("routed", "orders routed", routed_since),
        ("shipped", "parcels shipped or picked up", shipped_since),
        ("refused", "refused by locations (rejected, short-picked)", refused_since),
    ):
        dashboard_figure_register(
            Figure(key=key, label=label, value=value, permission="orders.view_order")
        )
    dashboard_figure_register(
        Figure(
            key="refused-at-intake",
            label="orders refused at intake",
            value=refused_at_intake_since,
            breakdown=intake_refusals_on,
            permission="orders.view_order",
        )
    )
