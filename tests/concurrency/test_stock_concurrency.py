"""Real threads against PostgreSQL: nothing oversold, nothing lost, no deadlock, newest count wins.

Each worker runs on its own thread, hence its own database connection (Django connections are
per thread), and closes it when done so the test database can be flushed and dropped.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import Sum

from inventory.errors import InsufficientStock, WouldBreakReservations
from inventory.models import Reservation, StockLevel, StockMovement
from inventory.selectors import stock_ledger_mismatches
from inventory.services import (
    ReservationRequest,
    StockUpdate,
    inbound_receive,
    stock_adjust,
    stock_feed_apply,
    stock_release,
    stock_reserve,
)
from tests.factories import InboundStockFactory, LocationFactory, ProductFactory, stock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

THREADS = 16
JOIN_TIMEOUT = 30.0
T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


@dataclass
class Outcome:
    """What one worker saw: its successful reservations and adjustments, refusals, surprises."""

    reserved: list[tuple[int, int]] = field(default_factory=list)  # (reservation id, qty)
    released: list[int] = field(default_factory=list)
    adjusted: list[int] = field(default_factory=list)
    out_of_stock: int = 0
    below_reserved: int = 0
    unexpected: list[BaseException] = field(default_factory=list)


def run_threads(workers: list[Callable[[], None]]) -> None:
    """Start every worker at once (a barrier), join them all within the timeout."""
    barrier = threading.Barrier(len(workers), timeout=JOIN_TIMEOUT)
    crashed: list[BaseException] = []

    def wrap(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                barrier.wait()
                work()
            except BaseException as exc:  # reported to the test below
                crashed.append(exc)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(w), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not [t for t in threads if t.is_alive()], "a worker hung (deadlock?)"
    assert crashed == []


def request(level: StockLevel, quantity: int, holder: str) -> ReservationRequest:
    return ReservationRequest(level.location_id, level.product_id, quantity, holder)


def test_concurrent_reservations_never_oversell():
    level = stock(LocationFactory(), ProductFactory(), on_hand=20)
    plans = [[random.Random(n * 100 + i).randint(1, 3) for i in range(3)] for n in range(THREADS)]
    demand = sum(map(sum, plans))
    assert demand > 20
    outcomes = [Outcome() for _ in range(THREADS)]

    def worker(n: int) -> Callable[[], None]:
        def work() -> None:
            for i, quantity in enumerate(plans[n]):
                try:
                    (res,) = stock_reserve(
                        requests=[request(level, quantity, f"t{n}:{i}")], actor=f"thread:{n}"
                    )
                    outcomes[n].reserved.append((res.pk, quantity))
                except InsufficientStock as exc:
                    assert exc.code == "out_of_stock"
                    outcomes[n].out_of_stock += 1

        return work

    run_threads([worker(n) for n in range(THREADS)])

    level.refresh_from_db()
    granted = [r for o in outcomes for r in o.reserved]
    granted_units = sum(q for _, q in granted)
    assert level.on_hand == 20
    assert granted_units <= 20
    assert level.reserved == granted_units
    assert sum(o.out_of_stock for o in outcomes) > 0
    # Refusals only happened when the rest could not cover the request (at most 3 units).
    assert 20 - granted_units < 3
    # No reservation lost: every id a worker was given exists, active, with its quantity.
    assert sorted(
        Reservation.objects.filter(status=Reservation.Status.ACTIVE).values_list("pk", "quantity")
    ) == sorted(granted)
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RESERVATION).count() == len(granted)
    assert stock_ledger_mismatches() == []


def test_concurrent_reservations_releases_and_adjustments_keep_the_invariants():
    level = stock(LocationFactory(), ProductFactory(), on_hand=20)
    outcomes = [Outcome() for _ in range(THREADS)]

    def worker(n: int) -> Callable[[], None]:
        rng = random.Random(n)
        outcome = outcomes[n]

        def work() -> None:
            for i in range(6):
                try:
                    if n % 4 == 3:
                        # A quarter of the workers are stock counts/adjustments (+ and -).
                        delta = rng.choice([-3, -2, -1, 1, 2, 3])
                        stock_adjust(
                            location=level.location,
                            product=level.product,
                            delta=delta,
                            reason="cycle count",
                            actor=f"thread:{n}",
                        )
                        outcome.adjusted.append(delta)
                    elif i == 4 and outcome.reserved:
                        # Orders get cancelled too: give back the first reservation.
                        res_id = outcome.reserved[0][0]
                        released = stock_release(reservation_ids=[res_id], actor=f"thread:{n}")
                        assert [r.pk for r in released] == [res_id]
                        outcome.released.append(res_id)
                    else:
                        quantity = rng.randint(1, 3)
                        (res,) = stock_reserve(
                            requests=[request(level, quantity, f"t{n}:{i}")], actor=f"thread:{n}"
                        )
                        outcome.reserved.append((res.pk, quantity))
                except InsufficientStock:
                    outcome.out_of_stock += 1
                except WouldBreakReservations:
                    outcome.below_reserved += 1

        return work

    run_threads([worker(n) for n in range(THREADS)])

    level.refresh_from_db()
    released = {r for o in outcomes for r in o.released}
    held = [(pk, q) for o in outcomes for pk, q in o.reserved if pk not in released]
    assert level.reserved <= level.on_hand
    assert level.on_hand == 20 + sum(d for o in outcomes for d in o.adjusted)
    assert level.reserved == sum(q for _, q in held)
    assert sorted(
        Reservation.objects.filter(status=Reservation.Status.ACTIVE).values_list("pk", "quantity")
    ) == sorted(held)
    assert (
        set(
            Reservation.objects.filter(status=Reservation.Status.RELEASED).values_list(
                "pk", flat=True
            )
        )
        == released
    )
    assert sum(o.out_of_stock for o in outcomes) > 0
    assert stock_ledger_mismatches() == []


def test_reserving_two_levels_in_opposite_order_does_not_deadlock():
    location = LocationFactory()
    first = stock(location, ProductFactory(), on_hand=1000)
    second = stock(location, ProductFactory(), on_hand=1000)
    rounds = 25
    errors: list[BaseException] = []
    done = [0, 0]

    def worker(n: int, levels: tuple[StockLevel, StockLevel]) -> Callable[[], None]:
        def work() -> None:
            for i in range(rounds):
                try:
                    reservations = stock_reserve(
                        requests=[request(lv, 1, f"t{n}:{i}") for lv in levels],
                        actor=f"thread:{n}",
                    )
                    # Release in the other order as well.
                    stock_release(
                        reservation_ids=[r.pk for r in reversed(reservations)],
                        actor=f"thread:{n}",
                    )
                    done[n] += 1
                except OperationalError as exc:  # a deadlock surfaces as OperationalError
                    errors.append(exc)

        return work

    def feeder() -> None:
        # A feed touching both levels, rows in the reverse order, while the others reserve.
        for i in range(rounds):
            stock_feed_apply(
                updates=[
                    StockUpdate(location.code, second.product.sku, delta=1),
                    StockUpdate(location.code, first.product.sku, delta=1),
                ],
                actor="feed",
                reference=f"feed-{i}",
            )

    run_threads([worker(0, (first, second)), worker(1, (second, first)), feeder])

    assert errors == []
    assert done == [rounds, rounds]
    for level in (first, second):
        level.refresh_from_db()
        assert (level.on_hand, level.reserved) == (1000 + rounds, 0)
    assert stock_ledger_mismatches() == []


@pytest.mark.parametrize("level_exists", [True, False])
def test_concurrent_out_of_order_counts_keep_the_newest(level_exists):
    location = LocationFactory(code="wh-1")
    product = ProductFactory(sku="A")
    if level_exists:
        stock(location, product, on_hand=5)
    counts = list(range(12))
    random.Random(7).shuffle(counts)
    stale: list[int] = []
    applied: list[int] = []

    def worker(minute: int) -> Callable[[], None]:
        def work() -> None:
            result = stock_feed_apply(
                updates=[
                    StockUpdate(
                        "wh-1",
                        "A",
                        on_hand=100 + minute,
                        counted_at=T0 + dt.timedelta(minutes=minute),
                    )
                ],
                actor=f"feed:{minute}",
            )
            (stale if result.stale else applied).append(minute)

        return work

    run_threads([worker(minute) for minute in counts])

    level = StockLevel.objects.get(location=location, product=product)
    assert level.on_hand == 100 + max(counts)
    assert level.last_counted_at == T0 + dt.timedelta(minutes=max(counts))
    assert max(counts) in applied
    assert sorted(stale + applied) == sorted(counts)
    # Every applied count was newer than every count applied before it.
    count_movements = StockMovement.objects.filter(
        stock_level=level, kind=StockMovement.Kind.COUNT
    ).order_by("id")
    assert count_movements.count() == len(applied)
    on_hand_path = []
    running = 5 if level_exists else 0
    for movement in count_movements:
        running += movement.on_hand_delta
        on_hand_path.append(running)
    assert on_hand_path == sorted(on_hand_path)
    assert (
        StockMovement.objects.filter(stock_level=level).aggregate(s=Sum("on_hand_delta"))["s"]
        == level.on_hand
    )
    assert stock_ledger_mismatches() == []


def test_receipts_of_one_sku_at_two_locations_do_not_wait_for_each_other():
    product = ProductFactory()
    first = InboundStockFactory(location=LocationFactory(), product=product, quantity_expected=5)
    second = InboundStockFactory(location=LocationFactory(), product=product, quantity_expected=5)
    waited: list[BaseException] = []

    def other_receipt() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                inbound_receive(inbound_id=second.pk, quantity=5, actor="thread")
        except OperationalError as exc:
            waited.append(exc)
        finally:
            connection.close()

    # The first receipt holds its locks until commit; the second must not need any of them
    # (locking the inbound row must not lock the SKU's or the location's row as well).
    with transaction.atomic():
        inbound_receive(inbound_id=first.pk, quantity=5, actor="main")
        thread = threading.Thread(target=other_receipt, daemon=True)
        thread.start()
        thread.join(JOIN_TIMEOUT)
        assert not thread.is_alive()

    assert waited == []
    assert StockLevel.objects.filter(product=product).aggregate(s=Sum("on_hand"))["s"] == 10
    assert stock_ledger_mismatches() == []


def test_a_failed_reservation_of_several_levels_drops_their_row_locks():
    """stock_reserve locks several levels in pk order before it decides; when one is short,
    the caller's transaction goes on (it may re-plan) without holding any of them, or its
    re-plan could lock other levels out of pk order and deadlock with concurrent orders."""
    plenty = stock(LocationFactory(), ProductFactory(), 10)
    scarce = stock(LocationFactory(), ProductFactory(), 1)
    free_meanwhile: list[bool] = []

    def other_connection_can_lock() -> None:
        try:
            with transaction.atomic():
                list(
                    StockLevel.objects.select_for_update(nowait=True).filter(
                        pk__in=[plenty.pk, scarce.pk]
                    )
                )
            free_meanwhile.append(True)
        except OperationalError:
            free_meanwhile.append(False)
        finally:
            connection.close()

    with transaction.atomic():
        with pytest.raises(InsufficientStock):
            stock_reserve(
                requests=[request(plenty, 5, "line:1"), request(scarce, 2, "line:2")],
                actor="test",
            )
        probe = threading.Thread(target=other_connection_can_lock)
        probe.start()
        probe.join(10)

    assert free_meanwhile == [True]
    assert StockLevel.objects.get(pk=plenty.pk).reserved == 0
