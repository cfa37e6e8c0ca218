"""Available to promise for a channel: which locations count, what is subtracted, what it costs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from inventory import selectors
from inventory.models import InboundStock, StockLevel
from inventory.selectors import SkuAvailability, availability_for_channel
from inventory.services import ReservationRequest, stock_reserve
from tests.factories import (
    ChannelFactory,
    InboundStockFactory,
    LocationFactory,
    ProductFactory,
    stock,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]

# On PostgreSQL every test runs twice: the one-statement SQL path and its ORM twin.
IMPLEMENTATIONS = ["sql", "orm"] if connection.vendor == "postgresql" else ["orm"]


@pytest.fixture(params=IMPLEMENTATIONS, autouse=True)
def implementation(request, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    if request.param == "orm":
        monkeypatch.setattr(selectors, "_availability_sql", selectors._availability_orm)
    return request.param


D1 = dt.date(2030, 5, 1)
D2 = dt.date(2030, 5, 8)


def one(channel, sku: str, **kwargs) -> SkuAvailability:  # type: ignore[no-untyped-def]
    (result,) = availability_for_channel(channel=channel, skus=[sku], **kwargs)
    return result


def by_location(result: SkuAvailability) -> dict[str, tuple[int, int, int, int]]:
    return {
        loc.location_code: (loc.on_hand, loc.reserved, loc.safety_stock, loc.available)
        for loc in result.locations
    }


def test_only_active_locations_serving_the_channel_count(channel):
    other = ChannelFactory()
    product = ProductFactory(sku="A")
    stock(LocationFactory(code="serving", channels=[channel]), product, on_hand=5)
    stock(LocationFactory(code="both", channels=[channel, other]), product, on_hand=3)
    stock(LocationFactory(code="inactive", channels=[channel], active=False), product, on_hand=7)
    stock(LocationFactory(code="foreign", channels=[other]), product, on_hand=11)
    stock(LocationFactory(code="unassigned"), product, on_hand=13)

    result = one(channel, "A")

    assert result.known is True
    assert by_location(result) == {"both": (3, 0, 0, 3), "serving": (5, 0, 0, 5)}
    assert result.available == 8
    assert one(other, "A").available == 3 + 11


def test_reserved_and_safety_stock_are_subtracted_per_location(channel):
    product = ProductFactory(sku="A")
    level = stock(LocationFactory(code="l1", channels=[channel]), product, 10, safety_stock=3)
    stock_reserve(
        requests=[ReservationRequest(level.location_id, product.pk, 2, "line:1")], actor="t"
    )

    result = one(channel, "A")

    assert by_location(result) == {"l1": (10, 2, 3, 5)}
    assert result.available == 5


def test_a_location_below_its_safety_stock_counts_as_zero_not_negative(channel):
    product = ProductFactory(sku="A")
    stock(LocationFactory(code="l1", channels=[channel]), product, on_hand=6)
    # 2 on hand, 5 safety stock: -3 would eat into the other location's 6.
    stock(LocationFactory(code="l2", channels=[channel]), product, 2, safety_stock=5)

    result = one(channel, "A")

    assert by_location(result) == {"l1": (6, 0, 0, 6), "l2": (2, 0, 5, 0)}
    assert result.available == 6


def test_channel_buffer_is_held_back_but_never_below_zero(channel):
    product = ProductFactory(sku="A")
    stock(LocationFactory(code="l1", channels=[channel]), product, on_hand=6)
    stock(LocationFactory(code="l2", channels=[channel]), product, on_hand=4)

    channel.availability_buffer = 3
    assert one(channel, "A").available == 7

    channel.availability_buffer = 25
    result = one(channel, "A")
    assert result.available == 0
    # The buffer is a channel figure: the per-location breakdown stays the truth.
    assert by_location(result) == {"l1": (6, 0, 0, 6), "l2": (4, 0, 0, 4)}


def test_inbound_counts_open_outstanding_quantities_by_date(channel):
    product = ProductFactory(sku="A")
    serving = LocationFactory(code="l1", channels=[channel])
    second = LocationFactory(code="l2", channels=[channel])
    foreign = LocationFactory(code="foreign", channels=[ChannelFactory()])
    inactive = LocationFactory(code="inactive", channels=[channel], active=False)
    InboundStockFactory(location=serving, product=product, expected_date=D2, quantity_expected=5)
    InboundStockFactory(
        location=serving,
        product=product,
        expected_date=D1,
        quantity_expected=10,
        quantity_received=4,
    )
    InboundStockFactory(location=serving, product=product, expected_date=D1, quantity_expected=2)
    InboundStockFactory(location=second, product=product, expected_date=D1, quantity_expected=1)
    InboundStockFactory(
        location=serving,
        product=product,
        quantity_expected=8,
        quantity_received=8,
        status=InboundStock.Status.RECEIVED,
    )
    InboundStockFactory(
        location=serving, product=product, quantity_expected=9, status=InboundStock.Status.CANCELLED
    )
    InboundStockFactory(location=foreign, product=product, expected_date=D1, quantity_expected=50)
    InboundStockFactory(location=inactive, product=product, expected_date=D1, quantity_expected=60)
    InboundStockFactory(location=serving, product=ProductFactory(), quantity_expected=70)

    result = one(channel, "A")

    assert [(i.location_code, i.expected_date, i.quantity) for i in result.inbound] == [
        ("l1", D1, 6 + 2),
        ("l2", D1, 1),
        ("l1", D2, 5),
    ]
    assert result.inbound_total == 14
    # Inbound is promised separately: it is not stock on hand.
    assert result.available == 0
    assert one(channel, "A", include_inbound=False).inbound == []


def test_unknown_and_inactive_skus_are_flagged_not_known(channel):
    ProductFactory(sku="OLD", active=False)
    stock(LocationFactory(channels=[channel]), ProductFactory(sku="A"), on_hand=2)

    results = availability_for_channel(channel=channel, skus=["NOPE", "A", "OLD", "A"])

    assert [(r.sku, r.known, r.available, r.locations, r.inbound) for r in results] == [
        ("NOPE", False, 0, [], []),
        ("A", True, 2, results[1].locations, []),
        ("OLD", False, 0, [], []),
    ]


def test_only_unknown_skus_answer_with_one_query(channel, django_assert_num_queries):
    with django_assert_num_queries(1):
        results = availability_for_channel(channel=channel, skus=["X", "Y"])
    assert [r.known for r in results] == [False, False]


def test_a_known_sku_without_stock_is_zero(channel):
    ProductFactory(sku="A")
    result = one(channel, "A")
    assert (result.known, result.available, result.locations) == (True, 0, [])


def _bulk_stock(channel, sku_count: int, location_count: int) -> list[str]:  # type: ignore[no-untyped-def]
    products = ProductFactory.create_batch(sku_count)
    locations = LocationFactory.create_batch(location_count, channels=[channel])
    StockLevel.objects.bulk_create(
        StockLevel(location=loc, product=p, on_hand=5, reserved=1, safety_stock=1)
        for p in products
        for loc in locations
    )
    InboundStock.objects.bulk_create(
        InboundStock(
            location=loc, product=p, reference=f"PO-{p.pk}", expected_date=D1, quantity_expected=3
        )
        for p in products
        for loc in locations
    )
    return [p.sku for p in products]


def test_query_count_does_not_grow_with_skus_or_locations(
    channel, django_assert_num_queries, implementation
):  # type: ignore[no-untyped-def]
    small = _bulk_stock(channel, 1, 1)
    large = _bulk_stock(channel, 50, 10)
    statements = 1 if implementation == "sql" else 3

    with django_assert_num_queries(statements):
        (single,) = availability_for_channel(channel=channel, skus=small)
    with django_assert_num_queries(statements):
        many = availability_for_channel(channel=channel, skus=large)

    assert (single.available, single.inbound_total) == (3, 3)
    assert len(many) == 50
    assert all(len(r.locations) == 10 for r in many)
    assert {(r.available, r.inbound_total) for r in many} == {(30, 30)}


@pytest.mark.parametrize("include_locations", [True, False])
@pytest.mark.parametrize("include_inbound", [True, False])
def test_sql_and_orm_paths_give_the_same_answer(channel, include_locations, include_inbound):  # type: ignore[no-untyped-def]
    """Both paths over one mixed network: several SKUs and locations, inactive and foreign
    locations, a buffer, safety stock above on hand, reservations, inbound of every status."""
    other = ChannelFactory()
    channel.availability_buffer = 2
    channel.save()
    skus = _bulk_stock(channel, 4, 3)
    product = ProductFactory(sku="MIXED")
    stock(LocationFactory(code="z-serving", channels=[channel]), product, 9, safety_stock=12)
    stock(LocationFactory(code="a-serving", channels=[channel, other]), product, 7)
    stock(LocationFactory(code="off", channels=[channel], active=False), product, 5)
    InboundStockFactory(
        location=LocationFactory(code="m-in", channels=[channel]),
        product=product,
        expected_date=D2,
        quantity_expected=4,
        quantity_received=1,
    )
    ProductFactory(sku="EMPTY")
    ask = [*skus, "MIXED", "EMPTY", "NOPE"]

    orm = selectors._availability_orm(channel, ask, include_inbound, include_locations)
    sql = selectors._availability_sql(channel, ask, include_inbound, include_locations)

    assert list(sql.values()) == list(orm.values())
    mixed = orm["MIXED"]
    assert mixed.available == 7 and mixed.known
    assert [loc.location_code for loc in mixed.locations] == (
        ["a-serving", "z-serving"] if include_locations else []
    )
    assert mixed.inbound_total == (3 if include_inbound else 0)
