"""Ratings: soft scores that rank the candidates which survived the fences.

Each rating yields a raw value (in its own unit: km, money, a ratio) and a penalty in [0, 1],
min-max normalised over the surviving candidates of this order (0 = best, 1 = worst; all equal
-> 0). The strategy weights the penalties and adds them up; lower is better. Normalising per order
is what lets an admin weigh "km" against "money" with plain numbers, at the price that a penalty
is only comparable within one order (the decision log shows the raw values too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from routing.plan_types import Candidate

RATING_GEODISTANCE = "geodistance"
RATING_STOCK_DEPTH = "stock_depth"
RATING_SHIPPING_COST = "shipping_cost"
RATING_WORKLOAD = "workload"
RATING_PRIORITY = "priority"
RATING_TAGS = "tags"

RATING_NAMES: tuple[str, ...] = (
    RATING_GEODISTANCE,
    RATING_STOCK_DEPTH,
    RATING_SHIPPING_COST,
    RATING_WORKLOAD,
    RATING_PRIORITY,
    RATING_TAGS,
)

# Ratings whose raw value is better when higher; the penalty inverts them.
_HIGHER_IS_BETTER = frozenset({RATING_STOCK_DEPTH, RATING_PRIORITY, RATING_TAGS})


def shipping_costs(
    candidates: Sequence[Candidate], distances: Sequence[float | None]
) -> list[float]:
    """Estimated cost of one fulfilment from each candidate: ``base_cost + cost_per_km * km``.

    A location without coordinates is assumed to be as far as the farthest known one, so a
    missing geocode never makes a location look cheap.
    """
    fallback = max((km for km in distances if km is not None), default=0.0)
    return [
        c.base_cost + c.cost_per_km * (fallback if km is None else km)
        for c, km in zip(candidates, distances, strict=True)
    ]


def stock_depth(candidate: Candidate, demand: Mapping[str, int]) -> float:
    """How much stock is left after this order, relative to the order: deeper is better.

    ``min over the requested SKUs the location holds of (atp - taken) / requested``, where
    ``taken = min(atp, requested)``. Taking from deep stock keeps thin stock for other orders and
    makes a stock-out at picking (inventory drift) less likely. 0 when any SKU would be emptied.
    """
    depth: float | None = None
    atp = candidate.atp
    for sku, qty in demand.items():
        have = atp.get(sku, 0)
        if have <= 0 or qty <= 0:
            continue
        ratio = (have - min(have, qty)) / qty
        if depth is None or ratio < depth:
            depth = ratio
    return 0.0 if depth is None else depth


def raw_values(
    name: str,
    candidates: Sequence[Candidate],
    distances: Sequence[float | None],
    costs: Sequence[float],
    demand: Mapping[str, int],
    tag_preferences: Mapping[str, float],
) -> list[float | None]:
    """Raw value of one rating for each candidate (None = unknown, rated worst)."""
    if name == RATING_GEODISTANCE:
        return list(distances)
    if name == RATING_SHIPPING_COST:
        return list(costs)
    if name == RATING_STOCK_DEPTH:
        return [stock_depth(c, demand) for c in candidates]
    if name == RATING_WORKLOAD:
        # Share of the remaining daily capacity this order would use: a location with 2 slots
        # left is closer to its limit than one with 200. Unlimited capacity uses nothing.
        return [0.0 if c.capacity_left is None else 1.0 / c.capacity_left for c in candidates]
    if name == RATING_PRIORITY:
        return [float(c.priority) for c in candidates]
    if name == RATING_TAGS:
        return [float(sum(tag_preferences.get(t, 0.0) for t in c.tags)) for c in candidates]
    raise ValueError(f"unknown rating {name!r}; known ratings: {', '.join(RATING_NAMES)}")


def normalise(raws: Sequence[float | None], higher_is_better: bool) -> list[float]:
    """Min-max normalise to penalties in [0, 1]; unknown values get the worst penalty, 1."""
    known = [r for r in raws if r is not None]
    if not known:
        return [0.0] * len(raws)
    lo = min(known)
    hi = max(known)
    span = hi - lo
    if span <= 0.0:
        return [0.0 if r is not None else 1.0 for r in raws]
    if higher_is_better:
        return [1.0 if r is None else (hi - r) / span for r in raws]
    return [1.0 if r is None else (r - lo) / span for r in raws]


def rating_columns(
    candidates: Sequence[Candidate],
    distances: Sequence[float | None],
    costs: Sequence[float],
    demand: Mapping[str, int],
    weights: Mapping[str, float],
    tag_preferences: Mapping[str, float],
) -> tuple[list[float], list[tuple[str, float, list[float | None], list[float]]]]:
    """Weighted penalty per candidate, plus each rating's column for the decision log.

    Returns ``(total_penalties, columns)``, one column ``(name, weight, raws, penalties)`` per
    weighted rating: the details stay columns until someone reads them (``rate_candidates``).
    """
    n = len(candidates)
    totals = [0.0] * n
    columns = []
    for name, weight in weights.items():
        raws = raw_values(name, candidates, distances, costs, demand, tag_preferences)
        penalties = normalise(raws, name in _HIGHER_IS_BETTER)
        totals = [t + weight * p for t, p in zip(totals, penalties, strict=True)]
        columns.append((name, weight, raws, penalties))
    return totals, columns


def rate_candidates(
    candidates: Sequence[Candidate],
    distances: Sequence[float | None],
    costs: Sequence[float],
    demand: Mapping[str, int],
    weights: Mapping[str, float],
    tag_preferences: Mapping[str, float],
) -> tuple[list[float], list[dict[str, dict[str, float | None]]]]:
    """Weighted penalty per candidate, plus each rating's details for the decision log.

    Returns ``(total_penalties, details)`` where ``details[i][name]`` is
    ``{"raw", "penalty", "weight", "weighted"}``.
    """
    totals, columns = rating_columns(candidates, distances, costs, demand, weights, tag_preferences)
    details: list[dict[str, dict[str, float | None]]] = [
        {
            name: {"raw": raws[i], "penalty": pens[i], "weight": w, "weighted": w * pens[i]}
            for name, w, raws, pens in columns
        }
        for i in range(len(candidates))
    ]
    return totals, details
