"""The routing map on the order page: the latest routing decision's candidates (fenced out,
rated, chosen) and the customer, with a line from each location fulfilling the order now to
where its goods go (routing.route_map draws; this module only gathers the order's data).
Registered as an order-console section in `OrdersConfig.ready`; one query (the
locations' coordinates)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from inventory.models import Location
from routing.route_map import CHOSEN, FENCED, RATED, MapPlace, RouteMap, route_map

from .decision_logs import decision_log_expand
from .models import DeliveryType, FulfilmentState, Order

TEMPLATE = "admin/orders/order/_route_map.html"
_GONE = (FulfilmentState.CANCELLED, FulfilmentState.REJECTED)


def candidate_notes(entries: Iterable[Mapping[str, Any]]) -> dict[int, tuple[bool, str]]:
    """location id -> (fenced out, hover text) from a decision log's candidates; a location
    listed in several roles counts as fenced only if every role fenced it."""
    notes: dict[int, tuple[bool, str]] = {}
    for entry in entries:
        location_id = entry.get("location_id")
        if not isinstance(location_id, int):
            continue
        fence = entry.get("eliminated_by")
        if fence:
            text = f"fenced out by {fence}: {entry.get('reason') or ''}".rstrip(": ")
        else:
            parts = []
            if entry.get("distance_km") is not None:
                parts.append(f"{entry['distance_km']:.0f} km")
            if entry.get("cost") is not None:
                parts.append(f"cost {entry['cost']:.2f}")
            if entry.get("total_penalty") is not None:
                parts.append(f"penalty {entry['total_penalty']:.3f}")
            text = "rated: " + (", ".join(parts) or "eligible")
        before = notes.get(location_id)
        if before is None or (before[0] and not fence):
            notes[location_id] = (bool(fence), text)
    return notes


def order_route_map(
    *,
    log: Mapping[str, Any] | None,
    fulfilments: Iterable[tuple[int, int | None]],
    destination: tuple[float, float] | None,
    destination_label: str,
    locations: Mapping[int, tuple[str, float | None, float | None]],
) -> RouteMap | None:
    """The map for one decision log, with `fulfilments` ((location id, transfer target id))
    marked chosen; `locations`: id -> (code, latitude, longitude)."""
    notes = candidate_notes((log or {}).get("candidates") or ())
    live = list(fulfilments)
    chosen = {location_id for location_id, _ in live}
    places = []
    for location_id in sorted(set(notes) | chosen | {t for _, t in live if t}):
        if location_id not in locations:
            continue
        code, latitude, longitude = locations[location_id]
        fenced, note = notes.get(location_id, (False, ""))
        if location_id in chosen:
            status, note = CHOSEN, "fulfils this order" + (f" ({note})" if note else "")
        else:
            status = FENCED if fenced else RATED
        places.append(MapPlace(location_id, code, latitude, longitude, status, note))
    return route_map(
        places=places,
        destination=destination,
        links=live,
        destination_label=destination_label,
    )


def route_map_section(order: Order) -> dict[str, Any]:
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
    located = order.shipping_latitude is not None and order.shipping_longitude is not None
    pickup = order.delivery_type == DeliveryType.CLICK_COLLECT
    return {
        "route_map": order_route_map(
            log=log,
            fulfilments=live,
            destination=(order.shipping_latitude, order.shipping_longitude) if located else None,
            destination_label="pickup store" if pickup else "customer",
            locations=locations,
        )
    }
