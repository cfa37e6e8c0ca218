"""Benchmark: order intake over HTTP - gunicorn + PostgreSQL, load from a separate process.

    .venv/bin/python benchmarks/bench_orders.py      # normal 20 s, then the flash sale
    .venv/bin/python benchmarks/bench_orders.py --scenario flash --flash-stock 500
    .venv/bin/python benchmarks/bench_orders.py --workers 2 --threads 4   # gthread, keep-alive
    .venv/bin/python benchmarks/bench_orders.py --scenario none --breakdown 100   # where it goes
    .venv/bin/python benchmarks/bench_orders.py --scenario normal --floor   # + an empty view
    .venv/bin/python benchmarks/bench_orders.py --experiments all --breakdown 100

Targets (issue): 3-line orders over 50 locations at 8 concurrent connections: >= 300 orders/s
with p99 <= 50 ms on a 2-core machine; a flash sale (every order on one SKU): zero oversell.

What it does:
- its own PostgreSQL database (default postgres://postgres@127.0.0.1:5432/oms_bench_orders,
  override with BENCH_ORDERS_DATABASE_URL): created if missing, migrated, and emptied at the
  start of every run (TRUNCATE; refused unless the database name contains "bench_orders");
- seeds one channel with an API key, 50 locations across Germany serving it (coordinates,
  cost per km), 500 SKUs with plenty of stock and one flash-sale SKU with --flash-stock units
  spread evenly over the locations, all through the stock import (the ledger);
- starts gunicorn on 127.0.0.1 with oms.settings.production (DEBUG off, persistent
  connections with health checks) - only SECURE_SSL_REDIRECT=0, because TLS ends at the
  proxy in production and the benchmark talks plain HTTP over loopback. Default: 3 sync
  workers (CPU-bound work on 2 cores; measured best), which close the connection after each
  response; --threads N > 1 switches to gthread workers, which keep connections alive;
- drives POST /api/v1/orders/ from this process (not gunicorn's) with --connections threads,
  one http.client connection each (kept alive when the server allows), a unique
  Idempotency-Key and external_reference per order, bounded by --duration seconds and
  --max-requests;
- prints orders/s, latency percentiles, status counts, errors, CPU per request (gunicorn,
  PostgreSQL backends, this client), machine CPU use and the CPU ceiling (requests/s if the
  benchmark had every core); for the flash sale checks in the database that accepted
  orders == units sold <= stock, no level reserved above on hand and the ledger is clean
  ("oversell: 0");
- stops gunicorn in any case. The database is kept (inspect it; the next run empties it).
- --breakdown N: N more orders in this process, one at a time, with the CPU per stage and
  the SQL statements of one order; --experiments: benchmark-only monkeypatches that emulate
  proposed app changes (benchmarks/intake_experiments.py), for HTTP runs and the breakdown.
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import http.client
import inspect
import io
import itertools
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import statement_replay
from benchmarks.common import REPO, percentile, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/oms_bench_orders"
CHANNEL_CODE = "bench-orders"
LOCATION_PREFIX = "bench-ord-"
SKU_PREFIX = "BENCH-ORD-"
FLASH_SKU = "BENCH-ORD-FLASH"
LOCATIONS = 50
SKUS = 500
STOCK_PER_LEVEL = 1_000_000
LINES_PER_ORDER = 3
TARGET_ORDERS_PER_SECOND = 300.0
TARGET_P99_MS = 50.0
# Germany, roughly: destinations and locations are drawn from this box.
LAT_RANGE = (47.6, 54.8)
LON_RANGE = (6.2, 14.9)
ORDERS_PATH = "/api/v1/orders/"
HEALTH_PATH = "/health/"


# --- Set-up -----------------------------------------------------------------------------


def reset_database() -> None:
    """Empty every table of the project's apps (dedicated database only)."""
    from django.apps import apps
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if "bench_orders" not in name:
        raise SystemExit(
            f"Refusing to empty database {name!r}: the order benchmark needs a database of its "
            "own whose name contains 'bench_orders'."
        )
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label in {"oms", "inventory", "routing", "orders", "returns"}
        }
    )
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def seed(*, flash_stock: int, rng: random.Random) -> str:
    """Channel + API key, locations, SKUs and stock. Returns the raw API key."""
    from django.db import transaction

    from inventory.models import Location, Product
    from inventory.stock_import import stock_import
    from oms.models import ApiKey, Channel
    from oms.services import api_key_create

    with transaction.atomic():
        channel = Channel.objects.create(
            code=CHANNEL_CODE,
            name="Benchmark web shop",
            unroutable_policy=Channel.UnroutablePolicy.REFUSE,
        )
        if os.environ.get("BENCH_SELL_INBOUND"):  # measure with pre-orders on (README)
            Channel.objects.filter(pk=channel.pk).update(sell_inbound=True)
        _key, raw_key = api_key_create(
            channel=channel, name="bench", scopes=[ApiKey.Scope.ORDERS], created_by="bench"
        )
        locations = Location.objects.bulk_create(
            [
                Location(
                    code=f"{LOCATION_PREFIX}{n:02d}",
                    name=f"Benchmark location {n}",
                    kind=Location.Kind.WAREHOUSE if n < 5 else Location.Kind.STORE,
                    country="DE",
                    latitude=round(rng.uniform(*LAT_RANGE), 5),
                    longitude=round(rng.uniform(*LON_RANGE), 5),
                    ships=True,
                    base_cost=rng.choice(["3.50", "4.00", "4.90"]),
                    cost_per_km="0.0100",
                )
                for n in range(LOCATIONS)
            ]
        )
        Location.channels.through.objects.bulk_create(
            [Location.channels.through(location=loc, channel=channel) for loc in locations]
        )
        Product.objects.bulk_create(
            [Product(sku=_sku(n), name=f"Benchmark SKU {n}") for n in range(SKUS)]
            + [Product(sku=FLASH_SKU, name="Flash-sale SKU")]
        )
    per_location, remainder = divmod(flash_stock, LOCATIONS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["location", "sku", "on_hand"])
    for index, loc in enumerate(locations):
        for n in range(SKUS):
            writer.writerow([loc.code, _sku(n), STOCK_PER_LEVEL])
        flash = per_location + (1 if index < remainder else 0)
        writer.writerow([loc.code, FLASH_SKU, flash])
    buffer.seek(0)
    stock_import(
        source=buffer, counted_at=dt.datetime.now(dt.UTC), actor="bench:orders", reason="seed"
    )
    # Fresh statistics for the seeded tables, as a database in service has (autovacuum would
    # otherwise analyze them in the middle of a measurement and change plans there). Not the
    # order tables: analyzed empty, their plans would not follow them as orders arrive.
    from django.db import connection

    seeded = [Location, Location.channels.through, Product, Channel, ApiKey]
    with connection.cursor() as cursor:
        for model in seeded:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return raw_key


