"""Shared steps of one planning run: fence a pool of candidates, rate and search it, and turn
the search result into fulfilments and reason codes.

Used by ``routing.planner`` (ship to address) and ``routing.pickup`` (click & collect); pure like
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from routing.allocation import Distributor, LineDemand, demand_by_sku
from routing.plan_types import (
    Candidate,
    PlannedFulfilment,
    PlannedLine,
    RoutingRequest,
    StrategyConfig,
)
from routing.pool import Pool
from routing.ratings import rating_columns, shipping_costs
from routing.search import SearchProblem, SearchResult, find_best_set

REASON_NO_CANDIDATE = "no_candidate"
REASON_FORCED_LOCATION_UNAVAILABLE = "forced_location_unavailable"
REASON_INSUFFICIENT_STOCK = "insufficient_stock"
REASON_SPLIT_NOT_ALLOWED = "split_not_allowed"
REASON_MAX_PARTS_EXCEEDED = "max_parts_exceeded"
REASON_MIN_PART_VALUE_NOT_MET = "min_part_value_not_met"
REASON_PICKUP_STORE_UNAVAILABLE = "pickup_store_unavailable"
REASON_PICKUP_STORE_INSUFFICIENT_STOCK = "pickup_store_insufficient_stock"
REASON_SEARCH_BUDGET_EXCEEDED = "search_budget_exceeded"
REASON_CODES: tuple[str, ...] = (
    REASON_NO_CANDIDATE,
    REASON_FORCED_LOCATION_UNAVAILABLE,
    REASON_INSUFFICIENT_STOCK,
    REASON_SPLIT_NOT_ALLOWED,
    REASON_MAX_PARTS_EXCEEDED,
    REASON_MIN_PART_VALUE_NOT_MET,
    REASON_PICKUP_STORE_UNAVAILABLE,
    REASON_PICKUP_STORE_INSUFFICIENT_STOCK,
    REASON_SEARCH_BUDGET_EXCEEDED,
)

# Penalties and costs are compared as integers so that ties are exact ties (decided by the next
# criterion) instead of being decided by floating-point noise in a sum.
PENALTY_SCALE = 10**9
COST_SCALE = 10**6
UNLIMITED_PARTS = 1 << 30  # "no maximum", kept an int so budgets can be subtracted


@dataclass
class Run:
    """Inputs of one planning run, shared by the helpers below."""

    request: RoutingRequest
    candidates: Sequence[Candidate]
    strategy: StrategyConfig
    lines: list[LineDemand]
    min_part_value: int  # scaled like LineDemand.price; 0 = no minimum
    # Some candidates stand for inbound stock (pre-orders): their waiting days rank first
    # in the penalty key (see ``solve``).
    waits: bool = False

    @property
    def max_parts(self) -> int:
        """Largest number of fulfilments the split policy allows for this order."""
        split = self.strategy.split
        if not split.allowed:
            return 1
        return UNLIMITED_PARTS if split.max_parts is None else split.max_parts


@dataclass
class Solved:
    """The search's answer for one pool, mapped back to candidates and lines."""

    chosen: list[int] = field(default_factory=list)  # pool survivor indexes, preference order
    parts: list[dict[int, int]] = field(default_factory=list)  # line index -> quantity
    costs: list[float] = field(default_factory=list)
    penalties: list[float] = field(default_factory=list)
    search: SearchResult | None = None
    problem: SearchProblem | None = None
    order: list[int] = field(default_factory=list)
    mpv_limit: int = 0  # most parts the minimum part value alone permits

    @property
    def exact(self) -> bool:
        return self.search is None or self.search.exact


