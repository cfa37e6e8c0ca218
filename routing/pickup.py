"""Click & collect routing: the pickup store first, then transfers into it if allowed."""

from __future__ import annotations

from routing import explain
from routing.allocation import Distributor, demand_by_sku
from routing.fences import ROLE_PICKUP_STORE, ROLE_TRANSFER_SOURCE, FenceContext
from routing.plan_types import Plan, PlannedFulfilment, PlannedLine
from routing.pool import Pool, fence_pool
from routing.solving import (
    REASON_MAX_PARTS_EXCEEDED,
    REASON_MIN_PART_VALUE_NOT_MET,
    REASON_PICKUP_STORE_INSUFFICIENT_STOCK,
    REASON_PICKUP_STORE_UNAVAILABLE,
    REASON_SPLIT_NOT_ALLOWED,
    Run,
    Solved,
    allocated_of,
    fulfilments_of,
    shortfall_reasons,
    solve,
    unallocated_of,
)


def plan_click_collect(run: Run) -> Plan:
    """Pickup store first; what it lacks is transferred in (if the strategy allows) or missing.

    The store's own stock is always used first: it needs no transfer, so it is the fastest way to
    get the goods into the customer's hands. Transfers are fulfilments too, so they count as parts
    of a split (maximum parts, minimum part value - the store's part included).
    """
    request, strategy, lines = run.request, run.strategy, run.lines
    store = next((c for c in run.candidates if c.location_id == request.pickup_location_id), None)
    # Transfer sources send to the store, so the store is their destination.
    dest = request.destination
    country, lat, lon = dest.country, dest.latitude, dest.longitude
    if store is not None:
        country = store.country
        if store.latitude is not None and store.longitude is not None:
            lat, lon = store.latitude, store.longitude

    def context(role: str, demand: dict[str, int], need_complete: bool) -> FenceContext:
        return FenceContext(
            role=role,
            destination_country=country,
            destination_latitude=lat,
            destination_longitude=lon,
            demand=demand,
            need_complete=need_complete,
            forced_location_id=request.forced_location_id,
            excluded_location_ids=request.excluded_location_ids,
            channel_id=request.channel_id,
            allow_transfer=strategy.allow_transfer_to_pickup,
            max_distance_km=strategy.max_distance_km,
        )

    store_pool = Pool()
    if store is not None:
        fence_pool([store], context(ROLE_PICKUP_STORE, {}, False), store_pool)
    store_ok = bool(store_pool.survivors)

    store_part: dict[int, int] = {}
    if store is not None and store_ok and request.forced_location_id in (None, store.location_id):
        skus = list(demand_by_sku(lines))
        row = tuple(max(0, store.atp.get(sku, 0)) for sku in skus)
        store_part = Distributor(skus, lines).distribute([row])[0]
    remainder = [
        ln._replace(quantity=ln.quantity - store_part.get(i, 0))
        for i, ln in enumerate(lines)
        if ln.quantity > store_part.get(i, 0)
    ]
    fixed_parts = 1 if store_part else 0
    budget = run.max_parts - fixed_parts
    budget_reason = (
        REASON_SPLIT_NOT_ALLOWED if not strategy.split.allowed else REASON_MAX_PARTS_EXCEEDED
    )
    store_value = sum(q * lines[li].price for li, q in store_part.items())
    if fixed_parts and run.min_part_value > 0 and store_value < run.min_part_value:
        # Any transfer would make the store's part a too-small part of a split.
        budget, budget_reason = 0, REASON_MIN_PART_VALUE_NOT_MET

    source_pool = Pool()
    others = [c for c in run.candidates if c is not store]
    source_demand = demand_by_sku(remainder if store_ok else lines)
    fence_pool(others, context(ROLE_TRANSFER_SOURCE, source_demand, budget <= 1), source_pool)
    if store_ok and not remainder:
        source_pool.survivor_reason = "not needed: the pickup store holds every unit"

    fulfilments: list[PlannedFulfilment] = []
    if store is not None and store_part:
        fulfilments.append(
            PlannedFulfilment(
                location_id=store.location_id,
                lines=tuple(
                    PlannedLine(lines[li].line_id, lines[li].sku, q)
                    for li, q in sorted(store_part.items())
                ),
                cost=float(store.base_cost),
                distance_km=0.0,
            )
        )
    solved = Solved()
    reasons: list[str] = []
    if store is None or not store_ok:
        reasons = [REASON_PICKUP_STORE_UNAVAILABLE]
    elif remainder:
        reasons = [REASON_PICKUP_STORE_INSUFFICIENT_STOCK]
        if strategy.allow_transfer_to_pickup and budget <= 0:
            reasons.append(budget_reason)
        elif strategy.allow_transfer_to_pickup:
            solved = solve(run, source_pool, remainder, budget, fixed_parts)
            fulfilments += fulfilments_of(source_pool, solved, remainder, store.location_id)
            reasons += shortfall_reasons(run, source_pool, solved, remainder, budget)
    unallocated = unallocated_of(lines, allocated_of(fulfilments))
    if not unallocated:
        reasons = []

    def log() -> dict:
        return explain.decision_log(
            run=run,
            entries=store_pool.entries() + source_pool.entries(),
            fulfilments=fulfilments,
            pools=[(source_pool, solved)],
            reasons=reasons,
            why=explain.why_click_collect(
                run=run,
                store=store,
                store_entry=store_pool.entries()[0] if store_pool.candidates else None,
                store_units=sum(store_part.values()),
                pool=source_pool,
                solved=solved,
                reasons=reasons,
            ),
        )

    return Plan(
        routable=not unallocated,
        fulfilments=tuple(fulfilments),
        unallocated=unallocated,
        reasons=tuple(reasons),
        log_builder=log,
        optimal=solved.exact,
    )
