"""An order's lines written by intake: the SKU lookup and the INSERT in one statement.

On PostgreSQL `INSERT ... SELECT ... JOIN inventory_product ... RETURNING` resolves each line's
SKU to its active product and writes the line at once (one statement instead of a SELECT and an
INSERT); a line whose SKU is unknown or inactive returns no row, and the caller's transaction is
rolled back by the UnknownSku it raises. Elsewhere the ORM twin does the same in two queries.
`tests/integration/test_intake_lines.py` holds the two equal and the column list to the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from django.db import connection

from inventory.models import Product
from routing.errors import UnknownSku

from ..errors import UNKNOWN_SKU_MESSAGE
from ..models import Order, OrderLine

# Every column of OrderLine but its id, in the order of the VALUES below.
COLUMNS = (
    "order_id",
    "line_number",
    "product_id",
    "sku",
    "name",
    "quantity",
    "cancelled_quantity",
    "unit_price",
)

_SQL = """
INSERT INTO {line} ({columns})
SELECT %s, u.n, p.id, u.sku, u.name, u.quantity, 0, u.unit_price
FROM unnest(%s::text[], %s::text[], %s::integer[], %s::numeric[])
     WITH ORDINALITY AS u(sku, name, quantity, unit_price, n)
JOIN {product} p ON p.sku = u.sku AND p.active
ORDER BY u.n
RETURNING id, line_number, product_id
"""


class LineData(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def unit_price(self) -> Decimal: ...


def order_lines_create(*, order: Order, lines: Sequence[LineData]) -> list[OrderLine]:
    """Write the order's lines (numbered from 1 in the given order) and return them; raise
    UnknownSku, having written nothing that survives the caller's transaction, when a SKU does
    not exist or is inactive. Call inside the order's transaction."""
    if connection.vendor != "postgresql":
        return order_lines_create_orm(order=order, lines=lines)
    sql = _SQL.format(
        line=OrderLine._meta.db_table, product=Product._meta.db_table, columns=", ".join(COLUMNS)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                order.pk,
                [line.sku for line in lines],
                [line.name for line in lines],
                [line.quantity for line in lines],
                [line.unit_price for line in lines],
            ],
        )
        rows = cursor.fetchall()
    if len(rows) != len(lines):
        found = {number for _, number, _ in rows}
        unknown = {line.sku for n, line in enumerate(lines, start=1) if n not in found}
        raise UnknownSku(UNKNOWN_SKU_MESSAGE, details={"skus": sorted(unknown)})
    created = []
    for (pk, number, product_id), line in zip(rows, lines, strict=True):
        row = OrderLine(
            pk=pk,
            order=order,
            line_number=number,
            product_id=product_id,
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            cancelled_quantity=0,
            unit_price=line.unit_price,
        )
        row._state.adding = False
        row._state.db = connection.alias
        created.append(row)
    return created


def order_lines_create_orm(*, order: Order, lines: Sequence[LineData]) -> list[OrderLine]:
    """`order_lines_create` through the ORM: the products SELECT, then one bulk INSERT."""
    skus = {line.sku for line in lines}
    products = dict(Product.objects.filter(sku__in=skus, active=True).values_list("sku", "pk"))
    unknown = sorted(skus - products.keys())
    if unknown:
        raise UnknownSku(UNKNOWN_SKU_MESSAGE, details={"skus": unknown})
    return OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                line_number=number,
                product_id=products[line.sku],
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for number, line in enumerate(lines, start=1)
        ]
    )