def solve(
    run: Run, pool: Pool, lines: list[LineDemand], max_parts: int, fixed_parts: int
) -> Solved:
    """Rate the pool's survivors and search the best set for ``lines``.

    ``fixed_parts`` is the number of parts already decided (the click & collect store): with one,
    any part found here makes the order a split, so the minimum part value applies to all of them.
    """
    survivors = pool.survivors
    n = len(survivors)
    demand = demand_by_sku(lines)
    if not n or not demand:
        return Solved()
    strategy = run.strategy
    costs = shipping_costs(survivors, pool.kms)
    totals, columns = rating_columns(
        survivors, pool.kms, costs, demand, strategy.rating_weights, strategy.tag_preferences
    )
    pool.costs, pool.totals, pool.columns = costs, totals, columns
    pen_q = [round(t * PENALTY_SCALE) for t in totals]
    if run.waits:
        # Among sets of the same size, fewer waiting days (summed over the parts) win before
        # any rating: one day outweighs every possible sum of penalties. On-hand candidates
        # wait 0 days, so they are preferred to inbound stock, and earlier supply to later.
        step = n * (max(pen_q) + 1) + 1
        pen_q = [p + survivors[i].wait_days * step for i, p in enumerate(pen_q)]
    cost_q = [round(c * COST_SCALE) for c in costs]
    order = sorted(range(n), key=lambda i: (pen_q[i], cost_q[i], survivors[i].location_id))
    skus = list(demand)
    zeros = [0] * len(skus)
    rows = [tuple(map(survivors[i].atp.get, skus, zeros)) for i in order]
    if any(min(row) < 0 for row in rows):  # a feed glitch must not cancel other stock
        rows = [tuple(max(0, v) for v in row) for row in rows]
    distributor = Distributor(skus, lines)
    check_from = 1 if fixed_parts else 2
    mpv = run.min_part_value
    split_valid = None
    mpv_limit = n
    if mpv > 0:
        # k parts each worth at least mpv need k * mpv of goods: no need to search beyond that.
        order_value = sum(ln.quantity * ln.price for ln in lines)
        mpv_limit = min(n, max(check_from - 1, order_value // mpv))

        def split_valid(chosen: tuple[int, ...]) -> bool:
            values = distributor.part_values([rows[p] for p in chosen])
            return all(v >= mpv for v in values)

    # The last tie-break is the sorted tuple of location ids, not of positions (see search).
    by_id = sorted(range(n), key=lambda p: survivors[order[p]].location_id)
    id_rank = [0] * n
    for r, p in enumerate(by_id):
        id_rank[p] = r
    price_cap = [max((ln.price for ln in lines if ln.sku == sku), default=0) for sku in skus]
    problem = SearchProblem(
        demand=tuple(demand.values()),
        atp=rows,
        penalty=[pen_q[i] for i in order],
        cost=[cost_q[i] for i in order],
        max_parts=min(max_parts, mpv_limit),
        node_budget=strategy.search_node_budget,
        split_valid=split_valid,
        check_from_parts=check_from,
        min_part_value=mpv,
        unit_value_cap=price_cap,
        id_rank=id_rank,
    )
    result = find_best_set(problem)
    parts = distributor.distribute([rows[p] for p in result.chosen])
    chosen = [order[p] for p in result.chosen]
    keep = [i for i, part in enumerate(parts) if part]  # a heuristic may pick a useless member
    return Solved(
        chosen=[chosen[i] for i in keep],
        parts=[parts[i] for i in keep],
        costs=costs,
        penalties=totals,
        search=result,
        problem=problem,
        order=order,
        mpv_limit=mpv_limit,
    )


def fulfilments_of(
    pool: Pool, solved: Solved, lines: list[LineDemand], transfer_to: int | None
) -> list[PlannedFulfilment]:
    out = []
    for idx, part in zip(solved.chosen, solved.parts, strict=True):
        planned = tuple(
            PlannedLine(lines[li].line_id, lines[li].sku, q) for li, q in sorted(part.items())
        )
        c = pool.survivors[idx]
        out.append(
            PlannedFulfilment(
                location_id=c.location_id if c.inbound_at is None else c.inbound_at,
                lines=planned,
                transfer_to_location_id=transfer_to,
                cost=solved.costs[idx],
                distance_km=pool.kms[idx],
                available_on=c.available_on,
            )
        )
    return out


def shortfall_reasons(
    run: Run, pool: Pool, solved: Solved, lines: list[LineDemand], max_parts: int
) -> list[str]:
    """Why ``solved`` leaves units of ``lines`` unallocated: stock, candidates or split policy."""
    units = sum(sum(part.values()) for part in solved.parts)
    total = sum(ln.quantity for ln in lines)
    if units >= total:
        return []
    stocked = pool.survivors + pool.stock_fenced
    if not stocked:
        if run.request.forced_location_id is not None:
            return [REASON_NO_CANDIDATE, REASON_FORCED_LOCATION_UNAVAILABLE]
        return [REASON_NO_CANDIDATE]
    reachable = sum(
        min(qty, sum(max(0, c.atp.get(sku, 0)) for c in stocked))
        for sku, qty in demand_by_sku(lines).items()
    )
    reasons = []
    if reachable < total:
        reasons.append(REASON_INSUFFICIENT_STOCK)
    if units < reachable:
        reasons.extend(policy_reasons(run, solved, units, reachable, max_parts))
    return reasons


def policy_reasons(
    run: Run, solved: Solved, units: int, reachable: int, max_parts: int
) -> list[str]:
    """Which split rule kept units unallocated although the eligible stock could cover them."""
    split = run.strategy.split
    if not split.allowed:
        return [REASON_SPLIT_NOT_ALLOWED]
    reasons = []
    mpv = run.min_part_value
    if max_parts < solved.mpv_limit or solved.problem is None:
        # Fewer parts than the minimum part value alone would permit: would more have helped?
        relaxed_units = reachable
        if mpv > 0 and solved.problem is not None:
            relaxed = find_best_set(replace(solved.problem, max_parts=solved.mpv_limit))
            relaxed_units = relaxed.units
        if relaxed_units > units:
            reasons.append(REASON_MAX_PARTS_EXCEEDED)
        if mpv > 0 and relaxed_units < reachable:
            reasons.append(REASON_MIN_PART_VALUE_NOT_MET)
    elif mpv > 0:
        reasons.append(REASON_MIN_PART_VALUE_NOT_MET)
    if not reasons and not solved.exact:
        reasons.append(REASON_SEARCH_BUDGET_EXCEEDED)
    return reasons


def unallocated_of(lines: list[LineDemand], allocated: dict[str, int]) -> dict[str, int]:
    return {
        ln.line_id: ln.quantity - allocated.get(ln.line_id, 0)
        for ln in lines
        if ln.quantity > allocated.get(ln.line_id, 0)
    }


def allocated_of(fulfilments: Sequence[PlannedFulfilment]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for f in fulfilments:
        for pl in f.lines:
            totals[pl.line_id] = totals.get(pl.line_id, 0) + pl.quantity
    return totals
