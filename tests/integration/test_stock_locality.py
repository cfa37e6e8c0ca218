"""Where the import writes new stock levels: a product's levels at every location next to
each other (PostgreSQL: the COPY path and the table's fillfactor)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories import LocationFactory, ProductFactory
from tests.integration.test_commands import import_stock, write

pytestmark = pytest.mark.django_db


def test_new_levels_are_written_product_by_product(tmp_path):
    """Routing and availability read one product's levels at every location together: the
    import writes them next to each other whatever the file's order (here location by
    location), in a table that keeps room for their updates (inventory/0009)."""
    locations = [LocationFactory(code=f"loc{n}") for n in range(4)]
    for sku in ("P1", "P2", "P3"):
        ProductFactory(sku=sku)
    rows = "".join(f"{loc.code},{sku},5\n" for loc in locations for sku in ("P1", "P2", "P3"))
    import_stock(write(tmp_path, "location,sku,on_hand\n" + rows))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.sku FROM inventory_stocklevel s JOIN inventory_product p "
            "ON p.id = s.product_id ORDER BY s.ctid"
        )
        physical = [sku for (sku,) in cursor.fetchall()]
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'inventory_stocklevel'")
        options = cursor.fetchone()[0]
    assert physical == ["P1"] * 4 + ["P2"] * 4 + ["P3"] * 4
    assert "fillfactor=90" in options
