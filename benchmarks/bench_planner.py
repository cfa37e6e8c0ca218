"""Benchmark: plan a 5-line order over 200 candidate locations.

Run: ``.venv/bin/python benchmarks/bench_planner.py [--runs N]``. Prints median / p95 / p99 wall
time per ``plan_order`` call for four scenarios (fixed random seed, so runs are comparable):

* typical      - most locations can fulfil the whole order alone (the common case);
* split-2      - no location carries all five SKUs, two parts suffice;
* split-3      - every location carries at most two of the five SKUs: at least three parts;
* multi-weight - typical network, all six ratings weighted.

Target (see routing/planner.py): typical median <= 2 ms. Each call builds the full decision log,
as production does.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

# The repository root, so the script runs standalone from any working directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing.planner import (
    Candidate,
    Destination,
    PlanLine,
    RoutingRequest,
    StrategyConfig,
    plan_order,
)

SEED = 20240601
N_CANDIDATES = 200
SKUS = ("SKU-1", "SKU-2", "SKU-3", "SKU-4", "SKU-5")
ALL_RATINGS = {
    "geodistance": 1.0,
    "stock_depth": 0.5,
    "shipping_cost": 2.0,
    "workload": 0.3,
    "priority": 0.5,
    "tags": 0.2,
}


def _network(rng: random.Random, scenario: str) -> list[Candidate]:
    out = []
    for i in range(N_CANDIDATES):
        if scenario in ("typical", "multi-weight"):
            # 70 % carry everything, the rest a random subset.
            carried = SKUS if rng.random() < 0.7 else rng.sample(SKUS, rng.randint(1, 4))
        elif scenario == "split-2":
            carried = rng.sample(SKUS, rng.randint(2, 4))
        else:
            carried = rng.sample(SKUS, rng.randint(1, 2))
        out.append(
            Candidate(
                location_id=1000 + i,
                code=f"LOC-{i:03d}",
                name=f"Location {i}",
                kind=rng.choice(("warehouse", "store", "store", "store")),
                active=rng.random() > 0.03,
                country="DE",
                latitude=rng.uniform(47.5, 54.8),
                longitude=rng.uniform(6.0, 14.8),
                services=frozenset({"ship", "click_collect"}),
                channel_ids=frozenset({1, 2}),
                atp={sku: rng.randint(0, 30) for sku in carried},
                capacity_left=rng.choice((None, 5, 20, 100, 0)),
                base_cost=round(rng.uniform(3.0, 8.0), 2),
                cost_per_km=round(rng.uniform(0.001, 0.01), 4),
                priority=rng.randint(0, 3),
                tags=frozenset(rng.sample(("fast", "eco", "big", "city"), rng.randint(0, 2))),
            )
        )
    return out


def _request(rng: random.Random) -> RoutingRequest:
    lines = tuple(
        PlanLine(f"L{n}", sku, rng.randint(1, 3), Decimal(rng.randint(500, 9900)) / 100)
        for n, sku in enumerate(SKUS, start=1)
    )
    dest = Destination("DE", rng.uniform(47.5, 54.8), rng.uniform(6.0, 14.8))
    return RoutingRequest(lines=lines, destination=dest, channel_id=1)


def _percentile(sorted_ms: list[float], q: float) -> float:
    idx = min(len(sorted_ms) - 1, max(0, round(q * (len(sorted_ms) - 1))))
    return sorted_ms[idx]


def run(runs: int) -> None:
    rng = random.Random(SEED)
    strategies = {
        "typical": StrategyConfig(),
        "split-2": StrategyConfig(),
        "split-3": StrategyConfig(),
        "multi-weight": StrategyConfig(
            rating_weights=ALL_RATINGS, tag_preferences={"fast": 1.0, "eco": 0.5}
        ),
    }
    print(f"plan_order: 5-line order, {N_CANDIDATES} candidates, {runs} calls per scenario")
    print(f"{'scenario':<13} {'median':>8} {'p95':>8} {'p99':>8}  parts  exact  nodes(med)")
    for scenario, strategy in strategies.items():
        # 20 different networks and orders per scenario, each planned runs/20 times.
        cases = [(_request(rng), _network(rng, scenario)) for _ in range(20)]
        for request, network in cases:  # warm-up
            plan_order(request, network, strategy)
        timings: list[float] = []
        parts: set[int] = set()
        exact = True
        nodes: list[int] = []
        for r in range(runs):
            request, network = cases[r % len(cases)]
            start = time.perf_counter()
            plan = plan_order(request, network, strategy)
            timings.append((time.perf_counter() - start) * 1000.0)
            parts.add(len(plan.fulfilments))
            exact = exact and plan.optimal
            nodes.append(plan.decision_log["search"]["nodes"])
        timings.sort()
        median, p95, p99 = (
            statistics.median(timings),
            _percentile(timings, 0.95),
            _percentile(timings, 0.99),
        )
        print(
            f"{scenario:<13} {median:7.3f}ms {p95:7.3f}ms {p99:7.3f}ms"
            f"  {','.join(map(str, sorted(parts))):<5}  "
            f"{'yes' if exact else 'NO':<5}  {int(statistics.median(nodes))}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    run(parser.parse_args().runs)


if __name__ == "__main__":
    main()
