"""The decision log: each candidate, the fence that removed it, its ratings, why the winner won.

Only fulfillmenttools shows its routing decisions; staff trust (and can debug) routing when they
can read them. The log is plain JSON (str/int/float/bool/None/list/dict) so it can be stored on the
order and replayed against a draft strategy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from routing.plan_types import CLICK_COLLECT, Candidate, PlannedFulfilment
from routing.ratings import RATING_SHIPPING_COST

if TYPE_CHECKING:  # solving's callers import this module; only type hints go the other way
    from routing.solving import Pool, Run, Solved

NO_COORDINATES_NOTE = (
    " The destination has no coordinates, so distances are unknown: routed by country, no"
    " distance limit applied, geodistance rated every location alike and shipping costs"
    " without their per-km part."
)
HEURISTIC_NOTE = (
    " The exact search exceeded its node budget; this plan comes from a greedy heuristic"
    " and may not be optimal."
)


def decision_log(
    *,
    run: Run,
    entries: list[dict],
    fulfilments: Sequence[PlannedFulfilment],
    pools: Sequence[tuple[Pool, Solved]],
    reasons: Sequence[str],
    why: str,
) -> dict[str, Any]:
    request, strategy = run.request, run.strategy
    split = strategy.split
    penalty = 0.0
    search: dict[str, Any] = {"mode": "none", "nodes": 0}
    for _pool, solved in pools:
        penalty += sum(solved.penalties[i] for i in solved.chosen)
        if solved.search is not None:
            result = solved.search
            search = {
                "mode": "exact" if result.exact else "heuristic",
                "phase": result.phase,
                "nodes": result.nodes,
                "node_budget": strategy.search_node_budget,
                "candidates_searched": len(solved.order),
                "largest_set_examined": result.largest_set_examined,
                "dominance_pruning": result.dominance_pruning,
            }
    dest = request.destination
    located = dest.latitude is not None and dest.longitude is not None
    if not located and request.delivery_type != CLICK_COLLECT:
        why += NO_COORDINATES_NOTE
    return {
        "strategy": {
            "name": strategy.name,
            "version": strategy.version,
            "rating_weights": dict(strategy.rating_weights),
            "tag_preferences": dict(strategy.tag_preferences),
            "max_distance_km": strategy.max_distance_km,
            "split": {
                "allowed": split.allowed,
                "max_parts": split.max_parts,
                "min_part_value": str(split.min_part_value),
            },
            "allow_transfer_to_pickup": strategy.allow_transfer_to_pickup,
            "transfer_days": strategy.transfer_days,
        },
        "request": {
            "delivery_type": request.delivery_type,
            "destination": {
                "country": dest.country,
                "latitude": dest.latitude,
                "longitude": dest.longitude,
                "distances_known": located,
            },
            "lines": [
                {
                    "line_id": ln.line_id,
                    "sku": ln.sku,
                    "quantity": ln.quantity,
                    "unit_price": str(ln.unit_price),
                }
                for ln in request.lines
            ],
            "channel_id": request.channel_id,
            "pickup_location_id": request.pickup_location_id,
            "excluded_location_ids": sorted(request.excluded_location_ids),
            "forced_location_id": request.forced_location_id,
        },
        "candidates": entries,
        "chosen": {
            "location_ids": [f.location_id for f in fulfilments],
            "fulfilments": [
                {
                    "location_id": f.location_id,
                    "transfer_to_location_id": f.transfer_to_location_id,
                    "lines": [
                        {"line_id": pl.line_id, "sku": pl.sku, "quantity": pl.quantity}
                        for pl in f.lines
                    ],
                    "cost": f.cost,
                    "distance_km": f.distance_km,
                }
                for f in fulfilments
            ],
            "objective": {
                "units": sum(pl.quantity for f in fulfilments for pl in f.lines),
                "units_requested": sum(ln.quantity for ln in run.lines),
                "parts": len(fulfilments),
                "penalty": penalty,
                "cost": sum(f.cost for f in fulfilments),
            },
        },
        "search": search,
        "reasons": list(reasons),
        "why": why,
    }


def _cost_only(run: Run) -> bool:
    weights = {k: v for k, v in run.strategy.rating_weights.items() if v}
    return set(weights) == {RATING_SHIPPING_COST}


def _units_text(n: int) -> str:
    return f"{n} unit" if n == 1 else f"{n} units"


def _merit(run: Run, solved: Solved, idx: int) -> str:
    cost = solved.costs[idx]
    if _cost_only(run):
        return f"cost {cost:.2f}"
    return f"penalty {solved.penalties[idx]:.3f}, cost {cost:.2f}"


def _choice(run: Run, pool: Pool, solved: Solved, complete: bool) -> str:
    """Why this set beat the others, e.g. 'at the lowest cost 4.20 (next best LOC-B: 6.10)'."""
    search = solved.search
    assert search is not None
    if len(solved.chosen) == 1:
        idx = solved.chosen[0]
        if _cost_only(run):
            text = f"at the lowest cost {solved.costs[idx]:.2f}"
        else:
            text = f"with the lowest {_merit(run, solved, idx)}"
        if search.runner_up_single is not None:
            ridx = solved.order[search.runner_up_single]
            text += f" (next best {pool.survivors[ridx].code}: {_merit(run, solved, ridx)})"
        elif complete:
            text += " (no other eligible location can do it alone)"
        return text
    cost = sum(solved.costs[i] for i in solved.chosen)
    text = f"in {len(solved.chosen)} parts, the fewest possible, at the lowest total "
    if _cost_only(run):
        return text + f"cost {cost:.2f}"
    penalty = sum(solved.penalties[i] for i in solved.chosen)
    return text + f"penalty {penalty:.3f} (cost {cost:.2f})"


def _best_alone(pool: Pool, solved: Solved) -> str:
    search = solved.search
    if search is None or search.best_single is None or len(solved.chosen) < 2:
        return ""
    idx = solved.order[search.best_single]
    return (
        f"no single location can do it (best alone: {pool.survivors[idx].code} with"
        f" {_units_text(search.best_single_units)}); "
    )


def _nothing(pool: Pool) -> str:
    if pool.survivors:
        return f"no allowed combination of the {len(pool.survivors)} eligible locations helps"
    if pool.stock_fenced:
        return "every location that passed the other fences lacks the stock (see stock fences)"
    return "no location passed the fences"


def _not_routable(reasons: Sequence[str]) -> str:
    return f"Not routable ({', '.join(reasons)}): " if reasons else ""


_SENTENCE_STARTERS = {"no", "pickup", "every", "not"}


def _sentence(text: str, exact: bool) -> str:
    # Capitalise our own words only: a sentence may start with a location code, and codes
    # are case-sensitive identifiers ("wh-munich", not "Wh-munich").
    if text.split(" ", 1)[0] in _SENTENCE_STARTERS:
        text = text[0].upper() + text[1:]
    text = text + "."
    return text if exact else text + HEURISTIC_NOTE


def why_ship(
    run: Run,
    pool: Pool,
    solved: Solved,
    fulfilments: Sequence[PlannedFulfilment],
    reasons: Sequence[str],
) -> str:
    total = sum(ln.quantity for ln in run.lines)
    units = _units(solved)
    if not solved.chosen:
        return _sentence(_not_routable(reasons) + _nothing(pool), solved.exact)
    codes = " + ".join(pool.survivors[i].code for i in solved.chosen)
    amount = f"all {_units_text(total)}" if units == total else f"{units} of {total} units"
    if len(solved.chosen) == 1:
        text = f"{codes} fulfils {amount} alone "
    else:
        text = f"{_best_alone(pool, solved)}{codes} fulfil {amount} "
    text += _choice(run, pool, solved, complete=units == total)
    return _sentence(_not_routable(reasons) + text, solved.exact)


def _units(solved: Solved) -> int:
    return sum(sum(part.values()) for part in solved.parts)


def why_click_collect(
    *,
    run: Run,
    store: Candidate | None,
    store_entry: dict | None,
    store_units: int,
    pool: Pool,
    solved: Solved,
    reasons: Sequence[str],
) -> str:
    total = sum(ln.quantity for ln in run.lines)
    prefix = _not_routable(reasons)
    if store is None or store_entry is None:
        pid = run.request.pickup_location_id
        return _sentence(f"{prefix}pickup location {pid} is not among the candidates", True)
    if store_entry["eliminated_by"] is not None:
        return _sentence(
            f"{prefix}pickup store {store.code} is fenced out"
            f" ({store_entry['eliminated_by']}: {store_entry['reason']})",
            True,
        )
    if store_units == total:
        return _sentence(f"pickup store {store.code} holds all {_units_text(total)}", True)
    text = f"{prefix}pickup store {store.code} holds {store_units} of {total} units"
    missing = total - store_units
    units = _units(solved)
    if not run.strategy.allow_transfer_to_pickup:
        text += "; the strategy allows no transfers into the store"
    elif solved.chosen:
        codes = " + ".join(pool.survivors[i].code for i in solved.chosen)
        amount = (
            f"the remaining {missing}"
            if units == missing
            else f"{units} of the remaining {missing}"
        )
        verb = "transfers" if len(solved.chosen) == 1 else "transfer"
        text += f"; {_best_alone(pool, solved)}{codes} {verb} {amount} into it "
        text += _choice(run, pool, solved, complete=units == missing)
    else:
        text += f"; the remaining {missing} cannot be transferred in"
    return _sentence(text, solved.exact)
