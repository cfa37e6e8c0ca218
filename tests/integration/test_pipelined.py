"""`oms.db.pipelined`: statements sent together in one round trip (psycopg's pipeline mode),
used where the reservation's savepoint goes out with the reservation itself."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory.models import Reservation, StockLevel
from inventory.reservation_sql import reserve_levels
from oms.db import pipelined
from tests.factories import LocationFactory, ProductFactory, stock

pytestmark = pytest.mark.django_db


def test_statements_run_in_order_and_their_results_are_read_after_the_block() -> None:
    with transaction.atomic(), connection.cursor() as first, connection.cursor() as second:
        with pipelined():
            first.execute("CREATE TEMPORARY TABLE pipelined_probe (n integer) ON COMMIT DROP")
            second.execute("INSERT INTO pipelined_probe VALUES (1), (2) RETURNING n")
            first.execute("SELECT count(*) FROM pipelined_probe")
        assert second.fetchall() == [(1,), (2,)]
        assert first.fetchone() == (2,)


def test_an_error_surfaces_at_the_end_as_djangos_exception() -> None:
    level = stock(LocationFactory(), ProductFactory(), 5)
    with transaction.atomic():
        with pytest.raises(IntegrityError), connection.cursor() as cursor:  # Django's class
            with pipelined():
                sid = transaction.savepoint()
                cursor.execute(
                    "UPDATE inventory_stocklevel SET reserved = on_hand + 1 WHERE id = %s",
                    [level.pk],
                )  # breaks the CHECK reserved <= on_hand
        transaction.savepoint_rollback(sid)
        # The transaction is usable again.
        assert StockLevel.objects.get(pk=level.pk).reserved == 0


def test_the_reservations_savepoint_goes_with_it_and_undoes_it() -> None:
    a = stock(LocationFactory(), ProductFactory(), 5)
    b = stock(LocationFactory(), ProductFactory(), 1)
    with transaction.atomic():
        result = reserve_levels(
            per_level={a.pk: 2, b.pk: 3},  # b is short: nothing is reserved
            requests=[(a.pk, 2, "line:1"), (b.pk, 3, "line:2")],
            reference="order:1",
            actor="test",
            now=timezone.now(),
            savepoint=True,
        )
        assert result.ok is False and result.savepoint is not None
        transaction.savepoint_rollback(result.savepoint)
        granted = reserve_levels(
            per_level={a.pk: 2, b.pk: 1},
            requests=[(a.pk, 2, "line:1"), (b.pk, 1, "line:2")],
            reference="order:1",
            actor="test",
            now=timezone.now(),
            savepoint=True,
        )
        assert granted.ok and len(granted.reservations) == 2
    assert sorted(StockLevel.objects.values_list("reserved", flat=True)) == [1, 2]
    assert Reservation.objects.count() == 2
