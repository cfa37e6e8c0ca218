"""Benchmark: the availability statement through psycopg's cursor and straight through libpq.

    .venv/bin/python benchmarks/bench_direct.py [--rounds 6] [--calls 300]

The same statement (`oms_availability_json(...)` for 1, 5 and 50 SKUs over 50 locations,
bench_orders' data, seeded afresh in BENCH_ORDERS_DATABASE_URL) on one connection, the two
ways oms/postgresql/direct.py knows: its cursor fallback (what every statement did before) and
`fetch_row`. Prints this process's CPU per call (user + system: what a web worker spends on
the statement, not PostgreSQL's share) and wall time per call, min and median over
alternated rounds. Both answers are checked equal first.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_orders as bo
from benchmarks.common import setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="alternated rounds [6]")
    parser.add_argument("--calls", type=int, default=300, help="calls per round and path [300]")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_ORDERS_DATABASE_URL", bo.DEFAULT_DATABASE_URL
    )
    setup_django()
    from django.db import connection

    from inventory.availability_sql import availability_json_call
    from oms.models import Channel
    from oms.postgresql import direct

    bo.reset_database()
    bo.seed(flash_stock=400, rng=random.Random(args.seed))
    channel = Channel.objects.get(code=bo.CHANNEL_CODE)
    rng = random.Random(args.seed)
    skus = [bo._sku(n) for n in rng.sample(range(bo.SKUS), 50)]
    paths = {"cursor": direct._through_cursor, "libpq": direct.fetch_row}
    print(f"{bo.LOCATIONS} locations; {args.rounds} alternated rounds of {args.calls} calls")
    for count in (1, 5, 50):
        expression, params = availability_json_call(
            channel=channel, skus=skus[:count], include_inbound=True, include_locations=True
        )
        sql = f"SELECT {expression}"
        answers = {name: run(connection, sql, params) for name, run in paths.items()}
        if answers["cursor"] != answers["libpq"]:
            raise SystemExit(f"{count} SKUs: the two paths answer differently")
        cpu: dict[str, list[float]] = {name: [] for name in paths}
        wall: dict[str, list[float]] = {name: [] for name in paths}
        for round_ in range(args.rounds):
            for name in paths if round_ % 2 == 0 else reversed(list(paths)):
                run = paths[name]
                for _ in range(10):
                    run(connection, sql, params)
                started, cpu_started = time.perf_counter(), time.process_time()
                for _ in range(args.calls):
                    run(connection, sql, params)
                cpu[name].append((time.process_time() - cpu_started) / args.calls * 1e3)
                wall[name].append((time.perf_counter() - started) / args.calls * 1e3)
        size = len(answers["libpq"][0]) / 1024  # type: ignore[index]
        print(f"\n{count} SKU(s), answer {size:.1f} KiB:")
        for name in paths:
            print(
                f"  {name:6s} CPU per call min {min(cpu[name]):.3f} ms, median "
                f"{statistics.median(cpu[name]):.3f} ms; wall median "
                f"{statistics.median(wall[name]):.3f} ms"
            )


if __name__ == "__main__":
    main()
