"""The common case without the search: one location can ship the whole order.

With the default strategy (only the shipping cost is weighted) the best single location is the
cheapest one that holds every unit: the weighted penalty is a monotone function of the cost
(min-max normalisation and rounding never reverse an order), so a location whose quantised cost
is strictly the lowest among the complete ones wins whatever the other candidates' costs are. Its
answer is therefore found without rating, sorting or searching the pool, and without measuring the
distance of any location that cannot fulfil the order alone (or whose base cost alone is already
above the best cost found).

Whenever that argument does not cover the order (another rating weighted, a distance limit, a
location without coordinates, two complete locations with the same quantised cost, more
survivors than the node budget, no complete location), ``best_single`` returns None and the full
pipeline runs. The full pipeline also writes the decision log (lazily, when it is read), so the
log explains the plan exactly as before; ``tests/unit/test_planner_speed_paths.py`` holds both
paths equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

from routing.fences import FenceContext, fence_evaluator
from routing.geo import distance_from
from routing.plan_types import Candidate, StrategyConfig
from routing.ratings import RATING_SHIPPING_COST
from routing.solving import COST_SCALE


class Single(NamedTuple):
    candidate: Candidate
    distance_km: float
    cost: float


def best_single(
    candidates: Sequence[Candidate], ctx: FenceContext, strategy: StrategyConfig
) -> Single | None:
    """The location the full pipeline would choose alone, when it provably does (see above)."""
    dlat, dlon = ctx.destination_latitude, ctx.destination_longitude
    wanted = tuple(ctx.demand.items())
    if (
        not wanted
        or dlat is None
        or dlon is None
        or strategy.max_distance_km is not None
        or any(w and name != RATING_SHIPPING_COST for name, w in strategy.rating_weights.items())
    ):
        return None
    if len(candidates) > strategy.search_node_budget:
        return None  # the search could not even look at every survivor alone
    # Without a distance limit the distance decides no fence: the same fences, minus the km.
    evaluate = fence_evaluator(replace(ctx, destination_latitude=None, destination_longitude=None))
    km_to = distance_from(dlat, dlon)
    best: Single | None = None
    best_q = 0
    tied = False
    for c in candidates:
        atp = c.atp
        if not atp:
            continue
        get = atp.get
        for sku, qty in wanted:
            if get(sku, 0) < qty:
                break
        else:
            per_km = c.cost_per_km
            if best is not None and per_km >= 0 and round(c.base_cost * COST_SCALE) > best_q:
                continue  # costs at least its base cost: can neither win nor tie
            if evaluate(c)[0] is not None:
                continue
            lat, lon = c.latitude, c.longitude
            if lat is None or lon is None:
                return None  # its cost depends on the other candidates' distances
            km = km_to(lat, lon)
            cost = c.base_cost + per_km * km  # as ratings.shipping_costs
            q = round(cost * COST_SCALE)
            if best is None or q < best_q:
                best, best_q, tied = Single(c, km, cost), q, False
            elif q == best_q:
                tied = True  # the penalty's rounding and the ids decide: leave it to the search
    if best is None or tied:
        return None
    return best
