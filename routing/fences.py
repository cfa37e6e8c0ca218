"""Fences: hard filters that remove a location from the candidates for one order.

Fences run in the fixed order of ``FENCE_CODES`` and the first one that fails is the one recorded,
so the decision log always names the same reason for the same data (and the cheap checks run
before the distance and stock checks). Codes are stable strings: the admin, the decision log and
tests key on them; the human ``reason`` text may change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from routing.geo import distance_from
from routing.plan_types import SERVICE_CLICK_COLLECT, SERVICE_SHIP, Candidate

FENCE_NOT_FORCED = "not_forced"
FENCE_INACTIVE = "inactive"
FENCE_EXCLUDED = "excluded"
FENCE_CHANNEL_NOT_SERVED = "channel_not_served"
FENCE_SERVICE_NOT_OFFERED = "service_not_offered"
FENCE_TRANSFER_NOT_ALLOWED = "transfer_not_allowed"
FENCE_COUNTRY_NOT_SERVED = "country_not_served"
FENCE_CAPACITY_REACHED = "capacity_reached"
FENCE_TOO_FAR = "too_far"
FENCE_NO_STOCK = "no_stock"
FENCE_INCOMPLETE_STOCK = "incomplete_stock"

# In evaluation order.
FENCE_CODES: tuple[str, ...] = (
    FENCE_NOT_FORCED,
    FENCE_INACTIVE,
    FENCE_EXCLUDED,
    FENCE_CHANNEL_NOT_SERVED,
    FENCE_SERVICE_NOT_OFFERED,
    FENCE_TRANSFER_NOT_ALLOWED,
    FENCE_COUNTRY_NOT_SERVED,
    FENCE_CAPACITY_REACHED,
    FENCE_TOO_FAR,
    FENCE_NO_STOCK,
    FENCE_INCOMPLETE_STOCK,
)
STOCK_FENCES: frozenset[str] = frozenset({FENCE_NO_STOCK, FENCE_INCOMPLETE_STOCK})

# The part a location plays for this order; fences differ per role.
ROLE_SHIP = "ship"  # ships to the customer's address
ROLE_PICKUP_STORE = "pickup_store"  # the click & collect store the customer chose
ROLE_TRANSFER_SOURCE = "transfer_source"  # sends stock into the pickup store


@dataclass(frozen=True)
class FenceContext:
    """What the fences need to know about the order, computed once per plan."""

    role: str
    destination_country: str
    destination_latitude: float | None
    destination_longitude: float | None
    demand: Mapping[str, int]  # sku -> units still to allocate; empty skips the stock fences
    need_complete: bool  # splitting impossible: a location must hold everything
    forced_location_id: int | None = None
    excluded_location_ids: frozenset[int] = frozenset()
    channel_id: int | None = None
    allow_transfer: bool = False
    max_distance_km: float | None = None


FenceResult = tuple[str | None, str, float | None]


def fence_evaluator(ctx: FenceContext) -> Callable[[Candidate], FenceResult]:
    """Build the fence check for one order: ``candidate -> (code or None, reason, distance_km)``.

    A closure rather than a method so the order's context is bound once into local variables:
    this runs for every candidate of every order and is the planner's hottest loop. The distance
    is returned because the distance fence computes it anyway and the ratings need it.
    """
    role = ctx.role
    forced = ctx.forced_location_id if role != ROLE_PICKUP_STORE else None
    excluded = ctx.excluded_location_ids
    channel = ctx.channel_id
    is_store = role == ROLE_PICKUP_STORE
    transfer_blocked = role == ROLE_TRANSFER_SOURCE and not ctx.allow_transfer
    country = ctx.destination_country
    dlat, dlon = ctx.destination_latitude, ctx.destination_longitude
    km_to = distance_from(dlat, dlon) if dlat is not None and dlon is not None else None
    max_km = ctx.max_distance_km
    # The pickup store is never fenced on stock: it stays the pickup point and whatever it lacks
    # is transferred in (or the plan says it cannot be).
    demand = list(ctx.demand.items()) if not is_store else []
    need_complete = ctx.need_complete
    not_forced: FenceResult = (FENCE_NOT_FORCED, f"staff forced location {forced}", None)

    def evaluate(c: Candidate) -> FenceResult:
        if forced is not None and c.location_id != forced:
            return not_forced
        if not c.active:
            return FENCE_INACTIVE, "location is inactive", None
        if c.location_id in excluded:
            return FENCE_EXCLUDED, "excluded for this order (rejected or blacklisted)", None
        if channel is not None and channel not in c.channel_ids:
            return FENCE_CHANNEL_NOT_SERVED, f"does not serve channel {channel}", None
        km: float | None
        if is_store:
            if SERVICE_CLICK_COLLECT not in c.services:
                return FENCE_SERVICE_NOT_OFFERED, "does not offer click & collect", None
            km = 0.0  # the goods are already where the customer collects them
        else:
            if transfer_blocked:
                return (
                    FENCE_TRANSFER_NOT_ALLOWED,
                    "not the pickup store and the strategy allows no transfer into it",
                    None,
                )
            if SERVICE_SHIP not in c.services:
                return FENCE_SERVICE_NOT_OFFERED, "does not offer shipping", None
            served = c.served_countries
            if (country not in served) if served else (country != c.country):
                return FENCE_COUNTRY_NOT_SERVED, f"does not ship to {country}", None
            km = None
        if c.capacity_left is not None and c.capacity_left <= 0:
            return FENCE_CAPACITY_REACHED, "daily capacity reached", km
        if not is_store:
            lat, lon = c.latitude, c.longitude
            if lat is not None and lon is not None and km_to is not None:
                km = km_to(lat, lon)
                if max_km is not None and km > max_km:
                    return FENCE_TOO_FAR, f"{km:.1f} km away, limit {max_km:g} km", km
        if demand:
            get = c.atp.get
            any_stock = False
            complete = True
            for sku, qty in demand:
                have = get(sku, 0)
                if have > 0:
                    any_stock = True
                if have < qty:
                    complete = False
            if not any_stock:
                return FENCE_NO_STOCK, "no stock of any requested SKU", km
            if need_complete and not complete:
                return (
                    FENCE_INCOMPLETE_STOCK,
                    "cannot fulfil every unit and splitting is not possible",
                    km,
                )
        return None, "eligible", km

    return evaluate


def first_failing_fence(candidate: Candidate, ctx: FenceContext) -> FenceResult:
    """``(fence code or None, human reason, distance_km)`` for one candidate (see above)."""
    return fence_evaluator(ctx)(candidate)
