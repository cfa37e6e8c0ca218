"""`oms.db.pipelined`: statements sent together in one round trip (psycopg's pipeline mode),
used where the reservation's savepoint goes out with the reservation itself, where the
idempotency record goes out with the COMMIT, and where a transaction's first statement takes
its BEGIN along (oms/postgresql/connection.py: intake's claim)."""

from __future__ import annotations

import tempfile
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg import pq

from inventory.models import Reservation, StockLevel
from inventory.reservation_sql import reserve_levels
from oms.db import execute_then_commit, pipelined
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


@pytest.mark.django_db(transaction=True)
def test_the_last_statement_goes_with_the_commit_and_on_commit_still_runs() -> None:
    level = stock(LocationFactory(), ProductFactory(), 5)
    ran = []
    with transaction.atomic():
        transaction.on_commit(lambda: ran.append("after commit"))
        committed = execute_then_commit(
            "UPDATE inventory_stocklevel SET safety_stock = 1 WHERE id = %s", [level.pk]
        )
        assert committed
        assert ran == []  # the callbacks wait for the block's end, as always
    assert ran == ["after commit"]
    assert _seen_by_another_connection(level.pk) == 1


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_it_only_executes() -> None:
    level = stock(LocationFactory(), ProductFactory(), 5)
    with transaction.atomic():
        with transaction.atomic():
            committed = execute_then_commit(
                "UPDATE inventory_stocklevel SET safety_stock = 1 WHERE id = %s", [level.pk]
            )
        assert not committed
        transaction.set_rollback(True)
    assert StockLevel.objects.get(pk=level.pk).safety_stock == 0


@pytest.mark.django_db(transaction=True)
def test_a_failed_commit_raises_there_and_leaves_nothing() -> None:
    """A deferred foreign key fails at COMMIT: the error comes from the statement's call, as
    Django's IntegrityError, nothing is kept and the connection stays usable."""
    level = stock(LocationFactory(), ProductFactory(), 5)
    ran = []
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            transaction.on_commit(lambda: ran.append("after commit"))
            with connection.cursor() as cursor:
                cursor.execute(  # refers to a stock level that does not exist: deferred FK
                    "INSERT INTO inventory_reservation "
                    "(stock_level_id, quantity, holder, status, created_at) "
                    "VALUES (%s, 1, 'x', 'active', now())",
                    [level.pk + 10_000],
                )
            execute_then_commit(
                "UPDATE inventory_stocklevel SET safety_stock = 1 WHERE id = %s", [level.pk]
            )
    assert ran == []
    assert _seen_by_another_connection(level.pk) == 0
    assert Reservation.objects.count() == 0
    assert StockLevel.objects.get(pk=level.pk).safety_stock == 0  # usable again


def _seen_by_another_connection(level_id: int) -> int:
    """The level's safety stock as another connection (another thread's) reads it."""
    seen: list[int] = []

    def read() -> None:
        try:
            seen.append(StockLevel.objects.get(pk=level_id).safety_stock)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return seen[0]


class _Trace:
    """libpq's trace of what the client sends and gets, while the block runs."""

    def __init__(self) -> None:
        self.text = ""

    def __enter__(self) -> _Trace:
        connection.ensure_connection()
        self._file = tempfile.TemporaryFile()
        pgconn = connection.connection.pgconn
        pgconn.trace(self._file.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        return self

    def __exit__(self, *exc: object) -> None:
        connection.connection.pgconn.untrace()
        self._file.seek(0)
        self.text = self._file.read().decode()
        self._file.close()

    def sent(self, message: str) -> list[str]:
        return [ln for ln in self.text.splitlines() if ln.startswith("F\t") and message in ln]


@pytest.mark.django_db(transaction=True)
def test_a_pipelined_first_statement_takes_begin_along_in_one_round_trip() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        with _Trace() as trace:
            with pipelined():
                cursor.execute("SELECT txid_current_if_assigned() IS NULL, now() = now()")
                cursor.execute("SELECT 2")
            assert cursor.fetchone() == (2,)
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid()")
        status = connection.connection.info.transaction_status

    assert len(trace.sent('"BEGIN"')) == 1  # one BEGIN, not one per statement
    assert len(trace.sent("\tSync")) == 1  # BEGIN and both statements: one round trip
    assert "already a transaction in progress" not in trace.text
    assert status == pq.TransactionStatus.INTRANS


@pytest.mark.django_db(transaction=True)
def test_a_transaction_begun_in_a_pipeline_rolls_back_whole() -> None:
    location, product = LocationFactory(), ProductFactory()
    level = stock(location, product, 5)
    with pytest.raises(RuntimeError), transaction.atomic(), connection.cursor() as cursor:
        with pipelined():
            cursor.execute(
                "UPDATE inventory_stocklevel SET safety_stock = 2 WHERE id = %s", [level.pk]
            )
        # Not committed at the block's Sync (as a pipeline without BEGIN would): the
        # statement ran in the request's transaction.
        assert _seen_by_another_connection(level.pk) == 0
        raise RuntimeError("undo")

    level.refresh_from_db()
    assert level.safety_stock == 0


@pytest.mark.django_db(transaction=True)
def test_a_failing_first_statement_raises_at_the_blocks_end_and_rolls_back() -> None:
    level = stock(LocationFactory(), ProductFactory(), 5)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        with pipelined():
            cursor.execute(
                "UPDATE inventory_stocklevel SET reserved = on_hand + 1 WHERE id = %s",
                [level.pk],
            )
    with connection.cursor() as cursor:  # the connection is usable again
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    level.refresh_from_db()
    assert level.reserved == 0
