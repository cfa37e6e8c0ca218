"""Seeds a large order history for the staff console benchmark in a few set-based statements
(`INSERT ... SELECT FROM generate_series`): 200,000 orders in well under a minute.

The column lists come from the models (`_meta.concrete_fields`): a column added to a model
without an expression here stops the seed with its name instead of inserting wrong rows
(tests/integration/test_console_seed.py runs it on a few hundred orders).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import connection, transaction

CHANNEL_CODE = "bench-console"
LOCATIONS = 20
SKUS = 500
SKU_FORMAT = "BENCH-SKU-{:04d}"
FIRST_NAMES = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas"]
LAST_NAMES = ["Becker", "Fischer", "Hoffmann", "Koch", "Meyer", "Richter", "Schmidt", "Wagner"]

ORDER_STATE = (
    "CASE WHEN g %% 20 = 0 THEN 'waiting' WHEN g %% 20 = 1 THEN 'cancelled' "
    "WHEN g %% 20 BETWEEN 2 AND 11 THEN 'completed' WHEN g %% 20 BETWEEN 12 AND 14 "
    "THEN 'in_progress' ELSE 'routed' END"
)
PLACED_AT = "now() - g * interval '30 seconds'"  # 2,880 orders a day, newest first

ORDER_COLUMNS: dict[str, str] = {
    "channel_id": "%(channel)s",
    "external_reference": "'BENCH-' || lpad(g::text, 7, '0')",
    "state": ORDER_STATE,
    "version": "1",
    "event_count": "0",
    "customer_email": "'customer' || (g %% 60000) || '@example.com'",
    "customer_name": "(%(first)s::text[])[1 + g %% 10] || ' ' "
    "|| (%(last)s::text[])[1 + (g / 10) %% 8] || ' ' || (g %% 60000)",
    "customer_phone": "'+49 30 ' || (1000000 + g %% 60000)",
    "billing_address": "'{}'::jsonb",
    "shipping_address": "jsonb_build_object('name', 'Customer ' || g, 'street', 'Street ' || g,"
    " 'postal_code', lpad((10000 + g %% 80000)::text, 5, '0'), 'city', 'Berlin',"
    " 'country', 'DE', 'phone', '+49 30 ' || (1000000 + g %% 60000))",
    "shipping_country": "'DE'",
    "shipping_latitude": "52.5",
    "shipping_longitude": "13.4",
    "delivery_type": "'ship'",
    "pickup_location_id": "NULL",
    "currency": "'EUR'",
    "subtotal": "59.80",
    "shipping_total": "4.90",
    "discount_total": "0",
    "total": "64.70",
    "payment_status": "'authorized'",
    "priority": "0",
    "excluded_location_ids": "'[]'::jsonb",
    "strategy_version_id": "NULL",
    "strategy_name": "'default v1'",
    "placed_at": PLACED_AT,
    "updated_at": PLACED_AT,
    "waiting_since": f"CASE WHEN g %% 20 = 0 THEN {PLACED_AT} END",
    "escalated_at": f"CASE WHEN g %% 40 = 0 THEN {PLACED_AT} + interval '1 day' END",
    "cancel_reason": "CASE WHEN g %% 20 = 1 THEN 'customer request' ELSE '' END",
}
LINE_COLUMNS: dict[str, str] = {
    "order_id": "o.id",
    "line_number": "n",
    "product_id": "p.id",
    "sku": "p.sku",
    "name": "p.name",
    "quantity": "n",
    "cancelled_quantity": "CASE WHEN o.state = 'cancelled' THEN n ELSE 0 END",
    "unit_price": "19.90",
}
FULFILMENT_STATE = (
    "CASE WHEN o.state = 'completed' THEN 'shipped' WHEN o.state = 'cancelled' THEN 'cancelled' "
    "WHEN o.state = 'in_progress' THEN (CASE WHEN o.id %% 3 = 0 THEN 'picking' ELSE 'accepted' END)"
    " WHEN o.id %% 50 = 3 THEN 'rejected' ELSE 'created' END"
)
FULFILMENT_COLUMNS: dict[str, str] = {
    "order_id": "o.id",
    "location_id": "(%(locations)s::bigint[])[1 + o.id %% %(location_count)s]",
    "transfer_to_id": "NULL",
    "state": FULFILMENT_STATE,
    "carrier": "CASE WHEN o.state = 'completed' THEN 'DHL' ELSE '' END",
    "tracking_number": "CASE WHEN o.state = 'completed' "
    "THEN 'TRK' || lpad(o.id::text, 10, '0') ELSE '' END",
    "tracking_url": "''",
    "rejection_reason": "CASE WHEN o.id %% 50 = 3 AND o.state = 'routed' "
    "THEN 'damaged' ELSE '' END",
    "promised_date": "NULL",
    "awaiting_stock": "false",
    "distance_km": "12.5",
    "cost": "4.90",
    "created_at": "o.placed_at + interval '1 minute'",
    "updated_at": "o.placed_at + interval '1 hour'",
}
# The events the dashboard's figures and queues read: placed and routed for every order,
# shipped and rejected where the fulfilment says so.
EVENT_TYPE = (
    "CASE n WHEN 1 THEN 'placed' WHEN 2 THEN "
    "(CASE WHEN o.state = 'waiting' THEN 'waiting' ELSE 'routed' END) ELSE "
    "(CASE f.state WHEN 'shipped' THEN 'fulfilment_shipped' ELSE 'fulfilment_rejected' END) END"
)
EVENT_COLUMNS: dict[str, str] = {
    "order_id": "o.id",
    "sequence": "n",
    "type": EVENT_TYPE,
    "actor": "'bench'",
    "data": "'{}'::jsonb",
    "public": "true",
    "created_at": "o.placed_at + n * interval '1 minute'",
}
FULFILMENT_LINE_COLUMNS: dict[str, str] = {
    "fulfilment_id": "f.id",
    "order_line_id": "l.id",
    "quantity": "l.quantity",
    "reservation_id": "NULL",
    "inbound_reservation_id": "NULL",
}


def column_sql(model: type, expressions: Mapping[str, str]) -> tuple[str, str]:
    """`(columns, expressions)` for every concrete column of `model` but its primary key."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]  # type: ignore[attr-defined]
    missing = [c for c in columns if c not in expressions]
    extra = [c for c in expressions if c not in columns]
    if missing or extra:
        raise SystemExit(
            f"{model.__name__}: no seed expression for {missing}, unknown columns {extra}"
        )
    return ", ".join(f'"{c}"' for c in columns), ", ".join(expressions[c] for c in columns)


