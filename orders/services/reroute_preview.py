"""What a staff reroute would do, before it is done: the plan the one reroute
(`order_units_reroute`) would make now, the candidate locations with their stock and
distance, and whether anything would change. Reads only: nothing is locked or reserved.

The order's own reservations in the fulfilments a reroute gives up count as available
(the reroute releases them before it reserves), so the preview plans on the same figures.
A concurrent order can still take stock between preview and confirmation; the reroute then
plans again and, if it cannot hold every unit, changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from routing.geo import distance_km
from routing.planner import Plan
from routing.selectors import Snapshot

from ..models import Fulfilment, Order, OrderLine
from .allocation import plan_matches_fulfilments, plan_quantities, unallocated_quantities
from .common import load_order
from .edits import reroutable


@dataclass(frozen=True)
class CandidateStock:
    """One location the reroute may use: what it holds of the order's SKUs (ATP, with the
    order's own units given back) and how far it is from the destination."""

    location_id: int
    code: str
    name: str
    distance_km: float | None
    stock: dict[str, int]  # sku -> available to promise for this order
    covers_all: bool
    fulfils_now: bool
    excluded: bool


@dataclass
class ReroutePreview:
    order: Order
    lines: dict[int, OrderLine]
    plan: Plan | None  # None: nothing to route (every unit is handed over)
    unchanged: bool  # the plan is what the order has: the reroute would keep it
    giving_up: list[Fulfilment]
    candidates: list[CandidateStock] = field(default_factory=list)
    codes: dict[int, str] = field(default_factory=dict)
    # location id -> (code, latitude, longitude), for the map
    places: dict[int, tuple[str, float | None, float | None]] = field(default_factory=dict)

    @property
    def routable(self) -> bool:
        return self.plan is not None and self.plan.routable


def order_reroute_preview(
    *,
    order_id: int,
    exclude_location_ids: list[int] | None = None,
    force_location_id: int | None = None,
) -> ReroutePreview:
    """The plan `order_reroute` with these arguments would make now (see the module)."""
    order = Order.objects.select_related("channel", "pickup_location").get(pk=order_id)
    lines, fulfilments = load_order(order)
    excluded = set(order.excluded_location_ids or ()) | set(exclude_location_ids or ())
    if force_location_id is not None:
        excluded.discard(force_location_id)
    order.excluded_location_ids = sorted(excluded)  # this instance is never saved
    giving_up = reroutable(fulfilments)
    keeping = [f for f in fulfilments if f not in giving_up]
    uncovered = unallocated_quantities(order, list(lines.values()), keeping)
    held: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for fulfilment in giving_up:
        for fl in fulfilment.lines.all():
            if fl.reservation_id is not None:
                held[fulfilment.location_id][lines[fl.order_line_id].sku] += fl.quantity
    if not uncovered:
        return ReroutePreview(order, lines, None, True, giving_up)
    plan, _chosen, snapshot = plan_quantities(
        order=order,
        lines=lines,
        quantities=uncovered,
        forced_location_id=force_location_id,
        give_back=held,
    )
    return ReroutePreview(
        order=order,
        lines=lines,
        plan=plan,
        unchanged=bool(giving_up) and plan_matches_fulfilments(plan, giving_up),
        giving_up=giving_up,
        candidates=_candidates(order, lines, uncovered, snapshot, giving_up, excluded),
        codes={pk: loc.code for pk, loc in snapshot.locations.items()},
        places={
            pk: (loc.code, loc.latitude, loc.longitude) for pk, loc in snapshot.locations.items()
        },
    )


def _candidates(
    order: Order,
    lines: dict[int, OrderLine],
    uncovered: dict[int, int],
    snapshot: Snapshot,
    giving_up: list[Fulfilment],
    excluded: set[int],
) -> list[CandidateStock]:
    needed: dict[str, int] = defaultdict(int)
    for line_id, quantity in uncovered.items():
        needed[lines[line_id].sku] += quantity
    current = {f.location_id for f in giving_up}
    rows = []
    for candidate in snapshot.candidates:
        stock = {sku: candidate.atp.get(sku, 0) for sku in sorted(needed)}
        rows.append(
            CandidateStock(
                location_id=candidate.location_id,
                code=candidate.code,
                name=candidate.name,
                distance_km=distance_km(
                    order.shipping_latitude,
                    order.shipping_longitude,
                    candidate.latitude,
                    candidate.longitude,
                ),
                stock=stock,
                covers_all=all(stock[sku] >= qty for sku, qty in needed.items()),
                fulfils_now=candidate.location_id in current,
                excluded=candidate.location_id in excluded,
            )
        )
    rows.sort(key=lambda r: (not r.covers_all, r.distance_km is None, r.distance_km or 0.0, r.code))
    return rows
