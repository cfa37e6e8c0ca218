"""Availability in one SQL statement: the hottest read path (product and cart pages).

`inventory.selectors.availability_for_channel` runs `availability_rows` on PostgreSQL and its
ORM twin (three queries) elsewhere; tests hold the two equal. One prepared statement whatever
the SKU count (the SKUs are one array parameter), rows in answer order: stock levels by
location code, then inbound by expected date and location code.

`availability_json_call` is the API's answer itself, built by PostgreSQL (a function, see below):
the same figures as JSON text, in the shape `SkuAvailabilityOutputSerializer` documents (tests
hold it equal to the selector's answer rendered). Building 2,500 location objects for 50 SKUs
x 50 locations took Python most of the request; PostgreSQL builds them for a fraction of that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.utils import timezone

from oms.models import Channel
from oms.postgresql.direct import fetch_row

from .models import InboundStock, Location, Product, StockLevel

LEVEL, TOTAL, INBOUND = 0, 1, 2


def _tables() -> dict[str, str]:
    return {
        "product": Product._meta.db_table,
        "level": StockLevel._meta.db_table,
        "location": Location._meta.db_table,
        "serves": Location.channels.through._meta.db_table,
        "inbound": InboundStock._meta.db_table,
    }


# Rows: (kind, product id, sku, location id, location code, a, b, c, expected date).
# LEVEL: a, b, c = on hand, reserved, safety stock; TOTAL: a = the channel's sum of ATP;
# INBOUND: a = quantity still expected, b = reserved by pre-orders, c = sellable as pre-orders
# (a - b within the channel's horizon for the location's kind; 0 when it does not sell inbound
# stock). A known SKU without rows gets one TOTAL row of 0.
_SQL = """
WITH wanted AS (
    SELECT id, sku FROM {product} WHERE sku = ANY(%(skus)s) AND active
), serving AS (
    SELECT l.id, l.code, l.kind FROM {location} l JOIN {serves} s ON s.location_id = l.id
    WHERE s.channel_id = %(channel)s AND l.active
)
SELECT 0, w.id, w.sku, l.id, l.code, sl.on_hand, sl.reserved, sl.safety_stock, NULL::date
FROM wanted w JOIN {level} sl ON sl.product_id = w.id JOIN serving l ON l.id = sl.location_id
WHERE %(locations)s
UNION ALL
SELECT 1, w.id, w.sku, NULL, NULL,
       COALESCE(SUM(GREATEST(sl.on_hand - sl.reserved - sl.safety_stock, 0)), 0), 0, 0, NULL
FROM wanted w LEFT JOIN ({level} sl JOIN serving l ON l.id = sl.location_id)
    ON sl.product_id = w.id
WHERE NOT %(locations)s
GROUP BY w.id, w.sku
UNION ALL
SELECT 1, w.id, w.sku, NULL, NULL, 0, 0, 0, NULL FROM wanted w WHERE %(locations)s
UNION ALL
SELECT 2, w.id, w.sku, NULL, l.code,
       SUM(i.quantity_expected - i.quantity_received), SUM(i.quantity_reserved),
       CASE WHEN %(sell)s AND i.expected_date <= %(today)s::date + (CASE l.kind
                WHEN 'warehouse' THEN %(h_warehouse)s WHEN 'store' THEN %(h_store)s
                WHEN 'supplier' THEN %(h_supplier)s ELSE %(h_default)s END)
            THEN GREATEST(SUM(i.quantity_expected - i.quantity_received - i.quantity_reserved), 0)
            ELSE 0 END,
       i.expected_date
FROM wanted w JOIN {inbound} i ON i.product_id = w.id JOIN serving l ON l.id = i.location_id
WHERE %(inbound)s AND i.status = %(open)s
GROUP BY w.id, w.sku, l.code, l.kind, i.expected_date
ORDER BY 2, 1, 9, 5
"""


# The API's answer as JSON text: the PostgreSQL function of migration
# inventory/0005_availability_json_function (there with its statement and why it is a function:
# one generic plan per connection instead of planning on every call). Row values become objects
# with their column names as keys (compact, in column order); SKUs in the order asked.
_JSON_CALL = (
    "oms_availability_json(%(skus)s::text[], %(channel)s, %(locations)s, %(inbound)s, "
    "%(open)s, %(sell)s, %(today)s::date, %(h_warehouse)s, %(h_store)s, %(h_supplier)s, "
    "%(h_default)s, %(buffer)s)"
)


def json_expression_value(expression: str, params: dict[str, Any]) -> str:
    """The JSON text an `availability_json_call` expression evaluates to (PostgreSQL only),
    sent the way the API's statement is (oms/postgresql/direct.py)."""
    row = fetch_row(connection, f"SELECT {expression}", params)
    assert row is not None  # a SELECT without FROM has its row
    return bytes(row[0]).decode()


def availability_json_call(
    *, channel: Channel, skus: Sequence[str], include_inbound: bool, include_locations: bool
) -> tuple[str, dict[str, Any]]:
    """The API's availability answer as an SQL expression evaluating to its JSON text (SKUs
    deduplicated in the order asked, the channel's buffer applied) and its named parameters;
    a statement may ask something else too (the API key's check: oms/api/key_in_statement.py)."""
    return _JSON_CALL, {
        **_parameters(channel, include_inbound, include_locations),
        "skus": list(dict.fromkeys(skus)),
        "buffer": channel.availability_buffer,
    }


def _parameters(channel: Channel, include_inbound: bool, include_locations: bool) -> dict[str, Any]:
    kinds = Location.Kind
    return {
        "channel": channel.pk,
        "locations": include_locations,
        "inbound": include_inbound,
        "open": InboundStock.Status.OPEN,
        "sell": channel.sell_inbound,
        "today": timezone.localdate(),
        "h_warehouse": channel.inbound_horizon_for(kinds.WAREHOUSE),
        "h_store": channel.inbound_horizon_for(kinds.STORE),
        "h_supplier": channel.inbound_horizon_for(kinds.SUPPLIER),
        "h_default": channel.inbound_horizon_days,
    }


def availability_rows(
    *, channel: Channel, skus: Sequence[str], include_inbound: bool, include_locations: bool
) -> list[tuple[Any, ...]]:
    """The rows described above, ordered by product id, kind, expected date, location code."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SQL.format(**_tables()),
            {**_parameters(channel, include_inbound, include_locations), "skus": list(skus)},
        )
        return cursor.fetchall()
