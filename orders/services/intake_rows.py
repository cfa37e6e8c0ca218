"""A new order's rows written by intake in one statement: the order, its first payment with
the payment's transactions, and its lines with the SKU lookup in them.

On PostgreSQL one `WITH ... INSERT` writes them all (instead of four round trips through the
ORM): the order row's values come from the model's own fields (`oms.db.insert_values_sql`:
`pre_save`, then `get_db_prep_save`, as Django's INSERT does, so defaults, `auto_now_add`
and JSON stay the ORM's), the other tables' from the column lists below. A line whose SKU is
unknown or inactive returns no row, and the UnknownSku raised for it rolls back the caller's
transaction, the order and payment rows with it.
Elsewhere the ORM twin does the same in five queries.
`tests/integration/test_intake_rows.py` holds the two equal and the column lists to the models.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from django.db import connection
from django.utils import timezone

from inventory.models import Product
from oms.db import array_param, insert_values_sql, mark_saved
from routing.errors import UnknownSku

from ..errors import UNKNOWN_SKU_MESSAGE
from ..models import Order, OrderLine
from ..payments.models import Payment, PaymentTransaction
from ..payments.services import IntakePayment, payment_create_for_intake

# Every column of OrderLine but its id, in the order of the SELECT below.
LINE_COLUMNS = (
    "order_id",
    "line_number",
    "product_id",
    "sku",
    "name",
    "quantity",
    "cancelled_quantity",
    "unit_price",
)
# Every column of Payment but its id, in the order of the SELECT below.
PAYMENT_COLUMNS = (
    "order_id",
    "provider",
    "reference",
    "currency",
    "authorized",
    "captured",
    "refunded",
    "refund_pending",
    "voided_at",
    "failed",
    "created_at",
)
# Every column of PaymentTransaction but its id.
TRANSACTION_COLUMNS = ("payment_id", "kind", "amount", "psp_reference", "actor", "created_at")

_SQL = """
WITH o AS (
    {order_insert} RETURNING id
),
pay AS (
    INSERT INTO {payment} ({payment_columns})
    SELECT o.id, %s, %s, %s, %s, %s, %s, 0, NULL, %s, %s FROM o
    RETURNING id
),
tx AS (
    INSERT INTO {transaction} ({transaction_columns})
    SELECT pay.id, t.kind, t.amount, '', %s, %s
    FROM pay, unnest(%s::text[], %s::numeric[]) WITH ORDINALITY AS t(kind, amount, n)
    ORDER BY t.n
),
l AS (
    INSERT INTO {line} ({line_columns})
    SELECT o.id, u.n, p.id, u.sku, u.name, u.quantity, 0, u.unit_price
    FROM o, unnest(%s::text[], %s::text[], %s::integer[], %s::numeric[])
         WITH ORDINALITY AS u(sku, name, quantity, unit_price, n)
    JOIN {product} p ON p.sku = u.sku AND p.active
    ORDER BY u.n
    RETURNING id, line_number, product_id
)
SELECT o.id, l.id, l.line_number, l.product_id
FROM o LEFT JOIN l ON true
ORDER BY l.line_number
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


_SQL = _SQL.format(
    order_insert="{order_insert}",
    payment=Payment._meta.db_table,
    payment_columns=", ".join(PAYMENT_COLUMNS),
    transaction=PaymentTransaction._meta.db_table,
    transaction_columns=", ".join(TRANSACTION_COLUMNS),
    line=OrderLine._meta.db_table,
    line_columns=", ".join(LINE_COLUMNS),
    product=Product._meta.db_table,
)


def order_rows_create(
    *, order: Order, lines: Sequence[LineData], payment: IntakePayment, actor: str
) -> list[OrderLine]:
    """Save the unsaved `order` with its first payment and its lines (numbered from 1 in the
    given order) and return the lines; raise UnknownSku, having written nothing that survives
    the caller's transaction, when a SKU does not exist or is inactive. Call inside the
    order's transaction."""
    if connection.vendor != "postgresql":
        return order_rows_create_orm(order=order, lines=lines, payment=payment, actor=actor)
    order_insert, params = insert_values_sql(Order, [order])
    sql = _SQL.replace("{order_insert}", order_insert)
    now = timezone.now()
    params += [
        payment.provider,
        payment.reference,
        order.currency,
        payment.authorized,
        payment.captured,
        payment.refunded,
        payment.failed,
        now,
        actor,
        now,
        array_param([kind for kind, _ in payment.steps]),
        array_param([amount for _, amount in payment.steps]),
        array_param([line.sku for line in lines]),
        array_param([line.name for line in lines]),
        array_param([line.quantity for line in lines]),
        array_param([line.unit_price for line in lines]),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    mark_saved(order, rows[0][0])
    rows = [row for row in rows if row[1] is not None]
    if len(rows) != len(lines):
        found = {number for _, _, number, _ in rows}
        unknown = {line.sku for n, line in enumerate(lines, start=1) if n not in found}
        raise UnknownSku(UNKNOWN_SKU_MESSAGE, details={"skus": sorted(unknown)})
    created = []
    for (_, pk, number, product_id), line in zip(rows, lines, strict=True):
        row = OrderLine(
            order=order,
            line_number=number,
            product_id=product_id,
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            cancelled_quantity=0,
            unit_price=line.unit_price,
        )
        mark_saved(row, pk)
        created.append(row)
    return created


def order_rows_create_orm(
    *, order: Order, lines: Sequence[LineData], payment: IntakePayment, actor: str
) -> list[OrderLine]:
    """`order_rows_create` through the ORM: the order, the payment and its transactions,
    the products SELECT, then one bulk INSERT of the lines."""
    order.save()
    payment_create_for_intake(order=order, draft=payment, actor=actor)
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
