"""Every index costs each INSERT an entry (and each non-HOT UPDATE): an order writes about
25 rows, and before orders/0014 about 126 index entries, 25 of them into indexes that no
query needed (benchmarks/README.md, seventh session). These hold the schema to two rules:
- no index of the project's tables is covered by another: a plain B-tree index whose columns
  lead another B-tree index (same operator classes, neither partial) serves nothing the other
  does not, as Django's own index for a ForeignKey does beside a unique constraint that starts
  with the same column;
- the tables every order or checkout hold writes carry no `varchar_pattern_ops` index (the
  `_like` twin Django adds to an indexed CharField for `LIKE 'prefix%'`): nothing there is
  matched by prefix.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"oms", "inventory", "routing", "orders", "returns"}
# Rows written by order intake, checkout holds and pre-orders.
HOT_MODELS = [
    ("orders", "Order"),
    ("orders", "OrderLine"),
    ("orders", "OrderEvent"),
    ("orders", "RoutingDecision"),
    ("orders", "Fulfilment"),
    ("orders", "FulfilmentLine"),
    ("orders", "IdempotencyRecord"),
    ("orders", "CheckoutHold"),
    ("orders", "Payment"),
    ("orders", "PaymentTransaction"),
    ("inventory", "Reservation"),
    ("inventory", "InboundReservation"),
    ("inventory", "StockMovement"),
    ("oms", "OutboxMessage"),
    ("oms", "Delivery"),
]

_INDEXES = """
SELECT c.relname, t.relname, string_to_array(i.indkey::text, ' '),
       string_to_array(i.indclass::text, ' '), i.indisunique,
       i.indpred IS NOT NULL OR i.indexprs IS NOT NULL, am.amname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_am am ON am.oid = c.relam
WHERE t.relname = ANY(%s)
"""


class _Index(NamedTuple):
    name: str
    table: str
    columns: list[str]
    classes: list[str]
    unique: bool
    special: bool  # partial or on expressions
    method: str


def _tables(models: list) -> list[str]:
    return [model._meta.db_table for model in models]


def _project_tables() -> list[str]:
    # Not the auto-created many-to-many tables: Django indexes them, the models cannot say.
    return _tables(
        [
            model
            for model in apps.get_models()
            if model._meta.app_label in PROJECT_APPS and not model._meta.auto_created
        ]
    )


def _indexes(tables: list[str]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_INDEXES, [tables])
        return cursor.fetchall()


def test_no_index_is_covered_by_another() -> None:
    indexes = [_Index(*row) for row in _indexes(_project_tables())]
    assert len(indexes) > 50  # the query sees the schema
    plain = [i for i in indexes if i.method == "btree" and not i.special]
    covered = [
        f"{index.table}: {index.name} is covered by {other.name}"
        for index in plain
        if not index.unique
        for other in plain
        if other.name != index.name
        and other.table == index.table
        and other.columns[: len(index.columns)] == index.columns
        and other.classes[: len(index.classes)] == index.classes
    ]
    assert covered == []


def test_hot_tables_have_no_prefix_match_indexes() -> None:
    tables = _tables([apps.get_model(app, name) for app, name in HOT_MODELS])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexdef LIKE '%%pattern_ops%%'",
            [tables],
        )
        assert cursor.fetchall() == []


def test_the_checks_see_a_covered_index() -> None:
    """The rule itself: a foreign-key index beside a unique constraint leading with it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX hygiene_probe ON orders_orderline (order_id)"  # as Django's own was
        )
    indexes = _indexes(["orders_orderline"])
    names = {row[0] for row in indexes}
    assert "hygiene_probe" in names
    with pytest.raises(AssertionError, match="hygiene_probe is covered by order_line_unique"):
        test_no_index_is_covered_by_another()
