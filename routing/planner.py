"""Order routing planner: which locations fulfil which units of an order, and why.

A pure function over plain data (``plan_order``): the ORM adapter snapshots locations into
``Candidate`` objects, the planner returns a ``Plan`` with a JSON decision log, and the caller
reserves stock. Keeping the ORM out makes routing testable without a database, cheap to benchmark,
and replayable against a draft strategy.

Pipeline (shared steps in ``routing.solving``; click & collect in ``routing.pickup``): fences
(``routing.fences``) remove locations that must not fulfil; ratings
(``routing.ratings``) turn the survivors' distance, cost, stock depth... into one penalty each; the
exact search (``routing.search``) picks the set of locations; ``routing.allocation`` hands the
units to the order lines; ``routing.explain`` writes the decision log, when it is first read
(``Plan.decision_log``). ``routing.pool`` fences eagerly only the candidates holding some of the
order's SKUs, and ``routing.shortcut`` answers without rating or search when one location
provably wins alone.

Objective (default strategy), lexicographic: (1) most units allocated, (2) fewest fulfilments,
(3) lowest sum of the chosen locations' weighted penalties, (4) lower total shipping cost, then
the lexicographically smallest sorted tuple of location ids. With the default weights
{"shipping_cost": 1.0}, (3) is lowest total shipping cost: for a fixed number of parts k, the sum
of min-max normalised costs is ``(sum(cost) - k * min_cost) / (max_cost - min_cost)``, an affine
function of the total cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from routing import explain
from routing.allocation import demand_by_sku, line_demands, price_scale, scaled
from routing.fences import FENCE_CODES, ROLE_SHIP, FenceContext
from routing.geo import haversine_km
from routing.pickup import plan_click_collect
from routing.plan_types import (
    CLICK_COLLECT,
    DELIVERY_TYPES,
    SHIP,
    Candidate,
    Destination,
    Plan,
    PlanLine,
    PlannedFulfilment,
    PlannedLine,
    RoutingRequest,
    SplitPolicy,
    StrategyConfig,
)
from routing.pool import Pool, fence_pool
from routing.ratings import RATING_NAMES
from routing.shortcut import best_single
from routing.solving import (
    REASON_CODES,
    REASON_FORCED_LOCATION_UNAVAILABLE,
    REASON_INSUFFICIENT_STOCK,
    REASON_MAX_PARTS_EXCEEDED,
    REASON_MIN_PART_VALUE_NOT_MET,
    REASON_NO_CANDIDATE,
    REASON_PICKUP_STORE_INSUFFICIENT_STOCK,
    REASON_PICKUP_STORE_UNAVAILABLE,
    REASON_SEARCH_BUDGET_EXCEEDED,
    REASON_SPLIT_NOT_ALLOWED,
    Run,
    Solved,
    allocated_of,
    fulfilments_of,
    shortfall_reasons,
    solve,
    unallocated_of,
)

__all__ = [
    "CLICK_COLLECT",
    "FENCE_CODES",
    "RATING_NAMES",
    "REASON_CODES",
    "REASON_FORCED_LOCATION_UNAVAILABLE",
    "REASON_INSUFFICIENT_STOCK",
    "REASON_MAX_PARTS_EXCEEDED",
    "REASON_MIN_PART_VALUE_NOT_MET",
    "REASON_NO_CANDIDATE",
    "REASON_PICKUP_STORE_INSUFFICIENT_STOCK",
    "REASON_PICKUP_STORE_UNAVAILABLE",
    "REASON_SEARCH_BUDGET_EXCEEDED",
    "REASON_SPLIT_NOT_ALLOWED",
    "SHIP",
    "Candidate",
    "Destination",
    "Plan",
    "PlanLine",
    "PlannedFulfilment",
    "PlannedLine",
    "RoutingRequest",
    "SplitPolicy",
    "StrategyConfig",
    "haversine_km",
    "plan_order",
    "validate_strategy",
]


def validate_strategy(config: StrategyConfig) -> list[str]:
    """Human-readable problems with a strategy; empty when it can be activated.

    The admin calls this before saving so a broken strategy is refused at the desk instead of
    failing every order; ``plan_order`` calls it too and raises ``ValueError``.
    """
    problems: list[str] = []
    for name, weight in config.rating_weights.items():
        if name not in RATING_NAMES:
            problems.append(f"unknown rating {name!r} (known: {', '.join(RATING_NAMES)})")
        if not _is_number(weight):
            problems.append(f"rating {name!r}: the weight must be a finite number")
        elif weight < 0:
            problems.append(f"rating {name!r}: the weight must not be negative")
    for tag, bonus in config.tag_preferences.items():
        if not _is_number(bonus):
            problems.append(f"tag {tag!r}: the preference must be a finite number")
    if config.max_distance_km is not None and (
        not _is_number(config.max_distance_km) or config.max_distance_km <= 0
    ):
        problems.append("max_distance_km must be a positive number (or empty for no limit)")
    split = config.split
    if split.max_parts is not None and split.max_parts < 1:
        problems.append("split.max_parts must be at least 1 (or empty for no limit)")
    mpv = split.min_part_value
    if not isinstance(mpv, Decimal) or not mpv.is_finite() or mpv < 0:
        problems.append("split.min_part_value must be a non-negative amount")
    if config.transfer_days < 0:
        problems.append("transfer_days must not be negative")
    if config.search_node_budget < 1:
        problems.append("search_node_budget must be at least 1")
    return problems


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_request(request: RoutingRequest) -> None:
    if request.delivery_type not in DELIVERY_TYPES:
        raise ValueError(f"unknown delivery type {request.delivery_type!r}")
    if request.delivery_type == CLICK_COLLECT and request.pickup_location_id is None:
        raise ValueError("click & collect needs a pickup_location_id")
    seen: set[str] = set()
    for line in request.lines:
        if line.line_id in seen:
            raise ValueError(f"duplicate line_id {line.line_id!r}")
        seen.add(line.line_id)
        if line.quantity < 0:
            raise ValueError(f"line {line.line_id!r}: negative quantity")
        if not line.unit_price.is_finite() or line.unit_price < 0:
            raise ValueError(f"line {line.line_id!r}: unit_price must be a non-negative amount")


def plan_order(
    request: RoutingRequest,
    candidates: Sequence[Candidate],
    strategy: StrategyConfig,
    inbound: Sequence[Candidate] = (),
    *,
    explained: bool = False,
) -> Plan:
    """Route one order: choose locations and quantities, and explain the choice.

    ``explained``: the caller reads the decision log anyway (order routing stores it), so
    the single-location shortcut is skipped: the log needs the full pipeline, which then runs
    once instead of after the shortcut. The plan is the same either way.

    ``inbound`` (pre-orders, ship to address only): candidates standing for sellable inbound
    stock (``Candidate.inbound_at``). They are used only when the on-hand candidates cannot
    route the whole order; then the plan over both minimises (1) units unallocated, (2) parts,
    (3) waiting days summed over the parts (on hand waits 0: preferred), then the strategy's
    penalties, cost and ids as usual. A forced location takes no inbound stock.

    Raises ``ValueError`` for an invalid strategy (see ``validate_strategy``), a malformed
    request (duplicate line ids, negative quantities, click & collect without a pickup store) or
    duplicate candidates.
    An order that cannot be (fully) routed is not an error: the plan says ``routable=False``
    with reason codes and carries the best partial allocation the split policy allows.
    """
    problems = validate_strategy(strategy)
    if problems:
        raise ValueError("invalid routing strategy: " + "; ".join(problems))
    _check_request(request)
    if len({c.location_id for c in candidates}) != len(candidates):
        raise ValueError("candidates must have distinct location_ids")
    scale = price_scale([ln.unit_price for ln in request.lines] + [strategy.split.min_part_value])
    run = Run(
        request=request,
        candidates=candidates,
        strategy=strategy,
        lines=line_demands(request.lines, scale),
        min_part_value=scaled(strategy.split.min_part_value, scale),
    )
    if request.delivery_type != SHIP:
        return plan_click_collect(run)
    plan = _plan_ship(run, explained)
    if plan.routable or not inbound or request.forced_location_id is not None:
        return plan
    return _plan_ship_with_inbound(run, inbound)


def _plan_ship(run: Run, explained: bool = False) -> Plan:
    request, strategy = run.request, run.strategy
    dest = request.destination
    max_parts = run.max_parts
    ctx = FenceContext(
        role=ROLE_SHIP,
        destination_country=dest.country,
        destination_latitude=dest.latitude,
        destination_longitude=dest.longitude,
        demand=demand_by_sku(run.lines),
        need_complete=max_parts == 1,
        forced_location_id=request.forced_location_id,
        excluded_location_ids=request.excluded_location_ids,
        channel_id=request.channel_id,
        max_distance_km=strategy.max_distance_km,
    )
    single = None if explained else best_single(run.candidates, ctx, strategy)
    if single is None:
        return _ship_plan(*_solve_ship(run, ctx))
    lines = run.lines
    fulfilment = PlannedFulfilment(
        location_id=single.candidate.location_id,
        lines=tuple(PlannedLine(ln.line_id, ln.sku, ln.quantity) for ln in lines),
        cost=single.cost,
        distance_km=single.distance_km,
    )
    return Plan(
        routable=True,
        fulfilments=(fulfilment,),
        unallocated={},
        reasons=(),
        # The explanation comes from the full pipeline, which chooses the same location.
        log_builder=lambda: _ship_plan(*_solve_ship(run, ctx)).decision_log,
        optimal=True,
    )


def _plan_ship_with_inbound(run: Run, inbound: Sequence[Candidate]) -> Plan:
    """The on-hand candidates could not route the order: plan over them and the inbound
    stand-ins together (see ``plan_order``); a location excluded for the order is excluded
    for its inbound stock too."""
    request = run.request
    if len({c.location_id for c in inbound} | {c.location_id for c in run.candidates}) != len(
        inbound
    ) + len(run.candidates):
        raise ValueError("inbound candidates need location_ids distinct from the others")
    excluded = request.excluded_location_ids
    twins_excluded = frozenset(c.location_id for c in inbound if c.inbound_at in excluded)
    union = replace(run, candidates=[*run.candidates, *inbound], waits=True)
    dest = request.destination
    ctx = FenceContext(
        role=ROLE_SHIP,
        destination_country=dest.country,
        destination_latitude=dest.latitude,
        destination_longitude=dest.longitude,
        demand=demand_by_sku(run.lines),
        need_complete=union.max_parts == 1,
        excluded_location_ids=excluded | twins_excluded,
        channel_id=request.channel_id,
        max_distance_km=run.strategy.max_distance_km,
    )
    plan = _ship_plan(*_solve_ship(union, ctx))
    waits = {c.location_id: c.wait_days for c in inbound}
    used = [f for f in plan.fulfilments if f.available_on is not None]
    builder = plan.log_builder

    def log() -> dict:
        out = builder()
        for entry, part in zip(out["chosen"]["fulfilments"], plan.fulfilments, strict=True):
            entry["available_on"] = part.available_on.isoformat() if part.available_on else None
        out["inbound"] = {
            "considered": len(inbound),
            "used": len(used),
            "objective": "on-hand stock could not route the order: most units, then fewest "
            "parts, then fewest waiting days summed over the parts (on hand waits 0), then "
            "the strategy's penalties and cost",
            "wait_days": {str(k): v for k, v in sorted(waits.items())},
            "promised_dates": sorted({f.available_on.isoformat() for f in used if f.available_on}),
        }
        if used:
            out["why"] = (
                f"{out['why']} Pre-order: {len(used)} part(s) wait for inbound stock "
                f"(expected {', '.join(out['inbound']['promised_dates'])}); no on-hand plan "
                "covered the order."
            )
        return out

    return replace(plan, log_builder=log)


def _solve_ship(run: Run, ctx: FenceContext) -> tuple[Run, Pool, Solved]:
    pool = Pool()
    fence_pool(run.candidates, ctx, pool)
    return run, pool, solve(run, pool, run.lines, run.max_parts, fixed_parts=0)


def _ship_plan(run: Run, pool: Pool, solved: Solved) -> Plan:
    fulfilments = fulfilments_of(pool, solved, run.lines, transfer_to=None)
    unallocated = unallocated_of(run.lines, allocated_of(fulfilments))
    reasons = shortfall_reasons(run, pool, solved, run.lines, run.max_parts) if unallocated else []

    def log() -> dict:
        return explain.decision_log(
            run=run,
            entries=pool.entries(),
            fulfilments=fulfilments,
            pools=[(pool, solved)],
            reasons=reasons,
            why=explain.why_ship(run, pool, solved, fulfilments, reasons),
        )

    return Plan(
        routable=not unallocated,
        fulfilments=tuple(fulfilments),
        unallocated=unallocated,
        reasons=tuple(reasons),
        log_builder=log,
        optimal=solved.exact,
    )
