"""More units for a fulfilment that has not been picked yet (a line's quantity went up):
they join the fulfilment its location already has for the order, not a second parcel.

The planner's first aim after allocating every unit is the fewest fulfilments; for the extra
units of an edited order a location that already sends a parcel adds none, so it is tried
first (`preferred_plan`): the extra units are planned over that location alone (fences still
apply: stock, country, service, exclusions). Only when no such location can hold them all is
the whole network planned, and even then a part that lands at such a location extends it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from routing.planner import (
    Candidate,
    Plan,
    PlannedFulfilment,
    RoutingRequest,
    StrategyConfig,
    plan_order,
)

from ..models import Fulfilment, FulfilmentState

# Not picked yet: adding a unit changes a pick list nobody has started on.
EXTENDABLE_STATES = (FulfilmentState.CREATED, FulfilmentState.ACCEPTED)

ExtensionKey = tuple[int, int | None]  # (location id, pickup store it transfers to)


def extension_key(part: PlannedFulfilment) -> ExtensionKey:
    return (part.location_id, part.transfer_to_location_id)


def extendable_fulfilments(fulfilments: Sequence[Fulfilment]) -> dict[ExtensionKey, Fulfilment]:
    """The order's fulfilments new units may join, by (location, transfer target); the
    oldest one when a location has several."""
    found: dict[ExtensionKey, Fulfilment] = {}
    for fulfilment in sorted(fulfilments, key=lambda f: f.pk):
        # A pre-order waiting for inbound stock is not extended with units on hand.
        if fulfilment.state in EXTENDABLE_STATES and fulfilment.promised_date is None:
            found.setdefault((fulfilment.location_id, fulfilment.transfer_to_id), fulfilment)
    return found


def preferred_plan(
    request: RoutingRequest,
    candidates: Sequence[Candidate],
    config: StrategyConfig,
    extend: Mapping[ExtensionKey, Fulfilment],
) -> Plan | None:
    """A complete plan that only extends `extend`'s fulfilments, or None: each of their
    locations alone (with the pickup store, for click & collect), oldest fulfilment first."""
    keep = {request.pickup_location_id} - {None}
    for location_id in dict.fromkeys(key[0] for key in extend):
        pool = [c for c in candidates if c.location_id == location_id or c.location_id in keep]
        plan = plan_order(request, pool, config)
        if plan.routable and all(extension_key(part) in extend for part in plan.fulfilments):
            return plan
    return None
