"""The routing map on the order page: the latest routing decision's candidates (fenced out,
rated, chosen) and the customer, with a line from each location fulfilling the order now to
where its goods go (routing.route_map draws; this module only gathers the order's data).
Registered as an order-console section in `OrdersConfig.ready`; one query (the
locations' coordinates)."""

from __future__ import annotations

from typing import Any

from inventory.models import Location
from routing.route_map import decision_route_map

from .decision_logs import decision_log_expand
from .models import DeliveryType, FulfilmentState, Order

TEMPLATE = "admin/orders/order/_route_map.html"
_GONE = (FulfilmentState.CANCELLED, FulfilmentState.REJECTED)


def route_map_section(order: Order, user: Any = None) -> dict[str, Any]:
    """The console section's context for `order` (prefetched by order_for_console)."""
    decisions = list(order.routing_decisions.all())
    log = decision_log_expand(dict(decisions[0].log or {})) if decisions else None
    live = [
        (f.location_id, f.transfer_to_id) for f in order.fulfilments.all() if f.state not in _GONE
    ]
    ids = {e.get("location_id") for e in (log or {}).get("candidates") or ()}
    ids |= {pk for pair in live for pk in pair if pk}
    locations = {
        pk: (code, lat, lon)
        for pk, code, lat, lon in Location.objects.filter(
            pk__in=[i for i in ids if isinstance(i, int)]
        ).values_list("pk", "code", "latitude", "longitude")
    }
    lat, lon = order.shipping_latitude, order.shipping_longitude
    pickup = order.delivery_type == DeliveryType.CLICK_COLLECT
    return {
        "route_map": decision_route_map(
            log=log,
            fulfilments=live,
            destination=(lat, lon) if lat is not None and lon is not None else None,
            destination_label="pickup store" if pickup else "customer",
            locations=locations,
        )
    }
