"""Benchmark: POST /api/v1/routing/simulate/ end to end, in process, on PostgreSQL.

    .venv/bin/python -m benchmarks.bench_simulate                 # 200 locations, 500 requests
    .venv/bin/python -m benchmarks.bench_simulate --locations 500 --requests 1000

Uses PostgreSQL from DATABASE_URL (default postgres://postgres@127.0.0.1:5432/oms_bench,
created and migrated if missing). Creates a channel (bench-sim), an API key, N locations spread
over Germany (a quarter of them click & collect stores) and 2,000 SKUs, each location holding
a random 20 % of the SKUs. Each request is a 5-line order shipped to a random German address,
sent through django.test.Client (URL routing, API-key authentication, serializers, the
snapshot queries, the planner, JSON rendering). Prints latency percentiles, the queries per
request and how often the plan was a split; then deletes what it created.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import delete_bench_data, describe_ms, setup_django

LOCATION_PREFIX = "bench-sim-"
SKU_PREFIX = "BENCH-SIM-"
CHANNEL_CODE = "bench-sim"
URL = "/api/v1/routing/simulate/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locations", type=int, default=200, help="default: 200")
    parser.add_argument("--skus", type=int, default=2000, help="default: 2,000")
    parser.add_argument("--lines", type=int, default=5, help="lines per order (default: 5)")
    parser.add_argument("--requests", type=int, default=500, help="default: 500")
    parser.add_argument("--keep", action="store_true", help="keep the data")
    args = parser.parse_args()

    setup_django()
    from django.db import connection
    from django.test import Client

    print(
        f"database {connection.settings_dict['NAME']}: {args.locations} locations, "
        f"{args.skus:,} SKUs, {args.lines}-line orders, {args.requests} requests"
    )
    delete_bench_data(
        location_prefix=LOCATION_PREFIX, sku_prefix=SKU_PREFIX, channel_prefix=CHANNEL_CODE
    )
    rng = random.Random(20240601)
    try:
        started = time.perf_counter()
        raw_key = _create_network(args.locations, args.skus, rng)
        with connection.cursor() as cursor:
            # Fresh bulk-loaded tables have no planner statistics (autovacuum would gather them
            # within a minute in production); without them PostgreSQL scans the stock table.
            cursor.execute("ANALYZE inventory_stocklevel, inventory_location, inventory_product")
        print(f"created the network in {time.perf_counter() - started:.1f} s")
        client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        skus = [f"{SKU_PREFIX}{n:05d}" for n in range(args.skus)]
        bodies = [_order(rng, skus, args.lines) for _ in range(args.requests + 20)]

        for body in bodies[:20]:  # warm up: connection, caches, last_used_at
            _post(client, body)
        queries: list[str] = []

        def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            _post(client, bodies[0])
        samples: list[float] = []
        outcomes: list[dict] = []
        for body in bodies[20:]:
            began = time.perf_counter()
            outcome = _post(client, body)
            samples.append(time.perf_counter() - began)
            outcomes.append(outcome)
        parts = [len(o["fulfilments"]) for o in outcomes]
        print()
        print(f"simulate ({args.locations} locations, {args.lines} lines): {describe_ms(samples)}")
        print(f"queries per request: {len(queries)}")
        print(
            f"routable {sum(o['routable'] for o in outcomes) / len(outcomes):.1%}, "
            f"split {sum(p > 1 for p in parts) / len(parts):.1%}, "
            f"mean fulfilments {statistics.fmean(parts):.2f}, "
            f"heuristic (not optimal) {sum(not o['optimal'] for o in outcomes)}"
        )
    finally:
        if args.keep:
            print("kept the data")
        else:
            delete_bench_data(
                location_prefix=LOCATION_PREFIX,
                sku_prefix=SKU_PREFIX,
                channel_prefix=CHANNEL_CODE,
            )


def _post(client, body: dict) -> dict:  # type: ignore[no-untyped-def]
    response = client.post(URL, data=json.dumps(body), content_type="application/json")
    if response.status_code != 200:
        raise SystemExit(f"simulate answered {response.status_code}: {response.content[:500]!r}")
    return response.json()


def _order(rng: random.Random, skus: list[str], lines: int) -> dict:
    return {
        "lines": [
            {"sku": sku, "quantity": rng.randint(1, 3), "unit_price": "19.90"}
            for sku in rng.sample(skus, lines)
        ],
        "destination": {
            "country": "DE",
            "latitude": round(rng.uniform(47.5, 54.5), 4),
            "longitude": round(rng.uniform(6.0, 14.8), 4),
        },
        "delivery_type": "ship",
    }


def _create_network(locations: int, skus: int, rng: random.Random) -> str:
    """Channel, key, locations, SKUs and stock (levels with their ledger movement)."""
    from django.db import transaction

    from inventory.models import Location, Product, StockLevel, StockMovement
    from oms.models import Channel
    from oms.services import api_key_create

    with transaction.atomic():
        channel = Channel.objects.create(code=CHANNEL_CODE, name="Benchmark: simulate")
        _key, raw = api_key_create(channel=channel, name="bench", scopes=["orders"])
        created = Location.objects.bulk_create(
            [
                Location(
                    code=f"{LOCATION_PREFIX}{n:03d}",
                    name=f"Benchmark location {n}",
                    kind=Location.Kind.STORE if n % 4 else Location.Kind.WAREHOUSE,
                    country="DE",
                    latitude=round(rng.uniform(47.5, 54.5), 4),
                    longitude=round(rng.uniform(6.0, 14.8), 4),
                    click_collect=bool(n % 4),
                    daily_capacity=rng.choice([None, 200, 500]),
                    base_cost=rng.choice([3, 4, 5]),
                    cost_per_km="0.0100",
                    priority=rng.randint(0, 3),
                )
                for n in range(locations)
            ]
        )
        Location.channels.through.objects.bulk_create(
            [
                Location.channels.through(location_id=loc.pk, channel_id=channel.pk)
                for loc in created
            ]
        )
        products = Product.objects.bulk_create(
            [Product(sku=f"{SKU_PREFIX}{n:05d}", name=f"Benchmark SKU {n}") for n in range(skus)]
        )
        held = max(1, skus // 5)
        levels = StockLevel.objects.bulk_create(
            [
                StockLevel(location=loc, product=product, on_hand=rng.randint(1, 20))
                for loc in created
                for product in rng.sample(products, held)
            ],
            batch_size=5000,
        )
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    stock_level=level,
                    kind=StockMovement.Kind.COUNT,
                    on_hand_delta=level.on_hand,
                    reason="benchmark stock",
                    actor="benchmark",
                )
                for level in levels
            ],
            batch_size=5000,
        )
    return raw


if __name__ == "__main__":
    main()
