"""Benchmark: GET /api/v1/availability/ for 50 SKUs over 50 locations, through the real stack.

    .venv/bin/python -m benchmarks.bench_availability                 # target: p50 <= 10 ms
    .venv/bin/python -m benchmarks.bench_availability --requests 2000 --mode http

Uses PostgreSQL from DATABASE_URL (default postgres://postgres@127.0.0.1:5432/oms_bench,
created and migrated if missing). Creates a channel (bench-avl) with an API key, 50 locations
serving it, a catalogue of 1,000 SKUs stocked at every location (50,000 stock levels, through
the stock import, so the ledger holds), some reserved units and open purchase orders. Then
asks for the same 50 SKUs again and again:

- in-process: Django's test client through the full WSGI handler, middleware, DRF,
  authentication and serializers, one persistent database connection (queries per request
  are counted here);
- http: gunicorn (oms.settings.production, 2 gthread workers, keep-alive) on 127.0.0.1,
  driven from this process over one keep-alive connection, then with 4 connections at once.

Prints p50/p95/p99 latency per mode and deletes what it created.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    REPO,
    delete_bench_data,
    describe_ms,
    machine_load,
    percentile,
    setup_django,
)

LOCATION_PREFIX = "bench-avl-"
SKU_PREFIX = "BENCH-AVL-"
CHANNEL_CODE = "bench-avl"
TARGET_P50_MS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="per mode (default: 500)")
    parser.add_argument("--skus", type=int, default=50, help="SKUs per request (default: 50)")
    parser.add_argument("--locations", type=int, default=50, help="default: 50")
    parser.add_argument(
        "--catalogue", type=int, default=1000, help="SKUs stocked everywhere (default: 1000)"
    )
    parser.add_argument("--mode", choices=["both", "inprocess", "http"], default="both")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: 2)")
    parser.add_argument("--keep", action="store_true", help="keep the data afterwards")
    parser.add_argument(
        "--breakdown-only", action="store_true", help="skip the totals-only variant"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    args.catalogue = max(args.catalogue, args.skus)

    setup_django()
    from django.db import connection

    _delete()
    try:
        started = time.perf_counter()
        raw_key, skus = _seed(args)
        print(
            f"database {connection.settings_dict['NAME']}: {args.locations} locations, "
            f"{args.catalogue:,} SKUs, {args.locations * args.catalogue:,} stock levels "
            f"(seeded in {time.perf_counter() - started:.1f} s)"
        )
        path = "/api/v1/availability/?skus=" + ",".join(skus)
        print(f"request: GET /api/v1/availability/?skus=<{len(skus)} SKUs> ({len(path)} chars)")
        variants = [("per-location breakdown (default)", path)]
        if not args.breakdown_only:
            variants.append(
                ("totals only (include_locations=false)", path + "&include_locations=false")
            )
        for label, variant_path in variants:
            print(f"\n### {label}")
            p50s = []
            if args.mode in ("both", "inprocess"):
                p50s.append(_in_process(variant_path, raw_key, args))
            if args.mode in ("both", "http"):
                p50s.append(_over_http(variant_path, raw_key, args))
            best = min(p50s)
            verdict = "OK" if best <= TARGET_P50_MS else "MISSED"
            print(f"\ntarget ({label}): p50 <= {TARGET_P50_MS:.0f} ms -> {best:.2f} ms: {verdict}")
    finally:
        if args.keep:
            print("kept the data")
        else:
            _delete()


def _delete() -> None:
    delete_bench_data(
        location_prefix=LOCATION_PREFIX, sku_prefix=SKU_PREFIX, channel_prefix=CHANNEL_CODE
    )


def _seed(args: argparse.Namespace) -> tuple[str, list[str]]:
    import datetime as dt

    from django.utils import timezone

    from inventory.models import InboundStock, Location, Product
    from inventory.services import ReservationRequest, stock_reserve
    from inventory.stock_import import stock_import
    from oms.models import Channel
    from oms.services import api_key_create

    rng = random.Random(20240917)
    channel = Channel.objects.create(code=CHANNEL_CODE, name="Benchmark availability")
    if os.environ.get("BENCH_SELL_INBOUND"):  # measure with pre-orders on (README)
        Channel.objects.filter(pk=channel.pk).update(sell_inbound=True)
    _, raw_key = api_key_create(channel=channel, name="bench", scopes=["orders"])
    locations = Location.objects.bulk_create(
        [
            Location(
                code=f"{LOCATION_PREFIX}{n:02d}",
                name=f"Benchmark location {n}",
                kind=Location.Kind.STORE if n else Location.Kind.WAREHOUSE,
                country="DE",
                latitude=47.5 + rng.random() * 7,
                longitude=6 + rng.random() * 9,
                click_collect=bool(n),
            )
            for n in range(args.locations)
        ]
    )
    Location.channels.through.objects.bulk_create(
        [Location.channels.through(location_id=loc.pk, channel_id=channel.pk) for loc in locations]
    )
    products = Product.objects.bulk_create(
        [
            Product(sku=f"{SKU_PREFIX}{n:05d}", name=f"Benchmark SKU {n}")
            for n in range(args.catalogue)
        ],
        batch_size=2000,
    )
    csv = io.StringIO()
    csv.write("location,sku,on_hand,safety_stock\n")
    for product in products:
        for loc in locations:
            csv.write(f"{loc.code},{product.sku},{rng.randint(3, 40)},{rng.choice([0, 0, 1, 2])}\n")
    csv.seek(0)
    stock_import(source=csv, counted_at=timezone.now(), actor="bench:availability")
    # Some units held by orders, some purchase orders on the way: every part of the answer.
    queried = products[: args.skus]
    stock_reserve(
        requests=[
            ReservationRequest(locations[n % len(locations)].pk, p.pk, 1, f"bench:{n}")
            for n, p in enumerate(queried)
        ],
        actor="bench",
    )
    today = timezone.localdate()
    InboundStock.objects.bulk_create(
        [
            InboundStock(
                location=locations[n % len(locations)],
                product=p,
                reference=f"PO-BENCH-{n % 5}",
                expected_date=today + dt.timedelta(days=7 + n % 21),
                quantity_expected=rng.choice([12, 24, 48]),
            )
            for n, p in enumerate(queried)
        ]
    )
    from django.db import connection

    with connection.cursor() as cursor:  # statistics as a production database would have
        cursor.execute(
            "ANALYZE inventory_product, inventory_location, inventory_location_channels, "
            "inventory_stocklevel, inventory_inboundstock, oms_apikey"
        )
    return raw_key, [p.sku for p in queried]


def _in_process(path: str, raw_key: str, args: argparse.Namespace) -> float:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    _check(client.get(path).content, args)
    for _ in range(30):  # warm-up: imports, URL resolver, statement caches
        client.get(path)
    counts = []
    for _ in range(20):  # one request per capture: each request start resets the query log
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        counts.append(len(queries))
        statements = [query["sql"] for query in queries.captured_queries]
    run = _time_requests(client, path, args.requests)
    print(f"\n== in-process (Django test client, full WSGI stack), {args.requests} requests")
    print(run.describe())
    print(f"  queries per request: {sum(counts) / len(counts):g}")
    for sql in statements:
        print(f"    {sql[:100]}")
    return run.p50_ms


@dataclass
class _Run:
    wall: list[float]  # seconds per request
    cpu: list[float]  # CPU seconds of this process (Django) per request
    database_cpu: float  # CPU seconds of the PostgreSQL backend, all requests

    @property
    def p50_ms(self) -> float:
        return percentile([s * 1000 for s in self.wall], 50)

    def describe(self, indent: str = "  ") -> str:
        count = len(self.wall)
        cpu_ms = percentile([s * 1000 for s in self.cpu], 50)
        return (
            f"{indent}{describe_ms(self.wall)}\n"
            f"{indent}{count / sum(self.wall):,.0f} requests/s one at a time; CPU per request: "
            f"Django {cpu_ms:.2f} ms (p50), PostgreSQL {self.database_cpu / count * 1000:.2f} ms "
            f"(mean); {machine_load()}"
        )


def _time_requests(client, path: str, count: int) -> _Run:  # type: ignore[no-untyped-def]
    """Wall and CPU time per request: CPU time hardly depends on what else the machine runs."""
    from django.db import connection

    for _ in range(10):
        client.get(path)
    backend = connection.connection.info.backend_pid
    database_cpu = _process_cpu(backend)
    wall, cpu = [], []
    for _ in range(count):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"in-process request failed: {response.status_code}")
    return _Run(wall, cpu, _process_cpu(backend) - database_cpu)


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (the database backend is on this machine)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _over_http(path: str, raw_key: str, args: argparse.Namespace) -> float:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "oms.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DB_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "oms.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            "2",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    try:
        _wait_for(port)
        headers = {"Authorization": f"Api-Key {raw_key}"}
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(30 * args.workers):  # warm up every worker
            _get(conn, path, headers)
        _check(_get(conn, path, headers)[1], args)
        samples = []
        for _ in range(args.requests):
            started = time.perf_counter()
            status, _ = _get(conn, path, headers)
            samples.append(time.perf_counter() - started)
            if status != 200:
                raise SystemExit(f"HTTP request failed: {status}")
        conn.close()
        print(
            f"\n== HTTP (gunicorn, {args.workers} gthread workers, oms.settings.production), "
            f"{args.requests} requests over one keep-alive connection"
        )
        print(f"  {describe_ms(samples)}")
        print(f"  {args.requests / sum(samples):,.0f} requests/s, one at a time; {machine_load()}")
        p50 = percentile([s * 1000 for s in samples], 50)
        _concurrent(port, path, headers, args, connections=4)
        return p50
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def _concurrent(
    port: int, path: str, headers: dict[str, str], args: argparse.Namespace, connections: int
) -> None:
    samples: list[float] = []
    lock = threading.Lock()
    per_connection = max(1, args.requests // connections)

    def drive() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        mine = []
        for _ in range(per_connection):
            started = time.perf_counter()
            status, _ = _get(conn, path, headers)
            mine.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"HTTP request failed: {status}")
        conn.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=drive) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    print(f"  with {connections} connections at once ({len(samples)} requests):")
    print(f"  {describe_ms(samples)}")
    print(f"  {len(samples) / elapsed:,.0f} requests/s")


def _get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def _check(body: bytes, args: argparse.Namespace) -> None:
    data = json.loads(body)
    breakdown = any(e["locations"] for e in data)  # empty with include_locations=false
    if len(data) != args.skus or (
        breakdown and any(len(e["locations"]) != args.locations for e in data)
    ):
        raise SystemExit(f"unexpected answer: {body[:300]!r}")
    if not all(e["known"] for e in data) or not any(e["inbound"] for e in data):
        raise SystemExit(f"unexpected answer: {body[:300]!r}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /health/ in time")


if __name__ == "__main__":
    main()
