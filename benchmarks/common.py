"""Shared set-up for the benchmarks: a PostgreSQL database of their own, migrated."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    """Create the benchmark database if missing, configure Django and migrate."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench")
    _create_database(os.environ["DATABASE_URL"])

    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit(f"The benchmarks need PostgreSQL, not {connection.vendor}.")
    call_command("migrate", verbosity=0, interactive=False)


def _create_database(url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit(f"The benchmarks need PostgreSQL; DATABASE_URL is {url}.")
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"created database {config['NAME']}")


def machine_load() -> str:
    """The 1-minute load average against the cores: how much else was running."""
    with open("/proc/loadavg") as f:
        one_minute = float(f.read().split()[0])
    return f"load average {one_minute:.2f} on {os.cpu_count()} cores"


def uptime() -> str:
    """`uptime`, and the share of the CPU the hypervisor gave to other guests ("steal") since
    the previous call: a reference or a measurement taken while the host was busy shows it."""
    line = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    steal = _steal_share()
    return line if steal is None else f"{line}; steal {steal * 100:.1f} % since the last line"


_last_cpu: list[int] = []


def _steal_share() -> float | None:
    """Steal / all CPU time since the previous call (None on the first, or without /proc)."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    previous = list(_last_cpu)
    _last_cpu[:] = ticks
    if len(previous) != len(ticks):
        return None
    total = sum(ticks) - sum(previous)
    return (ticks[7] - previous[7]) / total if total > 0 else None


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def describe_ms(samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (
        f"p50 {percentile(ms, 50):.2f} ms  p95 {percentile(ms, 95):.2f} ms  "
        f"p99 {percentile(ms, 99):.2f} ms  mean {statistics.fmean(ms):.2f} ms  "
        f"max {max(ms):.2f} ms"
    )


def delete_bench_data(*, location_prefix: str, sku_prefix: str, channel_prefix: str = "") -> None:
    """Delete what a benchmark created (and only that), children before parents."""
    from django.db import connection, transaction

    params = {"loc": f"{location_prefix}%", "sku": f"{sku_prefix}%", "chan": f"{channel_prefix}%"}
    levels = (
        "SELECT sl.id FROM inventory_stocklevel sl "
        "JOIN inventory_location l ON l.id = sl.location_id WHERE l.code LIKE %(loc)s "
        "UNION SELECT sl.id FROM inventory_stocklevel sl "
        "JOIN inventory_product p ON p.id = sl.product_id WHERE p.sku LIKE %(sku)s"
    )
    statements = [
        f"DELETE FROM inventory_stockmovement WHERE stock_level_id IN ({levels})",
        f"DELETE FROM inventory_reservation WHERE stock_level_id IN ({levels})",
        f"DELETE FROM inventory_stocklevel WHERE id IN ({levels})",
        "DELETE FROM inventory_inboundstock WHERE location_id IN "
        "(SELECT id FROM inventory_location WHERE code LIKE %(loc)s) "
        "OR product_id IN (SELECT id FROM inventory_product WHERE sku LIKE %(sku)s)",
        "DELETE FROM inventory_location_channels WHERE location_id IN "
        "(SELECT id FROM inventory_location WHERE code LIKE %(loc)s)",
        "DELETE FROM oms_apikey WHERE location_id IN "
        "(SELECT id FROM inventory_location WHERE code LIKE %(loc)s)",
        "DELETE FROM inventory_location WHERE code LIKE %(loc)s",
        "DELETE FROM inventory_product WHERE sku LIKE %(sku)s",
    ]
    if channel_prefix:
        statements += [
            "DELETE FROM inventory_location_channels WHERE channel_id IN "
            "(SELECT id FROM oms_channel WHERE code LIKE %(chan)s)",
            "DELETE FROM oms_apikey WHERE channel_id IN "
            "(SELECT id FROM oms_channel WHERE code LIKE %(chan)s)",
            "DELETE FROM oms_channel WHERE code LIKE %(chan)s",
        ]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)