def seed_console(*, orders: int) -> dict[str, int]:
    """A channel, 20 locations, 500 SKUs and `orders` orders (2 lines, 1 fulfilment each)."""
    from inventory.models import Location, Product
    from oms.models import Channel
    from orders.models import Fulfilment, FulfilmentLine, Order, OrderEvent, OrderLine

    with transaction.atomic():
        channel = Channel.objects.create(code=CHANNEL_CODE, name="Console bench")
        locations = Location.objects.bulk_create(
            Location(
                code=f"bench-console-{i:02d}",
                name=f"Bench store {i:02d}",
                kind="warehouse",
                country="DE",
                city="Berlin",
                latitude=52.0 + i / 10,
                longitude=13.0 + i / 10,
            )
            for i in range(LOCATIONS)
        )
        Product.objects.bulk_create(
            Product(sku=SKU_FORMAT.format(i), name=f"Bench product {i}") for i in range(SKUS)
        )
        params = {
            "channel": channel.pk,
            "first": FIRST_NAMES,
            "last": LAST_NAMES,
            "locations": [loc.pk for loc in locations],
            "location_count": LOCATIONS,
            "orders": orders,
            "skus": SKUS,
            "sku_prefix": SKU_FORMAT.split("{")[0],
        }
        o_cols, o_exprs = column_sql(Order, ORDER_COLUMNS)
        l_cols, l_exprs = column_sql(OrderLine, LINE_COLUMNS)
        f_cols, f_exprs = column_sql(Fulfilment, FULFILMENT_COLUMNS)
        fl_cols, fl_exprs = column_sql(FulfilmentLine, FULFILMENT_LINE_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Order._meta.db_table} ({o_cols}) "
                f"SELECT {o_exprs} FROM generate_series(1, %(orders)s) g",
                params,
            )
            cursor.execute(
                f"INSERT INTO {OrderLine._meta.db_table} ({l_cols}) "
                f"SELECT {l_exprs} FROM {Order._meta.db_table} o "
                "CROSS JOIN generate_series(1, 2) n "
                f"JOIN {Product._meta.db_table} p ON p.sku = %(sku_prefix)s || "
                "lpad(((o.id * 7 + n * 13) %% %(skus)s)::text, 4, '0') "
                "WHERE o.channel_id = %(channel)s",
                params,
            )
            cursor.execute(
                f"INSERT INTO {Fulfilment._meta.db_table} ({f_cols}) "
                f"SELECT {f_exprs} FROM {Order._meta.db_table} o "
                "WHERE o.channel_id = %(channel)s AND o.state <> 'waiting'",
                params,
            )
            cursor.execute(
                f"INSERT INTO {FulfilmentLine._meta.db_table} ({fl_cols}) "
                f"SELECT {fl_exprs} FROM {Fulfilment._meta.db_table} f "
                f"JOIN {OrderLine._meta.db_table} l ON l.order_id = f.order_id "
                f"JOIN {Order._meta.db_table} o ON o.id = f.order_id "
                "WHERE o.channel_id = %(channel)s",
                params,
            )
    seed_console_events()
    with connection.cursor() as cursor:
        # Statistics and the visibility map, as autovacuum keeps them on a settled database
        # (index-only counts need the latter). Outside a transaction: VACUUM cannot run in one.
        for model in (Order, OrderLine, Fulfilment, FulfilmentLine, OrderEvent):
            vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"  # tests
            cursor.execute(f"{vacuum} {model._meta.db_table}")
    return {
        "orders": Order.objects.filter(channel=channel).count(),
        "events": OrderEvent.objects.filter(order__channel=channel).count(),
        "fulfilments": Fulfilment.objects.filter(order__channel=channel).count(),
    }


def seed_console_events() -> int:
    """The bench channel's order events (skipped when they exist); returns how many."""
    from orders.models import Fulfilment, Order, OrderEvent

    events = OrderEvent.objects.filter(order__channel__code=CHANNEL_CODE)
    if events.exists():
        return events.count()
    columns, expressions = column_sql(OrderEvent, EVENT_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {OrderEvent._meta.db_table} ({columns}) "
            f"SELECT {expressions} FROM {Order._meta.db_table} o "
            f"JOIN oms_channel c ON c.id = o.channel_id AND c.code = %(channel)s "
            f"CROSS JOIN generate_series(1, 3) n "
            f"LEFT JOIN {Fulfilment._meta.db_table} f ON f.order_id = o.id "
            "WHERE n < 3 OR f.state IN ('shipped', 'rejected')",
            {"channel": CHANNEL_CODE},
        )
        cursor.execute(
            f"UPDATE {Order._meta.db_table} o SET event_count = e.n FROM "
            f"(SELECT order_id, max(sequence) AS n FROM {OrderEvent._meta.db_table} "
            "GROUP BY order_id) e WHERE e.order_id = o.id"
        )
    return events.count()
