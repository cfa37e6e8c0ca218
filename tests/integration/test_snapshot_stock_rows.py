"""The routing snapshot's stock statement (one prepared statement on PostgreSQL) returns what
its ORM twin returns."""

from __future__ import annotations

import pytest

from routing.snapshot import stock_rows, stock_rows_orm
from tests.factories import LocationFactory, ProductFactory, stock

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]


def test_stock_rows_match_the_orm_twin() -> None:
    locations = LocationFactory.create_batch(4)
    products = ProductFactory.create_batch(3)
    levels = {}
    for n, location in enumerate(locations[:3]):
        for m, product in enumerate(products[:2]):
            levels[(location.pk, product.pk)] = stock(location, product, 10 + n + m, safety_stock=m)
    stock(locations[3], products[2], 5)  # neither asked-for location nor product
    location_ids = [loc.pk for loc in locations[:3]]
    product_ids = [p.pk for p in products[:2]] + [products[2].pk + 1000]

    rows = sorted(stock_rows(location_ids=location_ids, product_ids=product_ids))

    assert rows == sorted(stock_rows_orm(location_ids=location_ids, product_ids=product_ids))
    assert {(r[1], r[2]) for r in rows} == set(levels)
    assert all(r[0] == levels[(r[1], r[2])].pk for r in rows)
    assert stock_rows(location_ids=[], product_ids=product_ids) == []