def _sku(n: int) -> str:
    return f"{SKU_PREFIX}{n:04d}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log_path: Path

    def worker_pids(self) -> list[int]:
        return _children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_gunicorn(
    *,
    app: str,
    database_url: str,
    workers: int,
    threads: int,
    log_path: Path,
    extra_env: dict[str, str] | None = None,
) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "oms.settings.production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        # TLS ends at the proxy in production; over loopback the benchmark speaks plain HTTP.
        "SECURE_SSL_REDIRECT": "0",
        "DB_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    env.pop("REDIS_URL", None)  # the stub broker: the benchmark measures intake, not delivery
    command = [
        str(REPO / ".venv" / "bin" / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--threads",
        str(threads),
        "--keep-alive",
        "5",
        "--graceful-timeout",
        "10",
        "--no-control-socket",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log_path),
    ]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    server = Server(process=process, port=port, log_path=log_path)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as r:
                if r.status == 200 and len(server.worker_pids()) >= workers:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise SystemExit(f"gunicorn did not answer /health/ in 30 s:\n{server.log_tail()}")
        time.sleep(0.2)


# --- CPU accounting (Linux /proc) -------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    children: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        for task in task_dir.iterdir():
            text = (task / "children").read_text().split()
            children.extend(int(c) for c in text)
    except OSError:
        pass
    return children


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / _TICKS


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return total - idle, total


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _schedstat_seconds(pid: int) -> float:
    """CPU time of a (local) process in seconds, at the scheduler's nanosecond resolution
    (/proc/<pid>/stat counts 10-ms ticks). NaN when it cannot be read."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return float("nan")


def postgres_backend_pids() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


# --- Load -------------------------------------------------------------------------------


@dataclass
class LoadResult:
    elapsed: float = 0.0
    # (latency seconds, status, start offset seconds from the run's start)
    samples: list[tuple[float, int, float]] = field(default_factory=list)
    errors: collections.Counter = field(default_factory=collections.Counter)
    error_bodies: collections.Counter = field(default_factory=collections.Counter)
    cpu: dict[str, float] = field(default_factory=dict)
    machine_busy: float = 0.0  # share of all CPUs busy during the run
    machine_busy_seconds: float = 0.0

    def count(self, status: int) -> int:
        return sum(1 for _, s, _ in self.samples if s == status)


class OrderFactory:
    """Request bodies: unique references, random SKUs, random destinations in Germany."""

    def __init__(self, *, run: str, flash: bool, seed: int) -> None:
        self.run = run
        self.flash = flash
        self.seed = seed

    def body(self, index: int) -> bytes:
        rng = random.Random(self.seed * 1_000_003 + index)
        if self.flash:
            lines = [{"sku": FLASH_SKU, "quantity": 1, "unit_price": "19.99"}]
        else:
            lines = [
                {"sku": _sku(n), "quantity": rng.randint(1, 2), "unit_price": "9.95"}
                for n in rng.sample(range(SKUS), LINES_PER_ORDER)
            ]
        return json.dumps(
            {
                "external_reference": f"{self.run}-{index}",
                "currency": "EUR",
                "customer": {"email": f"c{index}@example.com", "name": "Bench Customer"},
                "shipping_address": {
                    "name": "Bench Customer",
                    "street": "Teststr. 1",
                    "postal_code": "10115",
                    "city": "Berlin",
                    "country": "DE",
                    "latitude": round(rng.uniform(*LAT_RANGE), 5),
                    "longitude": round(rng.uniform(*LON_RANGE), 5),
                },
                "shipping_total": "4.90",
                "payment_status": "authorized",
                "lines": lines,
            }
        ).encode()


def drive(
    *,
    port: int,
    api_key: str,
    factory: OrderFactory | None,
    connections: int,
    duration: float,
    max_requests: int,
    cpu_pids: dict[str, list[int]] | None = None,
) -> LoadResult:
    """Send orders over `connections` keep-alive connections until the time or count is up
    (no factory: GET /health/ instead, the framework's floor)."""
    counter = itertools.count()
    deadline = time.perf_counter() + duration
    per_thread: list[list[tuple[float, int, float]]] = [[] for _ in range(connections)]
    errors: collections.Counter = collections.Counter()
    error_bodies: collections.Counter = collections.Counter()
    lock = threading.Lock()
    start_barrier = threading.Barrier(connections + 1)

    def worker(slot: int) -> None:
        out = per_thread[slot]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {
            "Authorization": f"Api-Key {api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        start_barrier.wait()
        while True:
            index = next(counter)
            if index >= max_requests or time.perf_counter() >= deadline:
                break
            started = time.perf_counter()
            try:
                if factory is None:
                    conn.request("GET", HEALTH_PATH)
                else:
                    body = factory.body(index)
                    headers["Idempotency-Key"] = f"{factory.run}-{index}"
                    conn.request("POST", ORDERS_PATH, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors[type(exc).__name__] += 1
                conn.close()
                continue
            out.append((time.perf_counter() - started, response.status, started))
            if response.status not in (200, 201, 409):
                try:
                    code = json.loads(payload).get("code", "?")
                except ValueError:
                    code = payload[:80].decode(errors="replace")
                with lock:
                    error_bodies[f"{response.status} {code}"] += 1
            if response.will_close:
                conn.close()
        conn.close()

    threads = [
        threading.Thread(target=worker, args=(slot,), daemon=True) for slot in range(connections)
    ]
    for thread in threads:
        thread.start()
    pids = cpu_pids or {}
    cpu_before = {name: _cpu_seconds(group) for name, group in pids.items()}
    client_before = time.process_time()
    machine_before = _machine_ticks()
    start_barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    result = LoadResult(elapsed=time.perf_counter() - started)
    begin = started
    machine_after = _machine_ticks()
    result.cpu = {name: _cpu_seconds(group) - cpu_before[name] for name, group in pids.items()}
    result.cpu["client"] = time.process_time() - client_before
    busy = machine_after[0] - machine_before[0]
    total = machine_after[1] - machine_before[1]
    result.machine_busy = busy / total if total else 0.0
    result.machine_busy_seconds = busy / _TICKS
    result.samples = sorted(
        (seconds, status, at - begin) for out in per_thread for seconds, status, at in out
    )
    result.errors = errors
    result.error_bodies = error_bodies
    return result


# --- Reporting --------------------------------------------------------------------------


def _ms(values: list[float], pct: float) -> str:
    return f"{percentile(values, pct) * 1000:.1f}" if values else "-"


def report(label: str, result: LoadResult, *, accepted_status: int = 201) -> tuple[float, float]:
    latencies = [seconds for seconds, _, _ in result.samples]
    accepted = result.count(accepted_status)
    rate = accepted / result.elapsed if result.elapsed else 0.0
    statuses = collections.Counter(status for _, status, _ in result.samples)
    print(f"\n== {label}")
    print(
        f"requests {len(result.samples) + sum(result.errors.values())} in "
        f"{result.elapsed:.2f} s: {len(result.samples) / result.elapsed:.1f} requests/s"
        + (", " if accepted_status == 201 else "")
        + (f"{rate:.1f} orders/s (201)" if accepted_status == 201 else "")
    )
    if latencies:
        print(
            f"latency (all responses): p50 {_ms(latencies, 50)} ms  p95 {_ms(latencies, 95)} ms  "
            f"p99 {_ms(latencies, 99)} ms  max {max(latencies) * 1000:.1f} ms"
        )
    by_status: dict[int, list[float]] = collections.defaultdict(list)
    for seconds, status, _ in result.samples:
        by_status[status].append(seconds)
    if len(by_status) > 1:
        for status, values in sorted(by_status.items()):
            print(
                f"  {status}: p50 {_ms(values, 50)} ms  p95 {_ms(values, 95)} ms  "
                f"p99 {_ms(values, 99)} ms"
            )
    print("status: " + ", ".join(f"{s}={n}" for s, n in sorted(statuses.items())))
    errors = {**result.errors, **result.error_bodies}
    print("errors: " + (", ".join(f"{k}={n}" for k, n in errors.items()) if errors else "none"))
    if result.samples:
        per = len(result.samples)
        parts = ", ".join(
            f"{name} {seconds * 1000 / per:.2f} ms" for name, seconds in result.cpu.items()
        )
        ours = sum(result.cpu.values())
        others = max(0.0, result.machine_busy_seconds - ours)
        cores = os.cpu_count() or 1
        print(f"CPU per request: {parts}")
        print(
            f"machine: {result.machine_busy * 100:.0f}% of {cores} cores busy; other processes "
            f"used {others / result.elapsed:.2f} cores meanwhile. CPU ceiling if the benchmark "
            f"had all {cores} cores: ~{cores * per / ours:.0f} requests/s"
        )
    p99 = percentile(latencies, 99) * 1000 if latencies else float("inf")
    return rate, p99


def verify_flash(*, flash_stock: int, accepted: int) -> bool:
    """Accepted == units sold <= stock, no level over-reserved, ledger clean."""
    from django.db.models import F, Sum

    from inventory.models import Reservation, StockLevel
    from inventory.selectors import stock_ledger_mismatches
    from orders.models import OrderLine, OrderState

    levels = StockLevel.objects.filter(product__sku=FLASH_SKU)
    totals = levels.aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    on_hand, sold = totals["on_hand"] or 0, totals["reserved"] or 0
    over_reserved = levels.filter(reserved__gt=F("on_hand")).count()
    reserved_by_reservations = (
        Reservation.objects.filter(
            stock_level__product__sku=FLASH_SKU, status=Reservation.Status.ACTIVE
        ).aggregate(total=Sum("quantity"))["total"]
        or 0
    )
    ordered = (
        OrderLine.objects.filter(sku=FLASH_SKU)
        .exclude(order__state=OrderState.CANCELLED)
        .aggregate(total=Sum("quantity"))["total"]
        or 0
    )
    mismatches = stock_ledger_mismatches()
    oversell = max(0, sold - flash_stock) + over_reserved
    print(
        f"flash SKU: stock {flash_stock} (on hand {on_hand}), accepted {accepted}, units in "
        f"orders {ordered}, units reserved (sold) {sold}, active reservations "
        f"{reserved_by_reservations}, levels reserved above on hand {over_reserved}"
    )
    print(f"ledger check: {'clean' if not mismatches else f'{len(mismatches)} MISMATCHES'}")
    for mismatch in mismatches[:10]:
        print(f"  {mismatch}")
    print(f"oversell: {oversell}")
    ok = (
        oversell == 0
        and not mismatches
        and accepted == sold == ordered == reserved_by_reservations
        and on_hand == flash_stock
    )
    print(f"flash-sale invariants: {'OK' if ok else 'BROKEN'}")
    return ok


def ledger_check() -> bool:
    from inventory.selectors import stock_ledger_mismatches

    mismatches = stock_ledger_mismatches()
    print(f"ledger check: {'clean' if not mismatches else f'{len(mismatches)} MISMATCHES'}")
    for mismatch in mismatches[:10]:
        print(f"  {mismatch}")
    return not mismatches


# --- In-process breakdown ---------------------------------------------------------------

# --replay: copies replayed at once (pipelined), as pgbench's connections in bench_ratios.py.
REPLAY_CONNECTIONS = 8

# (label, module path, attribute, depth): the functions timed by --breakdown, patched where
# their callers look them up. Nested stages are included in their parents' figures.
STAGES = [
    ("authenticate (API key)", "oms.api.auth.ApiKeyAuthentication", "authenticate", 1),
    ("idempotent() total", "orders.api.views.orders", "idempotent", 1),
    ("request fingerprint", "orders.idempotency", "request_fingerprint", 2),
    ("claim (idempotency key)", "orders.idempotency", "_claim", 2),
    (
        "input serializer is_valid",
        "orders.api.serializers.OrderCreateInputSerializer",
        "is_valid",
        2,
    ),
    ("_order_input", "orders.api.views.orders", "_order_input", 2),
    ("order_place total", "orders.services", "order_place", 2),
    ("order_rows_create", "orders.services.intake", "order_rows_create", 3),
    ("EventRecorder.add", "orders.events.EventRecorder", "add", 3),
    ("allocate total", "orders.services.intake", "allocate", 3),
    ("strategy_for_context", "orders.services.allocation", "strategy_for_context", 4),
    ("routing_snapshot", "orders.services.allocation", "routing_snapshot", 4),
    ("plan_order (pure planner)", "orders.services.allocation", "plan_order", 4),
    ("reserve_plan (reserve + inserts)", "orders.services.allocation", "reserve_plan", 4),
    ("decision log entries (planner)", "routing.pool.Pool", "entries", 3),
    ("decision log compaction", "orders.events", "decision_log_compact", 3),
    ("events flush (events + outbox)", "orders.events.EventRecorder", "flush", 3),
    ("order_prime_for_output", "orders.api.views.orders", "order_prime_for_output", 2),
    ("OrderOutputSerializer.data", "orders.api.serializers.OrderOutputSerializer", "data", 2),
    ("commit", "django.db.backends.base.base.BaseDatabaseWrapper", "commit", 2),
]


def breakdown(
    *, api_key: str, orders: int, seed: int, replay: bool = False, what_if: Sequence[str] = ()
) -> bool:
    """Place `orders` orders in this process (Django test client, same database and code) and
    say where the CPU time and the queries go. No gunicorn, no network: the figures are the
    application's own cost per order. Also checks that each 201 body equals a later GET of the
    order (it must, with or without experiments). False if that check fails.

    With `replay`, also the floor under PostgreSQL's figure: the same statements replayed
    without the application (benchmarks/statement_replay.py); with `what_if` (DDL
    statements), also as sent on a copy changed by each, statement by statement against the
    unchanged copy: what a schema change would save, before any code is written."""
    import importlib

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    spent: dict[str, float] = collections.defaultdict(float)
    restore: list[tuple[object, str, object]] = []

    def timed(label: str, fn):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - started

        return wrapper

    for label, path, attr, _depth in STAGES:
        try:
            owner: object = importlib.import_module(path)
        except ModuleNotFoundError:
            module_path, _, class_name = path.rpartition(".")
            owner = getattr(importlib.import_module(module_path), class_name)
        original = inspect.getattr_static(owner, attr)
        if isinstance(original, property):
            replacement: object = property(timed(label, original.fget))
        else:
            replacement = timed(label, original)
        own = not isinstance(owner, type) or attr in vars(owner)
        restore.append((owner, attr, original if own else None))
        setattr(owner, attr, replacement)

    client = Client()
    factory = OrderFactory(run=f"bd{int(time.time())}", flash=False, seed=seed)
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}", "HTTP_HOST": "127.0.0.1"}

    bodies: list[dict] = []
    recording = statement_replay.Recording()
    copies: list[str] = []
    if replay:  # copies of the database as it is before the first order, one per replay
        modes = ["sent", "pipelined", *(f"c{n}" for n in range(REPLAY_CONNECTIONS))]
        modes += [f"w{n}" for n in range(len(what_if) + 1 if what_if else 0)]
        copies = [statement_replay.clone_database(mode) for mode in modes]
        recording.start()

    def post(index: int) -> None:
        response = client.post(
            ORDERS_PATH,
            factory.body(index),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"{factory.run}-{index}",
            **headers,
        )
        if response.status_code != 201:
            raise SystemExit(f"breakdown: {response.status_code} {response.content[:300]!r}")
        if len(bodies) < 20:
            bodies.append(response.json())

    try:
        for index in range(10):  # warm-up: imports, connection, caches
            post(index)
        with CaptureQueriesContext(connection) as capture:
            post(10)
        # Materialise now: the next request clears the connection's query log.
        queries = list(capture.captured_queries)
        spent.clear()
        backend = _backend_pid()
        started_pg = _schedstat_seconds(backend)
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        recording.mark("start")
        for index in range(11, 11 + orders):
            post(index)
        recording.mark("end")
        cpu = (time.process_time() - started_cpu) / orders
        wall = (time.perf_counter() - started_wall) / orders
        pg_cpu = (_schedstat_seconds(backend) - started_pg) / orders
    finally:
        recording.stop()
        for owner, attr, original in reversed(restore):
            if original is None:
                delattr(owner, attr)
            else:
                setattr(owner, attr, original)

    differing = 0
    for body in bodies:
        again = client.get(f"{ORDERS_PATH}{body['id']}/", **headers).json()
        differing += again != body
    kinds = collections.Counter(q["sql"].split(None, 1)[0].upper() for q in queries)
    print(f"\n== in-process breakdown: {orders} orders, one at a time (Django test client)")
    print(
        f"per order: CPU {cpu * 1000:.2f} ms, PostgreSQL backend CPU {pg_cpu * 1000:.3f} ms, "
        f"wall {wall * 1000:.2f} ms; "
        f"{len(queries)} statements ("
        + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())
        + ")"
    )
    print("CPU per order by stage (nested stages are part of the stage above them):")
    for label, _path, _attr, depth in STAGES:
        indent = "  " * (depth - 1)
        print(f"  {indent}{label:<{44 - 2 * depth}} {spent[label] * 1000 / orders:6.2f} ms")
    print("statements of one order:")
    for query in queries:
        print(f"  {query['sql'][:110]}")
    verdict = "identical" if not differing else f"{differing} DIFFER"
    print(f"201 bodies vs a later GET of the same order ({len(bodies)} orders): {verdict}")
    replayed = _replay_floor(
        recording, copies, orders=orders, app_pg_ms=pg_cpu * 1000, what_if=what_if
    )
    return not differing and replayed


def _replay_floor(
    recording: statement_replay.Recording,
    copies: list[str],
    *,
    orders: int,
    app_pg_ms: float,
    what_if: Sequence[str] = (),
) -> bool:
    """Replay the recorded statements on the copies (as sent, pipelined, pipelined on
    REPLAY_CONNECTIONS at once, then the what-ifs on the rest), compare with the application's
    figure and with pgbench's order transaction on one connection and on as many as the
    concurrent replay used."""
    from benchmarks.bench_ratios import pgbench_uniform_cpu

    if not copies:
        return True
    ok = len(recording.connections) == 1
    results = []
    concurrent: list[statement_replay.ReplayResult] = []
    try:
        for database, pipelined in zip(copies[:2], (False, True), strict=True):
            result = statement_replay.replay(recording, database, pipelined=pipelined)
            same, state = statement_replay.same_state(database)
            ok &= same and not result.errors
            results.append(result)
            print(
                f"replay {result.mode}: {result.cpu_ms / orders:.3f} ms PostgreSQL CPU per "
                f"order, {result.round_trips / orders:.1f} round trips and "
                f"{result.statements / orders:.1f} statements per order; errors "
                f"{result.errors}; end state {'same' if same else 'DIFFERENT'} ({state})"
            )
            if result.by_statement:
                _print_statement_costs(result, orders=orders)
        if what_if:
            ok &= _replay_what_ifs(
                recording, copies[2 + REPLAY_CONNECTIONS :], what_if, orders=orders
            )
        copies_at_once = copies[2 : 2 + REPLAY_CONNECTIONS]
        concurrent = statement_replay.replay_concurrently(recording, copies_at_once)
        all_same = all(statement_replay.same_state(database)[0] for database in copies_at_once)
        errors = sum(r.errors for r in concurrent)
        ok &= all_same and not errors
        slowest = max(r.seconds for r in concurrent)
        print(
            f"replay pipelined on {len(concurrent)} copies at once, a connection each: "
            f"{sum(r.cpu_ms for r in concurrent) / (orders * len(concurrent)):.3f} ms "
            f"PostgreSQL CPU per order, {orders * len(concurrent) / slowest:.0f} orders/s "
            f"(PostgreSQL busy {sum(r.cpu_ms for r in concurrent) / 1000 / slowest:.2f} "
            f"cores); errors {errors}; end states {'same' if all_same else 'NOT ALL THE SAME'}"
        )
    finally:
        for database in copies:
            statement_replay.drop_database(database)
    pgbench_ms, tps = pgbench_uniform_cpu(connections=1, seconds=8, warmup=2)
    floor = results[-1].cpu_ms / orders
    print(
        f"pgbench_order_uniform on one connection: {pgbench_ms:.3f} ms PostgreSQL CPU per "
        f"transaction ({tps:.0f} tps)\n"
        f"  application {app_pg_ms:.3f} ms / pipelined replay {floor:.3f} ms = "
        f"{app_pg_ms / floor:.2f}x (what the way intake sends its statements adds)\n"
        f"  pipelined replay {floor:.3f} ms / pgbench {pgbench_ms:.3f} ms = "
        f"{floor / pgbench_ms:.2f}x (what the data model costs, whoever sends it)\n"
        f"  application {app_pg_ms:.3f} ms / pgbench {pgbench_ms:.3f} ms = "
        f"{app_pg_ms / pgbench_ms:.2f}x (one connection; bench_ratios.py measures this at 8)"
    )
    if concurrent:
        together = sum(r.cpu_ms for r in concurrent) / (orders * len(concurrent))
        pgbench_n_ms, tps_n = pgbench_uniform_cpu(connections=len(concurrent), seconds=8, warmup=2)
        print(
            f"pgbench_order_uniform on {len(concurrent)} connections: {pgbench_n_ms:.3f} ms "
            f"PostgreSQL CPU per transaction ({tps_n:.0f} tps)\n"
            f"  pipelined replay on {len(concurrent)} connections {together:.3f} ms / pgbench "
            f"{pgbench_n_ms:.3f} ms = {together / pgbench_n_ms:.2f}x (the data model's cost "
            "with busy backends, as bench_ratios.py's target compares)"
        )
    if len(recording.connections) != 1:
        print(f"replay: INVALID, statements came from {len(recording.connections)} connections")
    return ok


def _replay_what_ifs(
    recording: statement_replay.Recording,
    copies: list[str],
    what_if: Sequence[str],
    *,
    orders: int,
) -> bool:
    """`copies[0]` stays unchanged, the control; each later copy is changed by its DDL. All
    are replayed as sent, alternately, and each changed one is compared with the control,
    statement by statement. False if a replay failed or a copy ended differently."""
    for database, ddl in zip(copies[1:], what_if, strict=True):
        statement_replay.apply_ddl(database, ddl)
    control, *variants = statement_replay.replay_alternately(recording, copies)
    ok = not control.errors
    for database, ddl, result in zip(copies[1:], what_if, variants, strict=True):
        same, _ = statement_replay.same_state(database)
        ok &= same and not result.errors
        print(
            f"what if {ddl!r} (replayed as sent, alternately with an unchanged copy): "
            f"{result.cpu_ms / orders:.3f} ms PostgreSQL CPU per order against "
            f"{control.cpu_ms / orders:.3f} unchanged "
            f"({result.cpu_ms / control.cpu_ms - 1:+.1%}); errors {result.errors}; "
            f"end state {'same' if same else 'DIFFERENT'}"
        )
        _print_statement_costs(result, orders=orders, against=control)
    return ok


def _print_statement_costs(
    result: statement_replay.ReplayResult,
    *,
    orders: int,
    against: statement_replay.ReplayResult | None = None,
) -> None:
    """Where the as-sent replay's PostgreSQL CPU went, statement by statement, dearest first;
    with `against`, each statement's cost there too."""
    total = sum(ms for ms, _ in result.by_statement.values())
    print(f"  by statement (as sent; {total / orders:.3f} ms per order in all):")
    for label, (ms, count) in sorted(result.by_statement.items(), key=lambda item: -item[1][0]):
        before = ""
        if against is not None:
            other = against.by_statement.get(label, [0.0, 0])[0] / orders
            before = f"  (unchanged {other:.3f}, {ms / orders - other:+.3f})"
        print(
            f"    {ms / orders:7.3f} ms {100 * ms / total:5.1f} %  {count / orders:4.2f}/order  "
            f"{ms / count:6.3f} ms each{before}  {label}"
        )


# --- Main -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario",
        choices=["normal", "flash", "both", "none"],
        default="both",
        help="HTTP load scenarios to run; none: only --breakdown [both]",
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per scenario [20]")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per scenario [100000]")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections [8]")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers [3]")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker: 1 = sync workers (they close the connection after each "
        "response; the client reconnects), more = gthread (keep-alive honoured) [1]",
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up load [3]")
    parser.add_argument("--flash-stock", type=int, default=500, help="flash SKU units [500]")
    parser.add_argument(
        "--flash-duration",
        type=float,
        default=60.0,
        help="time bound of the flash sale, which also stops after 2 x --flash-stock "
        "requests (sold out, then as many refusals) [60]",
    )
    parser.add_argument(
        "--breakdown",
        type=int,
        default=0,
        metavar="N",
        help="afterwards, place N orders in-process and print CPU and queries per stage [0]",
    )
    parser.add_argument(
        "--experiments",
        default="",
        metavar="LIST",
        help="comma-separated intake experiments (benchmarks/intake_experiments.py) or 'all': "
        "measure proposed app changes without editing the app []",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="afterwards, the same load on GET /health/ (an empty view): the framework's "
        "own cost per request on this machine",
    )
    parser.add_argument(
        "--replay",
        action="store_true",
        help="with --breakdown: replay the orders' statements without the application (as "
        "sent; each transaction pipelined; pipelined on 8 copies at once) and compare "
        "PostgreSQL's CPU with the application's and with pgbench's order transaction on "
        "one and on 8 connections",
    )
    parser.add_argument(
        "--what-if",
        action="append",
        default=[],
        metavar="DDL",
        help="with --replay: also replay as sent on a copy changed by DDL (e.g. 'DROP INDEX "
        "x'), statement by statement against the unchanged copy; repeatable []",
    )
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--keep-log", action="store_true", help="keep gunicorn's error log")
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_ORDERS_DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["DATABASE_URL"] = database_url
    setup_django()
    from benchmarks.intake_experiments import selected

    experiments = selected(args.experiments)
    if experiments:
        print(f"experiments (benchmark-only monkeypatches): {', '.join(experiments)}")
    from django.db import connection

    started = time.perf_counter()
    reset_database()
    api_key = seed(flash_stock=args.flash_stock, rng=random.Random(args.seed))
    print(
        f"database {connection.settings_dict['NAME']}: {LOCATIONS} locations, {SKUS} SKUs "
        f"(+1 flash SKU with {args.flash_stock} units) seeded in "
        f"{time.perf_counter() - started:.1f} s"
    )
    connection.close()
    ok = True
    if args.scenario != "none":
        ok = run_http(args, api_key=api_key, database_url=database_url, experiments=experiments)
    if args.breakdown:
        if experiments:
            from benchmarks.intake_experiments import apply

            apply(experiments)
        ok &= breakdown(
            api_key=api_key,
            orders=args.breakdown,
            seed=args.seed + 4,
            replay=args.replay or bool(args.what_if),
            what_if=args.what_if,
        )
    if not ok:
        raise SystemExit(1)


def run_http(
    args: argparse.Namespace, *, api_key: str, database_url: str, experiments: list[str]
) -> bool:
    """Start gunicorn, run the scenarios against it, stop it. False if a check failed."""
    from django.db import connection

    log_path = Path(tempfile.mkstemp(prefix="oms-bench-orders-gunicorn-", suffix=".log")[1])
    app = "benchmarks.wsgi_experiments:application" if experiments else "oms.wsgi:application"
    server = start_gunicorn(
        app=app,
        database_url=database_url,
        workers=args.workers,
        threads=args.threads,
        log_path=log_path,
        extra_env={"BENCH_ORDERS_EXPERIMENTS": ",".join(experiments)},
    )
    kind = (
        f"gthread, {args.threads} threads each"
        if args.threads > 1
        else "sync: connection closed after each response"
    )
    print(
        f"gunicorn {app} on 127.0.0.1:{server.port}: {args.workers} workers ({kind}), "
        f"oms.settings.production, CONN_MAX_AGE 600; client: {args.connections} keep-alive "
        f"connections from this process (pid {os.getpid()})"
    )
    ok = True
    run = f"r{int(time.time())}"
    try:
        if args.warmup > 0:
            drive(
                port=server.port,
                api_key=api_key,
                factory=OrderFactory(run=f"{run}-warm", flash=False, seed=args.seed + 1),
                connections=args.connections,
                duration=args.warmup,
                max_requests=args.max_requests,
            )
        pids = {"gunicorn": [server.process.pid, *server.worker_pids()]}
        pids["postgres"] = postgres_backend_pids()
        connection.close()
        if args.scenario in ("normal", "both"):
            result = drive(
                port=server.port,
                api_key=api_key,
                factory=OrderFactory(run=f"{run}-n", flash=False, seed=args.seed + 2),
                connections=args.connections,
                duration=args.duration,
                max_requests=args.max_requests,
                cpu_pids=pids,
            )
            rate, p99 = report(
                f"normal: {LINES_PER_ORDER}-line orders over {LOCATIONS} locations, "
                f"{args.connections} connections, {args.duration:g} s",
                result,
            )
            met = rate >= TARGET_ORDERS_PER_SECOND and p99 <= TARGET_P99_MS
            print(
                f"target >= {TARGET_ORDERS_PER_SECOND:.0f} orders/s with p99 <= "
                f"{TARGET_P99_MS:.0f} ms: {rate:.1f} orders/s, p99 {p99:.1f} ms -> "
                f"{'OK' if met else 'MISSED'}"
            )
            ok &= not result.errors and not result.error_bodies
            ok &= ledger_check()
            connection.close()
        if args.scenario in ("flash", "both"):
            result = drive(
                port=server.port,
                api_key=api_key,
                factory=OrderFactory(run=f"{run}-f", flash=True, seed=args.seed + 3),
                connections=args.connections,
                duration=args.flash_duration,
                max_requests=min(args.max_requests, 2 * args.flash_stock),
                cpu_pids=pids,
            )
            report(
                f"flash sale: 1 unit of one SKU per order ({args.flash_stock} units over "
                f"{LOCATIONS} locations), {args.connections} connections, up to "
                f"{2 * args.flash_stock} requests or {args.flash_duration:g} s",
                result,
            )
            print(f"accepted (201): {result.count(201)}, refused (409): {result.count(409)}")
            accepted_at = [at for _, status, at in result.samples if status == 201]
            if accepted_at:
                early = sum(
                    1
                    for seconds, status, at in result.samples
                    if status == 409 and at + seconds < max(accepted_at)
                )
                print(
                    f"409s answered before the last accepted order was sent: {early} "
                    "(refused while stock may still have been free: the re-plan limit)"
                )
            if result.count(201) < args.flash_stock:
                print("note: the stock did not sell out within --flash-duration; raise it")
            ok &= not result.errors and not result.error_bodies
            ok &= verify_flash(flash_stock=args.flash_stock, accepted=result.count(201))
            connection.close()
        if args.floor:
            result = drive(
                port=server.port,
                api_key=api_key,
                factory=None,
                connections=args.connections,
                duration=args.duration,
                max_requests=args.max_requests,
                cpu_pids=pids,
            )
            report(
                f"floor: GET /health/ (an empty Django view, no database), "
                f"{args.connections} connections, {args.duration:g} s - what the server "
                "costs before any order work",
                result,
                accepted_status=200,
            )
            ok &= not result.errors and not result.error_bodies
    finally:
        server.stop()
        tail = server.log_tail(15)
        if tail.strip():
            print(f"\ngunicorn log ({log_path}), last lines:\n{tail}")
        if args.keep_log:
            print(f"gunicorn log kept: {log_path}")
        else:
            log_path.unlink(missing_ok=True)
        print("gunicorn stopped")
    return ok


if __name__ == "__main__":
    main()
