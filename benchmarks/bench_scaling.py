"""Benchmark: order intake with 1, 2 and 3 gunicorn workers, and with two gunicorn instances
behind a load balancer on loopback (docs/scaling.md).

    .venv/bin/python benchmarks/bench_scaling.py                 # 10 s per configuration
    .venv/bin/python benchmarks/bench_scaling.py --seconds 8 --configs 1,2,3,2x1

The seed, database and client of bench_orders.py (3-line orders over 50 locations, 8
connections, oms.settings.production, sync workers). A configuration `N` is one gunicorn with N
workers; `AxB` is A gunicorn instances of B workers each on their own ports, behind
benchmarks/loopback_balancer.py (round-robin per connection). Prints orders/s, p50/p99, CPU
per order of gunicorn, PostgreSQL, the balancer and the client, and what else ran meanwhile.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_orders as bo
from benchmarks.common import REPO, percentile, setup_django


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _wait(port: int) -> None:
    import urllib.request

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the balancer did not answer")


def run_config(config: str, *, api_key: str, database_url: str, args) -> dict:  # type: ignore[no-untyped-def]
    from django.db import connection

    instances, _, per = config.partition("x")
    count, workers = (int(instances), int(per)) if per else (1, int(instances))
    servers, balancer = [], None
    logs = []
    try:
        for _ in range(count):
            log = Path(tempfile.mkstemp(prefix="oms-bench-scaling-", suffix=".log")[1])
            logs.append(log)
            servers.append(
                bo.start_gunicorn(
                    app="oms.wsgi:application",
                    database_url=database_url,
                    workers=workers,
                    threads=1,
                    log_path=log,
                )
            )
        port = servers[0].port
        pids = {"gunicorn": [p for s in servers for p in (s.process.pid, *s.worker_pids())]}
        if count > 1:
            port = bo.free_port()
            balancer = subprocess.Popen(
                [sys.executable, str(REPO / "benchmarks" / "loopback_balancer.py"), "--listen",
                 str(port), *[a for s in servers for a in ("--backend", str(s.port))]],
            )  # fmt: skip
            _wait(port)
            pids["balancer"] = [balancer.pid]
        run = f"s{config}-{int(time.time())}"
        bo.drive(
            port=port,
            api_key=api_key,
            factory=bo.OrderFactory(run=f"{run}-w", flash=False, seed=1),
            connections=args.connections,
            duration=2.0,
            max_requests=1_000_000,
        )
        pids["postgres"] = bo.postgres_backend_pids()
        connection.close()
        result = bo.drive(
            port=port,
            api_key=api_key,
            factory=bo.OrderFactory(run=run, flash=False, seed=2),
            connections=args.connections,
            duration=args.seconds,
            max_requests=1_000_000,
            cpu_pids=pids,
        )
    finally:
        if balancer is not None:
            balancer.terminate()
            balancer.wait(timeout=10)
        for server in servers:
            server.stop()
        for log in logs:
            log.unlink(missing_ok=True)
    latencies = [s for s, _, _ in result.samples]
    per_order = max(1, len(result.samples))
    ours = sum(result.cpu.values())
    return {
        "config": config,
        "rate": result.count(201) / result.elapsed,
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "cpu": {k: v * 1000 / per_order for k, v in result.cpu.items()},
        "others": max(0.0, result.machine_busy_seconds - ours) / result.elapsed,
        "errors": sum(result.errors.values()) + sum(result.error_bodies.values()),
        "uptime": _uptime(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="per configuration [10]")
    parser.add_argument("--connections", type=int, default=8, help="[8]")
    parser.add_argument("--configs", default="1,2,3,2x1,2x2", help="[1,2,3,2x1,2x2]")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    database_url = os.environ.get("BENCH_ORDERS_DATABASE_URL", bo.DEFAULT_DATABASE_URL)
    os.environ["DATABASE_URL"] = database_url
    setup_django()
    bo.reset_database()
    api_key = bo.seed(flash_stock=10, rng=random.Random(1))
    from django.db import connection

    connection.close()
    print(f"machine: {_uptime()}")
    print("| gunicorn | orders/s | p50 ms | p99 ms | CPU per order (ms) | other load | uptime |")
    print("|---|---:|---:|---:|---|---:|---|")
    for config in args.configs.split(","):
        row = run_config(config.strip(), api_key=api_key, database_url=database_url, args=args)
        cpu = ", ".join(f"{k} {v:.1f}" for k, v in row["cpu"].items())
        label = f"{config} workers" if "x" not in config else f"{config} (instances x workers, LB)"
        print(
            f"| {label} | {row['rate']:.1f} | {row['p50']:.0f} | {row['p99']:.0f} | {cpu} | "
            f"{row['others']:.2f} cores | {row['uptime'].split('load average: ')[-1]} |"
            + (f" errors {row['errors']}" if row["errors"] else "")
        )


if __name__ == "__main__":
    main()
