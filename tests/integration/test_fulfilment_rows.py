"""New fulfilments and their lines in one statement (orders/services/fulfilment_rows.py):
the same rows as the ORM's bulk INSERTs, lines of existing fulfilments too, every column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orders.models import Fulfilment, FulfilmentLine, Order
from orders.services.fulfilment_rows import LINE_COLUMNS, fulfilment_rows_create
from tests.factories import ChannelFactory, LocationFactory, ProductFactory, place_order, stock

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]

FULFILMENT_COMPARED = (
    "location_id", "transfer_to_id", "state", "carrier", "tracking_number", "distance_km",
    "cost", "promised_date", "awaiting_stock",
)  # fmt: skip


@pytest.fixture
def placed() -> tuple[Order, Order, list]:
    channel = ChannelFactory()
    locations = [LocationFactory(channels=[channel]) for _ in range(3)]
    for sku in ("FR-A", "FR-B"):
        stock(locations[0], ProductFactory(sku=sku), 10)
    first = place_order(channel, ("FR-A", 1), ("FR-B", 2))
    second = place_order(channel, ("FR-A", 1), ("FR-B", 2))
    return first, second, locations


def _new(order: Order, locations: list) -> tuple[list[Fulfilment], list[FulfilmentLine]]:
    lines = list(order.lines.order_by("line_number"))
    one = Fulfilment(order=order, location=locations[1], distance_km=12.5, cost=Decimal("3.10"))
    two = Fulfilment(
        order=order,
        location=locations[2],
        transfer_to=locations[1],
        cost=Decimal("0"),
        promised_date=dt.date(2027, 1, 4),
        awaiting_stock=True,
    )
    return [one, two], [
        FulfilmentLine(fulfilment=two, order_line_id=lines[1].pk, quantity=2),
        FulfilmentLine(fulfilment=one, order_line_id=lines[0].pk, quantity=1),
        FulfilmentLine(fulfilment=one, order_line_id=lines[1].pk, quantity=1),
    ]


def _stored(order: Order, fulfilments: list[Fulfilment]) -> list[tuple]:
    rows = []
    for fulfilment in fulfilments:
        row = Fulfilment.objects.values(*FULFILMENT_COMPARED).get(pk=fulfilment.pk)
        lines = list(
            FulfilmentLine.objects.filter(fulfilment=fulfilment)
            .order_by("pk")
            .values_list("order_line__line_number", "quantity", "reservation_id")
        )
        rows.append((row, lines))
    return rows


def test_rows_match_the_orm(placed) -> None:  # type: ignore[no-untyped-def]
    first, second, locations = placed
    ours, our_lines = _new(first, locations)
    theirs, their_lines = _new(second, locations)

    fulfilment_rows_create(ours, our_lines)
    Fulfilment.objects.bulk_create(theirs)
    FulfilmentLine.objects.bulk_create(their_lines)

    assert _stored(first, ours) == _stored(second, theirs)
    assert all(f.pk and not f._state.adding and f.created_at for f in ours)
    assert [fl.fulfilment_id for fl in our_lines] == [ours[1].pk, ours[0].pk, ours[0].pk]
    assert [fl.pk for fl in our_lines] == sorted(fl.pk for fl in our_lines)
    assert set(FulfilmentLine.objects.filter(fulfilment__in=ours).values_list("pk", flat=True)) == {
        fl.pk for fl in our_lines
    }


def test_lines_may_join_an_existing_fulfilment(placed) -> None:  # type: ignore[no-untyped-def]
    first, _, locations = placed
    existing = first.fulfilments.get()
    lines = list(first.lines.order_by("line_number"))
    new = Fulfilment(order=first, location=locations[2])
    rows = [
        FulfilmentLine(fulfilment=existing, order_line_id=lines[0].pk, quantity=1),
        FulfilmentLine(fulfilment=new, order_line_id=lines[1].pk, quantity=1),
    ]

    fulfilment_rows_create([new], rows)

    assert [fl.fulfilment_id for fl in rows] == [existing.pk, new.pk]
    assert FulfilmentLine.objects.get(pk=rows[0].pk).fulfilment_id == existing.pk
    assert FulfilmentLine.objects.get(pk=rows[1].pk).fulfilment_id == new.pk

    only_existing = FulfilmentLine(fulfilment=existing, order_line_id=lines[1].pk, quantity=1)
    fulfilment_rows_create([], [only_existing])
    assert FulfilmentLine.objects.get(pk=only_existing.pk).fulfilment_id == existing.pk


def test_the_insert_lists_every_column_of_the_line_model() -> None:
    model_columns = {f.column for f in FulfilmentLine._meta.concrete_fields if not f.primary_key}
    assert set(LINE_COLUMNS) == model_columns
    assert len(LINE_COLUMNS) == len(model_columns)
