"""Benchmark: ``plan_order`` over seeded random networks, median / p95 / p99 per call.

Run: ``.venv/bin/python benchmarks/bench_planner.py [--runs N] [--scenario NAME ...] [--log]``.
Every scenario is built from a fixed seed, so runs are comparable. Times are the process's CPU
time per call by default (``--clock wall`` for elapsed time): on a shared machine wall time also
counts the wait for a core. The decision log is built when it is first read; ``--log`` reads it
inside the timed call, as order intake does when it stores it.

Original scenarios (a 5-line order over 200 locations that carry only the order's 5 SKUs):

* typical      - most locations can fulfil the whole order alone;
* split-2      - no location carries all five SKUs, two parts suffice;
* split-3      - every location carries at most two of the five SKUs: at least three parts;
* multi-weight - typical network, all six ratings weighted.

Catalogue scenarios (issue 13; locations around real German cities, an 80-SKU catalogue, so most
locations hold none of an order's SKUs; candidates carry the stock of the order's SKUs only, as
``routing_snapshot`` builds them):

* typical-200 / typical-400 - 1-5-line orders; 6 % of the locations are warehouses carrying
  75 % of the catalogue, the stores carry 5 % of it, thinly. Target: median <= 0.1 ms,
  p99 <= 1 ms.
* thin-8 - 8-line orders over 400 locations, stock scattered thinly (30 % of the locations
  hold 1-2 units of 1-2 of the order's SKUs): the optimum needs several parts.
* thin-5to8 - 5-8-line orders over 200-400 locations, the same thin stock. Target for both:
  exact within the node budget in >= 99 % of the cases.

Columns: parts (distribution over the distinct cases), exact (share of the distinct cases the
exact search solved within the node budget), nodes (median).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
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
# (latitude, longitude) of German cities: locations and destinations cluster around them.
CITIES = (
    (52.520, 13.405),  # Berlin
    (53.551, 9.994),  # Hamburg
    (48.135, 11.582),  # Munich
    (50.938, 6.960),  # Cologne
    (50.110, 8.682),  # Frankfurt
    (48.776, 9.183),  # Stuttgart
    (51.227, 6.773),  # Duesseldorf
    (51.514, 7.466),  # Dortmund
    (51.456, 7.012),  # Essen
    (51.340, 12.375),  # Leipzig
    (53.079, 8.802),  # Bremen
    (51.050, 13.738),  # Dresden
    (52.376, 9.732),  # Hanover
    (49.452, 11.077),  # Nuremberg
    (51.432, 6.762),  # Duisburg
    (51.482, 7.216),  # Bochum
    (51.256, 7.150),  # Wuppertal
    (52.021, 8.532),  # Bielefeld
    (50.737, 7.098),  # Bonn
    (51.962, 7.626),  # Muenster
    (49.487, 8.466),  # Mannheim
    (49.007, 8.404),  # Karlsruhe
    (48.371, 10.898),  # Augsburg
    (50.078, 8.240),  # Wiesbaden
    (54.323, 10.123),  # Kiel
    (50.978, 11.033),  # Erfurt
    (54.092, 12.099),  # Rostock
    (49.992, 8.247),  # Mainz
    (47.999, 7.842),  # Freiburg
    (49.013, 12.102),  # Regensburg
)
CATALOGUE = tuple(f"C-{i:03d}" for i in range(80))


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


# -- catalogue networks (issue 13) -------------------------------------------------------------


def _near_city(rng: random.Random) -> tuple[float, float]:
    lat, lon = rng.choice(CITIES)
    return lat + rng.gauss(0.0, 0.08), lon + rng.gauss(0.0, 0.12)


def _location(rng: random.Random, i: int, warehouse: bool, atp: dict[str, int]) -> Candidate:
    lat, lon = _near_city(rng)
    return Candidate(
        location_id=1000 + i,
        code=f"{'WH' if warehouse else 'ST'}-{i:03d}",
        name=f"Location {i}",
        kind="warehouse" if warehouse else "store",
        active=rng.random() > 0.02,
        country="DE",
        latitude=lat,
        longitude=lon,
        services=frozenset({"ship", "click_collect"}),
        channel_ids=frozenset({1, 2}),
        atp=atp,
        capacity_left=rng.choice((None, None, None, 50, 200, 0)),
        base_cost=round(rng.uniform(4.0, 6.0) if warehouse else rng.uniform(5.0, 9.0), 2),
        cost_per_km=round(rng.uniform(0.002, 0.008), 4),
        priority=rng.randint(0, 3),
        tags=frozenset(rng.sample(("fast", "eco", "big", "city"), rng.randint(0, 2))),
    )


def typical_case(
    rng: random.Random, n_locations: int
) -> tuple[RoutingRequest, list[Candidate], StrategyConfig]:
    """A 1-5-line order over a catalogue network: most locations hold none of its SKUs."""
    network = []
    for i in range(n_locations):
        warehouse = rng.random() < 0.06
        if warehouse:
            carried = [s for s in CATALOGUE if rng.random() < 0.75]
            atp = {s: rng.randint(5, 200) for s in carried}
        else:
            carried = [s for s in CATALOGUE if rng.random() < 0.05]
            atp = {s: rng.randint(1, 8) for s in carried}
        network.append(_location(rng, i, warehouse, atp))
    lines = tuple(
        PlanLine(f"L{n}", sku, rng.randint(1, 2), Decimal(rng.randint(500, 9900)) / 100)
        for n, sku in enumerate(rng.sample(CATALOGUE, rng.randint(1, 5)), start=1)
    )
    dest = Destination("DE", *_near_city(rng))
    request = RoutingRequest(lines=lines, destination=dest, channel_id=1)
    return request, _as_snapshot(network, request), StrategyConfig()


def _as_snapshot(network: list[Candidate], request: RoutingRequest) -> list[Candidate]:
    """The candidates as ``routing.selectors.routing_snapshot`` builds them for this order:
    each location's positive stock of the order's SKUs only."""
    skus = {ln.sku for ln in request.lines}
    return [
        replace(c, atp={s: q for s, q in c.atp.items() if s in skus and q > 0}) for c in network
    ]


def thin_case(
    rng: random.Random, n_locations: int, n_lines: int
) -> tuple[RoutingRequest, list[Candidate], StrategyConfig]:
    """An order whose SKUs are scattered thinly: no location holds much of it."""
    skus = rng.sample(CATALOGUE, n_lines)
    others = [s for s in CATALOGUE if s not in skus]
    network = []
    for i in range(n_locations):
        atp = {s: rng.randint(1, 20) for s in rng.sample(others, rng.randint(0, 4))}
        if rng.random() < 0.3:
            for sku in rng.sample(skus, rng.randint(1, 2)):
                atp[sku] = rng.randint(1, 2)
        network.append(_location(rng, i, False, atp))
    lines = tuple(
        PlanLine(f"L{n}", sku, rng.randint(1, 3), Decimal(rng.randint(500, 9900)) / 100)
        for n, sku in enumerate(skus, start=1)
    )
    dest = Destination("DE", *_near_city(rng))
    request = RoutingRequest(lines=lines, destination=dest, channel_id=1)
    return request, _as_snapshot(network, request), StrategyConfig()


Case = tuple[RoutingRequest, list[Candidate], StrategyConfig]


def _classic(scenario: str) -> Callable[[random.Random], Case]:
    strategy = (
        StrategyConfig(rating_weights=ALL_RATINGS, tag_preferences={"fast": 1.0, "eco": 0.5})
        if scenario == "multi-weight"
        else StrategyConfig()
    )

    def build(rng: random.Random) -> Case:
        request = _request(rng)
        return request, _network(rng, scenario), strategy

    return build


SCENARIOS: dict[str, Callable[[random.Random], Case]] = {
    "typical": _classic("typical"),
    "split-2": _classic("split-2"),
    "split-3": _classic("split-3"),
    "multi-weight": _classic("multi-weight"),
    "typical-200": lambda rng: typical_case(rng, 200),
    "typical-400": lambda rng: typical_case(rng, 400),
    "thin-8": lambda rng: thin_case(rng, 400, 8),
    "thin-5to8": lambda rng: thin_case(rng, rng.choice((200, 300, 400)), rng.randint(5, 8)),
}
# Distinct cases per scenario (each planned runs / cases times).
CASES = {"typical": 20, "split-2": 20, "split-3": 20, "multi-weight": 20}
DEFAULT_CASES = 200


def build_cases(scenario: str, count: int) -> list[Case]:
    """``count`` cases of one scenario, from a seed of its own (same cases in every run)."""
    rng = random.Random(f"{SEED}-{scenario}")
    return [SCENARIOS[scenario](rng) for _ in range(count)]


def _percentile(sorted_ms: list[float], q: float) -> float:
    idx = min(len(sorted_ms) - 1, max(0, round(q * (len(sorted_ms) - 1))))
    return sorted_ms[idx]


def run(runs: int, scenarios: list[str], cases_override: int | None, log: bool, clock: str) -> None:
    now = time.process_time if clock == "cpu" else time.perf_counter
    print(f"plan_order, {runs} calls per scenario, {clock} time per call")
    print(
        f"{'scenario':<13} {'median':>8} {'p95':>8} {'p99':>8}  {'exact':>6}  "
        f"{'nodes(med)':>10}  parts"
    )
    for scenario in scenarios:
        count = cases_override or CASES.get(scenario, DEFAULT_CASES)
        cases = build_cases(scenario, count)
        exact = 0
        parts: Counter[int] = Counter()
        nodes: list[int] = []
        for request, network, strategy in cases:  # warm-up, and the per-case figures
            plan = plan_order(request, network, strategy)
            exact += plan.optimal
            parts[len(plan.fulfilments)] += 1
            nodes.append(plan.decision_log["search"]["nodes"])
        timings: list[float] = []
        for r in range(runs):
            request, network, strategy = cases[r % len(cases)]
            start = now()
            plan = plan_order(request, network, strategy)
            if log:
                _ = plan.decision_log  # built on first read, as storing it does
            timings.append((now() - start) * 1000.0)
        timings.sort()
        median, p95, p99 = (
            statistics.median(timings),
            _percentile(timings, 0.95),
            _percentile(timings, 0.99),
        )
        spread = " ".join(f"{k}:{v}" for k, v in sorted(parts.items()))
        print(
            f"{scenario:<13} {median:7.3f}ms {p95:7.3f}ms {p99:7.3f}ms  "
            f"{100.0 * exact / len(cases):5.1f}%  {int(statistics.median(nodes)):>10}  {spread}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=None, help="distinct cases per scenario")
    parser.add_argument(
        "--scenario", action="append", choices=list(SCENARIOS), help="repeatable; default all"
    )
    parser.add_argument("--log", action="store_true", help="also read the decision log")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="cpu (default): this process's CPU time, steady on a shared machine; wall: elapsed",
    )
    args = parser.parse_args()
    run(args.runs, args.scenario or list(SCENARIOS), args.cases, args.log, args.clock)


if __name__ == "__main__":
    main()
