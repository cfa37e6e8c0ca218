"""Intake's line INSERT with the SKU lookup in it (orders/services/intake_lines.py) writes what
its ORM twin writes, refuses unknown and inactive SKUs the same way, and lists every column."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from orders.models import Order, OrderLine
from orders.services.intake import LineInput
from orders.services.intake_lines import COLUMNS, order_lines_create, order_lines_create_orm
from routing.errors import UnknownSku
from tests.factories import ChannelFactory, ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]


def _order(ref: str) -> Order:
    channel = ChannelFactory()
    return Order.objects.create(
        channel=channel, external_reference=ref, currency="EUR", shipping_address={}
    )


def _stored(order: Order) -> list[tuple]:
    return list(
        OrderLine.objects.filter(order=order)
        .order_by("line_number")
        .values_list(
            "line_number", "product_id", "sku", "name", "quantity", "cancelled_quantity",
            "unit_price",
        )
    )  # fmt: skip


def test_lines_match_the_orm_twin() -> None:
    a, b = ProductFactory(sku="A"), ProductFactory(sku="B")
    lines = [
        LineInput("B", 2, Decimal("9.95"), "Bee"),
        LineInput("A", 1, Decimal("0.00")),
        LineInput("B", 5, Decimal("1234567890.12"), "again"),
    ]
    first, second = _order("L-1"), _order("L-2")

    created = order_lines_create(order=first, lines=lines)
    twin = order_lines_create_orm(order=second, lines=lines)

    assert _stored(first) == _stored(second)
    assert [(ln.line_number, ln.product_id, ln.sku) for ln in created] == [
        (1, b.pk, "B"),
        (2, a.pk, "A"),
        (3, b.pk, "B"),
    ]
    assert [(ln.quantity, ln.unit_price, ln.name) for ln in created] == [
        (ln.quantity, ln.unit_price, ln.name) for ln in twin
    ]
    assert all(ln.pk and not ln._state.adding for ln in created)
    assert {ln.pk for ln in created} == set(
        OrderLine.objects.filter(order=first).values_list("pk", flat=True)
    )


@pytest.mark.parametrize("create", [order_lines_create, order_lines_create_orm])
def test_unknown_and_inactive_skus_are_refused_and_nothing_stays(create) -> None:  # type: ignore[no-untyped-def]
    ProductFactory(sku="A")
    ProductFactory(sku="OLD", active=False)
    order = _order("L-3")
    lines = [LineInput("A", 1, Decimal("1")), LineInput("NOPE", 1, Decimal("1")),
             LineInput("OLD", 1, Decimal("1"))]  # fmt: skip

    with pytest.raises(UnknownSku) as refused:
        with transaction.atomic():
            create(order=order, lines=lines)

    assert refused.value.code == "unknown_sku"
    assert refused.value.details == {"skus": ["NOPE", "OLD"]}
    assert not OrderLine.objects.filter(order=order).exists()


def test_the_insert_lists_every_column_of_the_model() -> None:
    model_columns = {f.column for f in OrderLine._meta.concrete_fields if not f.primary_key}
    assert set(COLUMNS) == model_columns
    assert len(COLUMNS) == len(model_columns)
