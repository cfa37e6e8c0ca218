"""Benchmark: issue 13's targets as ratios to reference endpoints measured in the same run.

    .venv/bin/python benchmarks/bench_ratios.py                  # everything, about 3 minutes
    .venv/bin/python benchmarks/bench_ratios.py --seconds 10 --ceiling-seconds 8
    .venv/bin/python benchmarks/bench_ratios.py --skip-ceiling   # ours only (no ratios)
    .venv/bin/python benchmarks/bench_ratios.py --read-pairs 3   # + 3 rounds of reads, then
                                                                 # the reference (noisy machine)

One run, one machine, one PostgreSQL server, in this order (a sandwich, as the ceiling's README
asks): intake #1 (closed loop), open-loop intake at half that rate, flash sale, availability
reads; then the reference (`run_ceiling.sh --pg-url <this server>` from ../shared/bench/ceiling:
drf_noop_get, drf_insert, pgbench_order_uniform/hot) and the PostgreSQL CPU of the same pgbench
transaction; then availability again and intake #2 (the ratios use the mean of the two
measurements of each, and print their spread). Each ratio is printed with both of its figures.

Our side: the database of bench_orders.py (BENCH_ORDERS_DATABASE_URL), its seed (3-line orders
over 50 locations) and gunicorn as the README recommends for this machine (3 sync workers,
oms.settings.production), 8 connections. How each figure is measured: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_orders as bo
from benchmarks.common import REPO, percentile, setup_django
from benchmarks.common import uptime as _uptime
from benchmarks.ratio_load import (
    Ratio,
    backend_cpu_per_transaction,
    open_loop_report,
    print_ratios,
    sequential_get,
    sequential_orders,
    wrk_get,
    wrk_orders,
)
from benchmarks.storage_probe import StorageProbe, probe_directory

_NEAR = [REPO.parent / "shared/bench/ceiling", REPO.parent.parent / "shared/bench/ceiling"]
# ../shared beside the checkout (or beside the folder of a worktree), unless CEILING_DIR says.
CEILING_DIR = Path(
    os.environ.get("CEILING_DIR") or next((p for p in _NEAR if p.is_dir()), _NEAR[0])
)
# Where benchmarks/storage_probe.py times fdatasync: the filesystem of PostgreSQL's data
# directory (set in main()).
PROBE_DIR = Path(tempfile.gettempdir())
PG_URL = os.environ.get("CEILING_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement [10]")
    parser.add_argument("--ceiling-seconds", type=int, default=8, help="per reference [8]")
    parser.add_argument("--ceiling-warmup", type=int, default=2, help="[2]")
    parser.add_argument("--connections", type=int, default=8, help="[8]")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers [3]")
    parser.add_argument("--flash-stock", type=int, default=400, help="[400]")
    parser.add_argument("--skip-ceiling", action="store_true")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--read-pairs",
        type=int,
        default=0,
        help="then N more rounds of availability followed by the reference, a ratio per "
        "round and their median (for a noisy machine) [0]",
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    database_url = os.environ.get("BENCH_ORDERS_DATABASE_URL", bo.DEFAULT_DATABASE_URL)
    os.environ["DATABASE_URL"] = database_url
    setup_django()
    from django.db import connection

    print(f"code: {REPO}; machine: {_uptime()}")
    global PROBE_DIR
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")  # superuser or pg_read_all_settings
        PROBE_DIR = probe_directory(cursor.fetchone()[0])
    bo.reset_database()
    api_key = bo.seed(flash_stock=args.flash_stock, rng=random.Random(args.seed))
    connection.close()
    log_path = Path(tempfile.mkstemp(prefix="oms-bench-ratios-", suffix=".log")[1])
    server = bo.start_gunicorn(
        app="oms.wsgi:application",
        database_url=database_url,
        workers=args.workers,
        threads=1,
        log_path=log_path,
    )
    print(
        f"gunicorn oms.wsgi: {args.workers} sync workers, oms.settings.production, "
        f"{args.connections} connections"
    )
    ratios: list[Ratio] = []
    ok = True
    try:
        run = f"q{int(time.time())}"
        _intake(server, api_key, args, f"{run}-warm", seconds=3.0)
        first = _intake(server, api_key, args, f"{run}-a", seconds=args.seconds, label="#1")
        ok &= first["ok"]
        open_p99, open_ok, open_storage = open_loop_report(
            port=server.port,
            api_key=api_key,
            factory=bo.OrderFactory(run=f"{run}-o", flash=False, seed=args.seed + 5),
            rate=first["rate"] / 2,
            duration=args.seconds,
            probe_dir=PROBE_DIR,
        )
        ok &= open_ok
        alone = sequential_orders(
            port=server.port,
            api_key=api_key,
            factory=bo.OrderFactory(run=f"{run}-s", flash=False, seed=args.seed + 6),
            count=60,
        )
        alone_p50 = percentile(alone, 50) * 1000
        print(
            f"== one order at a time (60, no queue): p50 {alone_p50:.1f} ms, p99 "
            f"{percentile(alone, 99) * 1000:.1f} ms; open-loop p99 / this p50 = "
            f"{open_p99 / alone_p50:.2f}"
        )
        flash_rate, flash_ok = _flash(server, api_key, args, f"{run}-f", first["rate"])
        ok &= flash_ok
        avail_first = _availability(server, api_key, args, label="#1")
        reference: dict[str, dict] = {}
        pg_tx_cpu = None
        if not args.skip_ceiling:
            reference = _ceiling(args)
            pg_tx_cpu = _pgbench_cpu(args)
        # The reference's sandwich for reads too: availability before and after it, the mean
        # of the two in the ratios (the machine's speed drifts within minutes).
        avail_second = _availability(server, api_key, args, label="#2")
        avail = _sandwich(avail_first, avail_second)
        second = _intake(server, api_key, args, f"{run}-b", seconds=args.seconds, label="#2")
        ok &= second["ok"]
        pairs = [
            (_availability(server, api_key, args, label=f"round {n}", fifty=False), _ceiling(args))
            for n in range(1, args.read_pairs + 1)
        ]
    finally:
        server.stop()
        log_path.unlink(missing_ok=True)

    rate = (first["rate"] + second["rate"]) / 2
    spread = abs(first["rate"] - second["rate"]) / rate if rate else 0.0
    pg_cpu = (first["pg_ms"] + second["pg_ms"]) / 2
    print(
        f"\nintake: #1 {first['rate']:.1f}, #2 {second['rate']:.1f} orders/s -> mean "
        f"{rate:.1f} (spread {spread * 100:.0f} %{', over 10 %: rerun' if spread > 0.1 else ''}); "
        f"PostgreSQL CPU per order {first['pg_ms']:.2f} / {second['pg_ms']:.2f} ms"
    )

    def ref(name: str) -> float | None:
        return reference[name]["rps_or_tps"] if name in reference else None

    ratios += [
        Ratio("intake orders/s / drf_insert req/s", rate, ref("drf_insert"), ">=", 0.20),
        Ratio("intake orders/s / pgbench_order_uniform tps", rate, ref("pgbench_order_uniform")),
        Ratio("flash orders/s / intake orders/s", flash_rate, rate, ">=", 0.6),
        Ratio("flash orders/s / pgbench_order_hot tps", flash_rate, ref("pgbench_order_hot"), None),
        Ratio(
            "PostgreSQL CPU ms per order / per pgbench transaction",
            pg_cpu,
            pg_tx_cpu,
            "<=",
            6.0,
        ),
        Ratio(
            "availability 1 SKU req/s / drf_noop_get", avail["1"], ref("drf_noop_get"), ">=", 0.3
        ),
        Ratio(
            "availability 5 SKUs req/s / drf_noop_get", avail["5"], ref("drf_noop_get"), ">=", 0.3
        ),
        Ratio(
            "availability 5 SKUs totals only (include_locations=false) / drf_noop_get",
            avail["5t"],
            ref("drf_noop_get"),
        ),
    ]
    print_ratios(ratios)
    print(
        f"open-loop p99 at half saturation: {open_p99:.1f} ms (target <= 50 ms); one order "
        f"alone p50 {alone_p50:.1f} ms, so p99 / alone = {open_p99 / alone_p50:.2f}; "
        f"{open_storage}"
    )
    print(
        f"availability 50 SKUs x 50 locations with breakdown: p50 {avail['50x50']:.1f} ms (<= 10; "
        f"mean of {avail_first['50x50']:.1f} and {avail_second['50x50']:.1f})"
    )
    if pairs:
        _print_pairs(pairs)
    for name, figures in reference.items():
        print(f"reference {name}: {json.dumps(figures)}")
    print(f"machine at the end: {_uptime()}")
    if not ok:
        raise SystemExit(1)


def _intake(server, api_key: str, args, run: str, *, seconds: float, label: str = "") -> dict:  # type: ignore[no-untyped-def]
    """Closed loop with wrk: orders/s, p99 and the CPU per order of gunicorn and PostgreSQL."""
    from django.db import connection

    pids = {"gunicorn": [server.process.pid, *server.worker_pids()]}
    pids["postgres"] = bo.postgres_backend_pids()
    connection.close()
    with StorageProbe(PROBE_DIR) as probe:
        result = _wrk_orders(server, api_key, args, run, seconds, cpu_pids=pids)
    if not label:
        return {}
    print(f"\n== intake {label}: closed loop, {args.connections} connections: {result.summary()}")
    print(probe.result.summary())
    print(f"machine: {_uptime()}")
    return {
        "rate": result.rate,
        "p99": result.p99_ms,
        "pg_ms": result.cpu_ms["postgres"],
        "ok": not result.socket_errors and set(result.statuses) == {201},
    }


def _wrk_orders(server, api_key: str, args, run: str, seconds: float, **options):  # type: ignore[no-untyped-def]
    return wrk_orders(
        port=server.port,
        api_key=api_key,
        run=run,
        connections=args.connections,
        seconds=seconds,
        **options,
    )


def _flash(server, api_key: str, args, run: str, rate_hint: float) -> tuple[float, bool]:  # type: ignore[no-untyped-def]
    """Every order on one SKU until sold out (and on for a while with 409s): accepted orders/s
    between the first and the last accepted order (their placed_at in the database)."""
    from django.db import connection
    from django.db.models import Count, Max, Min

    from orders.models import Order

    seconds = min(30, max(4, int(args.flash_stock * 1.5 / max(rate_hint, 1.0)) + 2))
    result = _wrk_orders(server, api_key, args, run, seconds, mode="flash")
    print(f"\n== flash sale (one SKU, {args.flash_stock} units): {result.summary()}")
    span = Order.objects.filter(lines__sku=bo.FLASH_SKU).aggregate(
        n=Count("id", distinct=True), first=Min("placed_at"), last=Max("placed_at")
    )
    accepted = result.accepted
    elapsed = (span["last"] - span["first"]).total_seconds() if span["n"] > 1 else 0.0
    rate = (span["n"] - 1) / elapsed if elapsed else 0.0
    print(
        f"flash: {accepted} accepted ({span['n']} orders in the database) at {rate:.1f} "
        "orders/s from the first to the last"
    )
    ok = bo.verify_flash(flash_stock=args.flash_stock, accepted=accepted)
    connection.close()
    return rate, ok and not result.socket_errors and set(result.statuses) <= {201, 409}


def _sandwich(first: dict[str, float], second: dict[str, float]) -> dict[str, float]:
    """The mean of the two availability measurements, each figure; prints their spread."""
    mean = {name: (first[name] + second[name]) / 2 for name in first}
    print("\navailability, before / after the reference (the ratios use the mean):")
    for name, value in mean.items():
        spread = abs(first[name] - second[name]) / value if value else 0.0
        warn = ", over 10 %: the machine drifted" if spread > 0.1 else ""
        print(
            f"  {name}: {first[name]:.1f} / {second[name]:.1f} (spread {spread * 100:.0f} %{warn})"
        )
    return mean


def _print_pairs(pairs: list[tuple[dict[str, float], dict[str, dict]]]) -> None:
    """Availability / drf_noop_get round by round (each round: ours, then the reference)."""
    print(f"\navailability / drf_noop_get, {len(pairs)} rounds of ours then the reference:")
    for name in ("1", "5", "5t"):
        ratios = [ours[name] / ref["drf_noop_get"]["rps_or_tps"] for ours, ref in pairs]
        rounds = ", ".join(
            f"{ours[name]:.0f}/{ref['drf_noop_get']['rps_or_tps']:.0f}" for ours, ref in pairs
        )
        print(
            f"  {name}: median {statistics.median(ratios):.3f}x "
            f"({min(ratios):.3f}-{max(ratios):.3f}; {rounds})"
        )


def _availability(server, api_key: str, args, label: str, fifty: bool = True) -> dict[str, float]:  # type: ignore[no-untyped-def]
    rng = random.Random(args.seed)
    skus = [bo._sku(n) for n in rng.sample(range(bo.SKUS), 50)]
    headers = {"Authorization": f"Api-Key {api_key}"}
    figures: dict[str, float] = {}
    # 5t: the same 5 SKUs without the per-location breakdown (include_locations=false), as
    # the API documents for product and cart pages that show only the total.
    for name, count, query in (("1", 1, ""), ("5", 5, ""), ("5t", 5, "&include_locations=false")):
        path = "/api/v1/availability/?skus=" + ",".join(skus[:count]) + query
        line = wrk_get(
            port=server.port,
            path=path,
            headers=headers,
            connections=args.connections,
            seconds=args.seconds,
            ceiling_dir=CEILING_DIR,
        )
        figures[name] = line["rps_or_tps"]
        what = "totals only" if query else "with the breakdown"
        print(
            f"\n== availability {label} {count} SKU(s) {what}, {args.connections} connections: "
            f"{line}"
        )
    if not fifty:
        return figures
    path = "/api/v1/availability/?skus=" + ",".join(skus)
    samples = sequential_get(port=server.port, path=path, headers=headers, count=200)
    figures["50x50"] = percentile(samples, 50) * 1000
    print(
        f"== availability {label} 50 SKUs x {bo.LOCATIONS} locations with the breakdown, one "
        f"request at a time: p50 {figures['50x50']:.1f} ms, "
        f"p99 {percentile(samples, 99) * 1000:.1f} ms"
    )
    return figures


def _ceiling(args) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    out = Path(tempfile.mkstemp(prefix="oms-ceiling-", suffix=".jsonl")[1])
    command = [
        "bash",
        str(CEILING_DIR / "run_ceiling.sh"),
        "--pg-url",
        PG_URL,
        "--seconds",
        str(args.ceiling_seconds),
        "--warmup",
        str(args.ceiling_warmup),
        "--conns",
        str(args.connections),
        "--out",
        str(out),
    ]
    print(f"\n== reference: CEILING_VENV={REPO / '.venv'} {' '.join(command)}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env["CEILING_VENV"] = str(REPO / ".venv")
    with StorageProbe(PROBE_DIR) as probe:  # its writes wait on the same disk as ours
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    lines = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    out.unlink(missing_ok=True)
    print(f"machine: {_uptime()}\nduring the reference, {probe.result.summary()}")
    return {line["name"]: line for line in lines}


def pgbench_uniform_cpu(*, connections: int, seconds: int, warmup: int) -> tuple[float, float]:
    """(PostgreSQL backend CPU ms per pgbench_order_uniform transaction, tps), measured like
    ours; also used by `bench_orders.py --replay`."""
    return backend_cpu_per_transaction(
        pg_url=PG_URL,
        schema=CEILING_DIR / "schema.sql",
        script=CEILING_DIR / "order_uniform.pgbench",
        connections=connections,
        seconds=seconds,
        warmup=warmup,
    )


def _pgbench_cpu(args) -> float:  # type: ignore[no-untyped-def]
    """PostgreSQL backend CPU per pgbench_order_uniform transaction (ms), measured like ours."""
    cpu_ms, tps = pgbench_uniform_cpu(
        connections=args.connections,
        seconds=max(6, args.ceiling_seconds),
        warmup=args.ceiling_warmup,
    )
    print(
        f"== pgbench_order_uniform, PostgreSQL backend CPU: {cpu_ms:.3f} ms per transaction "
        f"({tps:.0f} tps while measured)"
    )
    return cpu_ms


if __name__ == "__main__":
    main()
