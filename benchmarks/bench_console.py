"""Benchmark: the staff console's order list search and dashboard on 200,000 orders.

    .venv/bin/python benchmarks/bench_console.py              # seeds once, then times
    .venv/bin/python benchmarks/bench_console.py --reseed     # empty and seed again
    .venv/bin/python benchmarks/bench_console.py --explain    # also print the search's plan

Uses its own database (`BENCH_CONSOLE_DATABASE_URL`, default
postgres://postgres@127.0.0.1:5432/oms_bench_console), created and migrated when missing. The
first run seeds 200,000 orders (2 lines and a fulfilment each; 10 % shipped with tracking
numbers) with set-based SQL (benchmarks/console_seed.py, about half a minute); later runs reuse
them. Each timing is a whole admin page through Django's WSGI handler (middleware, session,
admin view, template) as a logged-in superuser: the order list searched by tracking number,
SKU, e-mail, name and postal code, and the dashboard (admin home). Target: p50 < 300 ms each.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/oms_bench_console"
TARGET_MS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per page")
    parser.add_argument("--reseed", action="store_true", help="empty the database and seed")
    parser.add_argument("--explain", action="store_true", help="print the search query plans")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = os.environ.get("BENCH_CONSOLE_DATABASE_URL", DEFAULT_URL)
    from benchmarks.common import describe_ms, machine_load, percentile, setup_django

    setup_django()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from benchmarks.console_seed import (
        CHANNEL_CODE,
        SKU_FORMAT,
        seed_console,
        seed_console_events,
    )
    from orders.models import Order

    if "bench_console" not in connection.settings_dict["NAME"]:
        raise SystemExit("Refusing to seed a database whose name lacks 'bench_console'.")
    seeded = Order.objects.filter(channel__code=CHANNEL_CODE).count()
    if args.reseed or seeded != args.orders:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE orders_order, inventory_product, inventory_location, oms_channel "
                "RESTART IDENTITY CASCADE"
            )
        started = time.perf_counter()
        counts = seed_console(orders=args.orders)
        print(f"seeded {counts} in {time.perf_counter() - started:.1f} s")
    else:
        print(f"reusing {seeded} orders; {seed_console_events()} order events")

    setup_test_environment()  # the test client's host and the in-memory e-mail outbox
    user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", "bench@example.com", "bench-pass"
    )
    client = Client()
    client.force_login(user)
    # Terms an agent would be given, taken from orders in the middle of the history.
    from orders.models import Fulfilment

    middle = Order.objects.filter(channel__code=CHANNEL_CODE).order_by("pk")[args.orders // 2]
    shipped = Fulfilment.objects.filter(order__pk__gte=middle.pk).exclude(tracking_number="")
    tracking = shipped.order_by("pk").values_list("tracking_number", flat=True).first()
    pages = {
        "search by tracking number": ("/admin/orders/order/", tracking or "none"),
        "search by SKU": ("/admin/orders/order/", SKU_FORMAT.format(123).lower()),
        "search by e-mail": ("/admin/orders/order/", middle.customer_email),
        "search by name": ("/admin/orders/order/", middle.customer_name),
        "search by postal code": ("/admin/orders/order/", middle.shipping_address["postal_code"]),
        "search by phone": ("/admin/orders/order/", middle.customer_phone.replace(" ", "")),
        "order list, no search": ("/admin/orders/order/", ""),
        "dashboard": ("/admin/", ""),
    }
    print(machine_load())
    worst = 0.0
    for label, (url, term) in pages.items():
        params = {"q": term} if term else {}
        response = client.get(url, params)
        if response.status_code != 200:
            raise SystemExit(f"{label}: HTTP {response.status_code}")
        found = response.context.get("cl").result_count if response.context.get("cl") else "-"
        samples = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            client.get(url, params)
            samples.append(time.perf_counter() - started)
        p50 = percentile([s * 1000 for s in samples], 50)
        worst = max(worst, p50)
        print(f"{label:28s} {term!r:28s} found {found!s:>6}  {describe_ms(samples)}")
        if args.explain and term:
            _explain(term)
    verdict = "met" if worst < TARGET_MS else "MISSED"
    print(f"slowest p50 {worst:.1f} ms; target < {TARGET_MS:.0f} ms: {verdict}")


def _explain(term: str) -> None:
    from django.db import connection

    from orders.models import Order
    from orders.search import orders_search

    queryset = orders_search(Order.objects.all(), term)[:50]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF) {sql}", params)
        print("\n".join("    " + row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
