"""Availability in one SQL statement: the hottest read path (product and cart pages).

`inventory.selectors.availability_for_channel` runs this on PostgreSQL and its ORM twin
(three queries) elsewhere; tests hold the two equal. One prepared statement whatever the SKU
count (the SKUs are one array parameter), rows in answer order: stock levels by location code,
then inbound by expected date and location code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.utils import timezone

from oms.models import Channel

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


def availability_rows(
    *, channel: Channel, skus: Sequence[str], include_inbound: bool, include_locations: bool
) -> list[tuple[Any, ...]]:
    """The rows described above, ordered by product id, kind, expected date, location code."""
    kinds = Location.Kind
    with connection.cursor() as cursor:
        cursor.execute(
            _SQL.format(**_tables()),
            {
                "skus": list(skus),
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
            },
        )
        return cursor.fetchall()
