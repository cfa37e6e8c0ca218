"""New fulfilments and their lines written in one statement (routing's last write).

On PostgreSQL one `WITH ... INSERT` writes the fulfilments (values from the model's fields,
`oms.db.insert_values_sql`) and the lines that point at them or at existing fulfilments (an
extension); elsewhere, or with no new fulfilment, two bulk INSERTs through the ORM.
`tests/integration/test_fulfilment_rows.py` holds the two equal and the column list to the model.
"""

from __future__ import annotations

from django.db import connection

from oms.db import array_param, insert_values_sql, mark_saved

from ..models import Fulfilment, FulfilmentLine

# Every column of FulfilmentLine but its id, in the order of the SELECT below.
LINE_COLUMNS = (
    "fulfilment_id",
    "order_line_id",
    "quantity",
    "reservation_id",
    "inbound_reservation_id",
)

_SQL = f"""
WITH f AS ({{fulfilments}} RETURNING id),
numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM f),
fl AS (
    INSERT INTO {FulfilmentLine._meta.db_table} ({", ".join(LINE_COLUMNS)})
    SELECT COALESCE(u.fulfilment_id, numbered.id), u.order_line_id, u.quantity,
        u.reservation_id, u.inbound_reservation_id
    FROM unnest(%s::integer[], %s::bigint[], %s::bigint[], %s::integer[], %s::bigint[],
                %s::bigint[])
        WITH ORDINALITY AS u(part, fulfilment_id, order_line_id, quantity, reservation_id,
                             inbound_reservation_id, k)
    LEFT JOIN numbered ON numbered.n = u.part
    ORDER BY u.k
    RETURNING id
)
SELECT (SELECT array_agg(id ORDER BY id) FROM f), (SELECT array_agg(id ORDER BY id) FROM fl)
"""


def fulfilment_rows_create(fulfilments: list[Fulfilment], lines: list[FulfilmentLine]) -> None:
    """Save the unsaved `fulfilments` and `lines` (each line's fulfilment is one of
    `fulfilments` or an existing one); sets their primary keys."""
    if connection.vendor != "postgresql" or not fulfilments:
        Fulfilment.objects.bulk_create(fulfilments)
        FulfilmentLine.objects.bulk_create(lines)
        return
    part = {id(f): n for n, f in enumerate(fulfilments, start=1)}
    parts = [part.get(id(fl.fulfilment), 0) for fl in lines]
    insert, params = insert_values_sql(Fulfilment, fulfilments)
    params += [
        array_param(parts),
        array_param([None if n else fl.fulfilment.pk for n, fl in zip(parts, lines, strict=True)]),
        array_param([fl.order_line_id for fl in lines]),
        array_param([fl.quantity for fl in lines]),
        array_param([fl.reservation_id for fl in lines]),
        array_param([fl.inbound_reservation_id for fl in lines]),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_SQL.replace("{fulfilments}", insert), params)
        fulfilment_ids, line_ids = cursor.fetchone()
    for fulfilment, pk in zip(fulfilments, fulfilment_ids, strict=True):
        mark_saved(fulfilment, pk)
    for fl, pk in zip(lines, line_ids or (), strict=True):
        fl.fulfilment_id = fl.fulfilment.pk
        mark_saved(fl, pk)
