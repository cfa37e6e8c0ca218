"""Inventory writes: reservations, adjustments, safety stock, inbound, stock feeds.

Every test ends with the ledger check (an autouse fixture): each level's quantities equal the
sums of its movements and `reserved` equals its active reservations.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from inventory.errors import (
    InboundNotOpen,
    InsufficientStock,
    OverReceipt,
    QuantityOutOfRange,
    ReservationNotActive,
    StockFeedRejected,
    WouldBreakReservations,
)
from inventory.models import InboundStock, Reservation, StockLevel, StockMovement
from inventory.selectors import stock_ledger_mismatches
from inventory.services import (
    MAX_QUANTITY,
    ReservationRequest,
    StockUpdate,
    inbound_cancel,
    inbound_create,
    inbound_receive,
    stock_adjust,
    stock_consume,
    stock_feed_apply,
    stock_release,
    stock_reserve,
    stock_set_safety,
)
from inventory.signals import stock_arrived
from tests.factories import InboundStockFactory, LocationFactory, ProductFactory, stock

# sqlite_twin: also run on SQLite, the ORM twins of the hand-written SQL (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]

Kind = StockMovement.Kind
T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def ledger_stays_consistent(db):  # type: ignore[no-untyped-def]
    yield
    assert stock_ledger_mismatches() == []


def req(level: StockLevel, quantity: int, holder: str = "line:1") -> ReservationRequest:
    return ReservationRequest(
        location_id=level.location_id, product_id=level.product_id, quantity=quantity, holder=holder
    )


def snapshot() -> tuple:
    """Everything a failed write must leave untouched."""
    levels = sorted(
        StockLevel.objects.values_list(
            "pk", "on_hand", "reserved", "safety_stock", "last_counted_at"
        )
    )
    return (
        levels,
        StockMovement.objects.count(),
        sorted(Reservation.objects.values_list("pk", "status", "quantity")),
    )


def quantities(level: StockLevel) -> tuple[int, int, int]:
    level.refresh_from_db()
    return level.on_hand, level.reserved, level.safety_stock


@pytest.fixture
def level() -> StockLevel:
    return stock(LocationFactory(), ProductFactory(), on_hand=10)


# --- Reservations --------------------------------------------------------------------------


def test_returned_reservations_match_their_rows_by_level_and_holder():
    """The one-statement path maps the ids it gets back by (level, holder), not by position."""
    levels = [stock(LocationFactory(), ProductFactory(), on_hand=10) for _ in range(3)]
    requests = [
        req(levels[2], 1, "line:1"),
        req(levels[0], 2, "line:2"),
        req(levels[1], 3, "line:3"),
        req(levels[0], 4, "line:4"),
        req(levels[0], 1, "line:4"),  # same level and holder twice
    ]

    reserved = stock_reserve(requests=requests, actor="test")

    first, second, third = (lvl.pk for lvl in levels)
    assert [(r.stock_level_id, r.holder, r.quantity) for r in reserved] == [
        (third, "line:1", 1),
        (first, "line:2", 2),
        (second, "line:3", 3),
        (first, "line:4", 4),
        (first, "line:4", 1),
    ]
    rows = {
        row.pk: (row.stock_level_id, row.holder, row.quantity)
        for row in Reservation.objects.filter(pk__in=[r.pk for r in reserved])
    }
    assert rows == {r.pk: (r.stock_level_id, r.holder, r.quantity) for r in reserved}


def test_reserve_holds_units_and_writes_movement_with_actor_and_reference(level):
    (reservation,) = stock_reserve(
        requests=[req(level, 3, holder="fulfilment-line:7")], actor="user:alice", reference="O-1"
    )

    assert quantities(level) == (10, 3, 0)
    assert level.available == 7
    reservation.refresh_from_db()
    assert (reservation.stock_level_id, reservation.quantity, reservation.holder) == (
        level.pk,
        3,
        "fulfilment-line:7",
    )
    assert reservation.status == Reservation.Status.ACTIVE
    assert reservation.closed_at is None
    movement = StockMovement.objects.get(kind=Kind.RESERVATION)
    assert movement.stock_level_id == level.pk
    assert (movement.on_hand_delta, movement.reserved_delta, movement.safety_stock_delta) == (
        0,
        3,
        0,
    )
    assert (movement.actor, movement.reference, movement.reservation_id) == (
        "user:alice",
        "O-1",
        reservation.pk,
    )


def test_reserve_without_reference_records_the_holder(level):
    stock_reserve(requests=[req(level, 1, holder="checkout:abc")], actor="system")

    assert StockMovement.objects.get(kind=Kind.RESERVATION).reference == "checkout:abc"


def test_reserve_exactly_everything_available_succeeds(level):
    stock_reserve(requests=[req(level, 10)], actor="test")

    assert quantities(level) == (10, 10, 0)
    assert level.available == 0


def test_reserve_more_than_available_raises_out_of_stock_and_changes_nothing(level):
    stock_reserve(requests=[req(level, 4)], actor="test")
    before = snapshot()

    with pytest.raises(InsufficientStock) as exc:
        stock_reserve(requests=[req(level, 7)], actor="test")

    assert exc.value.code == "out_of_stock"
    assert exc.value.status == 409
    assert exc.value.details == {
        "lines": [
            {
                "location_id": level.location_id,
                "product_id": level.product_id,
                "requested": 7,
                "available": 6,
            }
        ]
    }
    assert snapshot() == before


def test_one_short_line_of_several_rejects_all_and_lists_only_the_short_line():
    location = LocationFactory()
    a = stock(location, ProductFactory(), on_hand=5)
    b = stock(location, ProductFactory(), on_hand=2)
    c = stock(LocationFactory(), ProductFactory(), on_hand=8)
    before = snapshot()

    with pytest.raises(InsufficientStock) as exc:
        stock_reserve(requests=[req(a, 5, "l:1"), req(b, 3, "l:2"), req(c, 1, "l:3")], actor="test")

    assert exc.value.code == "out_of_stock"
    assert exc.value.details["lines"] == [
        {"location_id": b.location_id, "product_id": b.product_id, "requested": 3, "available": 2}
    ]
    # The lines that fitted were rolled back with the one that did not.
    assert snapshot() == before
    assert quantities(a) == (5, 0, 0)
    assert quantities(c) == (8, 0, 0)


def test_every_short_line_is_reported_including_skus_never_stocked():
    a = stock(LocationFactory(), ProductFactory(), on_hand=1)
    b = stock(LocationFactory(), ProductFactory(), on_hand=1)
    never_stocked = ProductFactory()
    before = snapshot()

    with pytest.raises(InsufficientStock) as exc:
        stock_reserve(
            requests=[
                req(a, 2, "l:1"),
                req(b, 1, "l:2"),
                ReservationRequest(
                    location_id=a.location_id,
                    product_id=never_stocked.pk,
                    quantity=1,
                    holder="l:3",
                ),
            ],
            actor="test",
        )

    lines = sorted(exc.value.details["lines"], key=lambda line: line["product_id"])
    assert lines == sorted(
        [
            {
                "location_id": a.location_id,
                "product_id": a.product_id,
                "requested": 2,
                "available": 1,
            },
            {
                "location_id": a.location_id,
                "product_id": never_stocked.pk,
                "requested": 1,
                "available": 0,
            },
        ],
        key=lambda line: line["product_id"],
    )
    assert snapshot() == before


def test_two_requests_on_the_same_level_are_checked_together():
    level = stock(LocationFactory(), ProductFactory(), on_hand=5)
    before = snapshot()

    # 3 + 3 > 5 although each line alone would fit.
    with pytest.raises(InsufficientStock) as exc:
        stock_reserve(requests=[req(level, 3, "l:1"), req(level, 3, "l:2")], actor="test")

    assert exc.value.details["lines"] == [
        {
            "location_id": level.location_id,
            "product_id": level.product_id,
            "requested": 6,
            "available": 5,
        }
    ]
    assert snapshot() == before

    reservations = stock_reserve(
        requests=[req(level, 2, "l:1"), req(level, 3, "l:2")], actor="test"
    )

    assert [(r.holder, r.quantity) for r in reservations] == [("l:1", 2), ("l:2", 3)]
    assert quantities(level) == (5, 5, 0)
    assert StockMovement.objects.filter(kind=Kind.RESERVATION).count() == 2


def test_atp_subtracts_reserved_and_safety_stock():
    level = stock(LocationFactory(), ProductFactory(), on_hand=10, safety_stock=3)
    stock_reserve(requests=[req(level, 2, "l:1")], actor="test")
    level.refresh_from_db()
    assert level.available == 5

    with pytest.raises(InsufficientStock) as exc:
        stock_reserve(requests=[req(level, 6, "l:2")], actor="test")
    assert exc.value.details["lines"][0]["available"] == 5

    stock_reserve(requests=[req(level, 5, "l:3")], actor="test")
    assert quantities(level) == (10, 7, 3)
    assert level.available == 0
    with pytest.raises(InsufficientStock) as exc:
        stock_reserve(requests=[req(level, 1, "l:4")], actor="test")
    assert exc.value.details["lines"][0]["available"] == 0


def test_reserving_several_levels_returns_the_stored_reservations_in_request_order():
    a, b = (
        stock(LocationFactory(), ProductFactory(), 10),
        stock(LocationFactory(), ProductFactory(), 10),
    )
    requests = [req(b, 2, "line:1"), req(a, 1, "line:2"), req(b, 3, "line:3")]

    reservations = stock_reserve(requests=requests, actor="test", reference="order:9")

    assert [(r.stock_level_id, r.quantity, r.holder) for r in reservations] == [
        (b.pk, 2, "line:1"),
        (a.pk, 1, "line:2"),
        (b.pk, 3, "line:3"),
    ]
    stored = {r.pk: r for r in Reservation.objects.all()}
    for reservation in reservations:
        fresh = stored[reservation.pk]
        assert (fresh.stock_level_id, fresh.quantity, fresh.holder, fresh.status) == (
            reservation.stock_level_id,
            reservation.quantity,
            reservation.holder,
            reservation.status,
        )
        assert fresh.created_at == reservation.created_at
    assert (quantities(a)[1], quantities(b)[1]) == (1, 5)  # two requests on b: one update
    assert sorted(
        StockMovement.objects.filter(kind=Kind.RESERVATION).values_list(
            "reservation_id", "reserved_delta", "reference"
        )
    ) == sorted((r.pk, r.quantity, "order:9") for r in reservations)
    assert stock_ledger_mismatches() == []


def test_one_short_level_among_several_reserves_nothing_in_the_callers_transaction():
    """Inside a caller's transaction (as routing calls it): nothing written, the transaction
    stays usable (the dropped row locks: tests/concurrency/test_stock_concurrency.py)."""
    a, b = (
        stock(LocationFactory(), ProductFactory(), 10),
        stock(LocationFactory(), ProductFactory(), 1),
    )
    before = snapshot()

    with transaction.atomic():
        with pytest.raises(InsufficientStock) as exc:
            stock_reserve(requests=[req(a, 5), req(b, 2)], actor="test")
        assert snapshot() == before
        assert exc.value.details["lines"] == [
            {
                "location_id": b.location_id,
                "product_id": b.product_id,
                "requested": 2,
                "available": 1,
            }
        ]
        # still usable: the next plan reserves what is there
        stock_reserve(requests=[req(a, 5), req(b, 1)], actor="test")

    assert (quantities(a)[1], quantities(b)[1]) == (5, 1)
    assert stock_ledger_mismatches() == []


@pytest.mark.parametrize("quantity", [0, -1])
def test_reserve_rejects_non_positive_quantities(level, quantity):
    before = snapshot()
    with pytest.raises(ValueError):
        stock_reserve(requests=[req(level, quantity)], actor="test")
    assert snapshot() == before


def test_reserve_nothing_is_a_no_op():
    assert stock_reserve(requests=[], actor="test") == []
    assert StockMovement.objects.count() == 0


# --- Release and consume ---------------------------------------------------------------------


def test_release_returns_units_and_writes_release_movement(level):
    (reservation,) = stock_reserve(requests=[req(level, 4, "l:1")], actor="test")

    released = stock_release(
        reservation_ids=[reservation.pk], actor="user:bob", reason="cancelled", reference="O-9"
    )

    assert [r.pk for r in released] == [reservation.pk]
    assert quantities(level) == (10, 0, 0)
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.RELEASED
    assert reservation.closed_at is not None
    movement = StockMovement.objects.get(kind=Kind.RELEASE)
    assert (movement.on_hand_delta, movement.reserved_delta) == (0, -4)
    assert (movement.actor, movement.reason, movement.reference, movement.reservation_id) == (
        "user:bob",
        "cancelled",
        "O-9",
        reservation.pk,
    )


def test_release_is_idempotent(level):
    (reservation,) = stock_reserve(requests=[req(level, 4)], actor="test")
    stock_release(reservation_ids=[reservation.pk], actor="test")
    before = snapshot()

    assert stock_release(reservation_ids=[reservation.pk], actor="test") == []
    assert snapshot() == before
    assert quantities(level) == (10, 0, 0)


def test_release_of_a_mix_releases_only_the_active_ones(level):
    first, second = stock_reserve(
        requests=[req(level, 2, "l:1"), req(level, 3, "l:2")], actor="test"
    )
    stock_release(reservation_ids=[first.pk], actor="test")

    released = stock_release(reservation_ids=[first.pk, second.pk], actor="test")

    assert [r.pk for r in released] == [second.pk]
    assert quantities(level) == (10, 0, 0)
    assert StockMovement.objects.filter(kind=Kind.RELEASE).count() == 2


def test_strict_release_of_a_released_reservation_is_refused(level):
    first, second = stock_reserve(
        requests=[req(level, 2, "l:1"), req(level, 3, "l:2")], actor="test"
    )
    stock_release(reservation_ids=[first.pk], actor="test")
    before = snapshot()

    with pytest.raises(ReservationNotActive) as exc:
        stock_release(reservation_ids=[first.pk, second.pk], actor="test", strict=True)

    assert exc.value.code == "reservation_not_active"
    assert exc.value.details == {"reservation_ids": [first.pk]}
    # All or nothing: the active one was not released either.
    assert snapshot() == before
    assert quantities(level) == (10, 3, 0)


def test_consume_ships_units_out_of_on_hand_and_reserved(level):
    (reservation,) = stock_reserve(requests=[req(level, 3)], actor="test")

    consumed = stock_consume(reservation_ids=[reservation.pk], actor="user:picker", reference="F-1")

    assert [r.pk for r in consumed] == [reservation.pk]
    assert quantities(level) == (7, 0, 0)
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.CONSUMED
    movement = StockMovement.objects.get(kind=Kind.SHIPMENT)
    assert (movement.on_hand_delta, movement.reserved_delta) == (-3, -3)
    assert (movement.actor, movement.reference) == ("user:picker", "F-1")


def test_consume_leaves_other_reservations_alone(level):
    shipped, kept = stock_reserve(
        requests=[req(level, 3, "l:1"), req(level, 5, "l:2")], actor="test"
    )

    stock_consume(reservation_ids=[shipped.pk], actor="test")

    assert quantities(level) == (7, 5, 0)
    kept.refresh_from_db()
    assert kept.status == Reservation.Status.ACTIVE


@pytest.mark.parametrize("close", ["release", "consume"])
def test_consume_of_a_closed_reservation_is_refused(level, close):
    (reservation,) = stock_reserve(requests=[req(level, 3)], actor="test")
    if close == "release":
        stock_release(reservation_ids=[reservation.pk], actor="test")
    else:
        stock_consume(reservation_ids=[reservation.pk], actor="test")
    before = snapshot()

    with pytest.raises(ReservationNotActive) as exc:
        stock_consume(reservation_ids=[reservation.pk], actor="test")

    assert exc.value.code == "reservation_not_active"
    assert snapshot() == before


def test_consume_of_an_unknown_reservation_is_refused():
    with pytest.raises(ReservationNotActive) as exc:
        stock_consume(reservation_ids=[987654], actor="test")
    assert exc.value.details == {"reservation_ids": [987654]}


# --- Adjustments and safety stock ---------------------------------------------------------------


def test_adjust_creates_the_level_and_records_the_movement():
    location, product = LocationFactory(), ProductFactory()

    level = stock_adjust(
        location=location,
        product=product,
        delta=12,
        reason="found on shelf",
        actor="user:carol",
        reference="CNT-1",
    )

    assert (level.location_id, level.product_id) == (location.pk, product.pk)
    assert quantities(level) == (12, 0, 0)
    movement = StockMovement.objects.get(stock_level=level)
    assert (movement.kind, movement.on_hand_delta, movement.reserved_delta) == (
        Kind.ADJUSTMENT,
        12,
        0,
    )
    assert (movement.reason, movement.actor, movement.reference) == (
        "found on shelf",
        "user:carol",
        "CNT-1",
    )


def test_negative_adjust_down_to_reserved_is_allowed_but_not_below(level):
    stock_reserve(requests=[req(level, 6)], actor="test")

    stock_adjust(
        location=level.location, product=level.product, delta=-4, reason="damaged", actor="test"
    )
    assert quantities(level) == (6, 6, 0)
    before = snapshot()

    with pytest.raises(WouldBreakReservations) as exc:
        stock_adjust(
            location=level.location, product=level.product, delta=-1, reason="lost", actor="test"
        )

    assert exc.value.code == "stock_below_reserved"
    assert exc.value.status == 409
    assert exc.value.details["on_hand"] == 6
    assert exc.value.details["reserved"] == 6
    assert exc.value.details["delta"] == -1
    assert snapshot() == before


def test_negative_adjust_below_zero_is_refused_and_creates_no_level():
    location, product = LocationFactory(), ProductFactory()

    with pytest.raises(WouldBreakReservations):
        stock_adjust(location=location, product=product, delta=-1, reason="lost", actor="test")

    assert not StockLevel.objects.filter(location=location, product=product).exists()
    assert StockMovement.objects.count() == 0


@pytest.mark.parametrize("delta", [10**20, -(10**20), MAX_QUANTITY])
def test_adjust_past_what_a_level_can_hold_is_refused(level, delta):
    before = snapshot()

    with pytest.raises(QuantityOutOfRange) as exc:
        stock_adjust(
            location=level.location, product=level.product, delta=delta, reason="count", actor="t"
        )

    assert exc.value.code == "quantity_out_of_range"
    assert exc.value.status == 422
    assert snapshot() == before


@pytest.mark.parametrize(("delta", "reason"), [(0, "nothing"), (5, "  ")])
def test_adjust_needs_a_quantity_and_a_reason(level, delta, reason):
    before = snapshot()
    with pytest.raises(ValueError):
        stock_adjust(
            location=level.location, product=level.product, delta=delta, reason=reason, actor="t"
        )
    assert snapshot() == before


def test_positive_adjust_announces_stock_after_commit(level, django_capture_on_commit_callbacks):
    received: list[object] = []

    def listener(sender, **kwargs):  # type: ignore[no-untyped-def]
        received.append(sender)

    stock_arrived.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            stock_reserve(requests=[req(level, 1)], actor="test")
        assert received == []
        with django_capture_on_commit_callbacks(execute=True):
            stock_adjust(
                location=level.location, product=level.product, delta=1, reason="r", actor="t"
            )
        assert received == [StockLevel]
    finally:
        stock_arrived.disconnect(listener)


def test_safety_stock_is_set_through_the_ledger_and_reduces_atp(level):
    stock_set_safety(
        location=level.location, product=level.product, safety_stock=4, actor="user:dana"
    )
    assert quantities(level) == (10, 0, 4)
    assert level.available == 6

    stock_set_safety(location=level.location, product=level.product, safety_stock=1, actor="t")
    assert quantities(level) == (10, 0, 1)

    movements = list(
        StockMovement.objects.filter(kind=Kind.SAFETY)
        .order_by("id")
        .values_list("safety_stock_delta", "on_hand_delta", "actor")
    )
    assert movements == [(4, 0, "user:dana"), (-3, 0, "t")]

    # Setting the current value again is not a change: no movement.
    stock_set_safety(location=level.location, product=level.product, safety_stock=1, actor="t")
    assert StockMovement.objects.filter(kind=Kind.SAFETY).count() == 2


def test_safety_stock_above_on_hand_leaves_atp_at_zero_not_negative(level):
    stock_set_safety(location=level.location, product=level.product, safety_stock=15, actor="t")
    level.refresh_from_db()
    assert level.available == 0
    with pytest.raises(InsufficientStock):
        stock_reserve(requests=[req(level, 1)], actor="test")


def test_lowering_safety_stock_announces_stock_after_commit(
    level, django_capture_on_commit_callbacks
):
    received: list[object] = []

    def listener(sender, **kwargs):  # type: ignore[no-untyped-def]
        received.append(sender)

    stock_arrived.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            stock_set_safety(
                location=level.location, product=level.product, safety_stock=4, actor="t"
            )
        assert received == []
        # Lowering it frees units to promise, exactly like a feed lowering it: waiting
        # orders must hear about it.
        with django_capture_on_commit_callbacks(execute=True):
            stock_set_safety(
                location=level.location, product=level.product, safety_stock=1, actor="t"
            )
        assert received == [StockLevel]
    finally:
        stock_arrived.disconnect(listener)


def test_negative_safety_stock_is_refused(level):
    with pytest.raises(ValueError):
        stock_set_safety(location=level.location, product=level.product, safety_stock=-1, actor="t")
    assert quantities(level) == (10, 0, 0)


# --- Inbound ---------------------------------------------------------------------------------


def test_inbound_create_is_open_with_everything_outstanding():
    location, product = LocationFactory(), ProductFactory()

    inbound = inbound_create(
        location=location,
        product=product,
        reference="PO-1",
        expected_date=timezone.localdate() + dt.timedelta(days=30),
        quantity=10,
        kind=InboundStock.Kind.TRANSFER,
    )

    inbound.refresh_from_db()
    assert inbound.status == InboundStock.Status.OPEN
    assert (inbound.quantity_expected, inbound.quantity_received) == (10, 0)
    assert inbound.quantity_outstanding == 10
    assert inbound.kind == InboundStock.Kind.TRANSFER
    # Announcing stock does not change stock.
    assert StockLevel.objects.count() == 0


def test_inbound_create_rejects_non_positive_quantity():
    with pytest.raises(ValueError):
        inbound_create(
            location=LocationFactory(),
            product=ProductFactory(),
            reference="PO-1",
            expected_date=timezone.localdate() + dt.timedelta(days=30),
            quantity=0,
        )
    assert InboundStock.objects.count() == 0


def test_partial_then_full_receipt_moves_units_to_on_hand():
    inbound = InboundStockFactory(quantity_expected=10, reference="PO-77")

    inbound = inbound_receive(inbound_id=inbound.pk, quantity=4, actor="user:erin")

    assert (inbound.quantity_received, inbound.status) == (4, InboundStock.Status.OPEN)
    level = StockLevel.objects.get(location=inbound.location, product=inbound.product)
    assert quantities(level) == (4, 0, 0)
    receipt = StockMovement.objects.get(kind=Kind.RECEIPT)
    assert (receipt.on_hand_delta, receipt.reference, receipt.actor) == (4, "PO-77", "user:erin")

    inbound = inbound_receive(inbound_id=inbound.pk, quantity=6, actor="user:erin")

    inbound.refresh_from_db()
    assert (inbound.quantity_received, inbound.status) == (10, InboundStock.Status.RECEIVED)
    assert inbound.quantity_outstanding == 0
    assert quantities(level) == (10, 0, 0)
    assert StockMovement.objects.filter(kind=Kind.RECEIPT).count() == 2


def test_over_receipt_is_refused_and_changes_nothing():
    inbound = InboundStockFactory(quantity_expected=10)
    inbound_receive(inbound_id=inbound.pk, quantity=7, actor="test")
    before = snapshot()

    with pytest.raises(OverReceipt) as exc:
        inbound_receive(inbound_id=inbound.pk, quantity=4, actor="test")

    assert exc.value.code == "over_receipt"
    assert exc.value.status == 422
    assert exc.value.details == {"outstanding": 3, "quantity": 4}
    assert snapshot() == before
    inbound.refresh_from_db()
    assert (inbound.quantity_received, inbound.status) == (7, InboundStock.Status.OPEN)


def test_receiving_a_received_inbound_is_refused():
    inbound = InboundStockFactory(quantity_expected=5)
    inbound_receive(inbound_id=inbound.pk, quantity=5, actor="test")
    before = snapshot()

    with pytest.raises(InboundNotOpen) as exc:
        inbound_receive(inbound_id=inbound.pk, quantity=1, actor="test")

    assert exc.value.code == "inbound_not_open"
    assert exc.value.details == {"inbound_id": inbound.pk, "status": "received"}
    assert snapshot() == before


def test_receiving_a_cancelled_inbound_is_refused():
    inbound = InboundStockFactory(quantity_expected=5)
    inbound_cancel(inbound_id=inbound.pk)

    with pytest.raises(InboundNotOpen) as exc:
        inbound_receive(inbound_id=inbound.pk, quantity=1, actor="test")

    assert exc.value.code == "inbound_not_open"
    assert StockLevel.objects.count() == 0
    with pytest.raises(InboundNotOpen):
        inbound_cancel(inbound_id=inbound.pk)


# --- Stock feeds -----------------------------------------------------------------------------


def test_feed_applies_absolute_counts_and_deltas():
    location = LocationFactory(code="wh-1")
    counted = stock(location, ProductFactory(sku="A"), on_hand=5)
    delta_level = stock(location, ProductFactory(sku="B"), on_hand=5)
    ProductFactory(sku="C")

    result = stock_feed_apply(
        updates=[
            StockUpdate(location_code="wh-1", sku="A", on_hand=12, counted_at=T0),
            StockUpdate(location_code="wh-1", sku="B", delta=-2, reason="breakage"),
            StockUpdate(location_code="wh-1", sku="C", delta=7),
        ],
        actor="api-key:abc",
        reference="FEED-1",
    )

    assert (result.applied, result.stale, result.unchanged, result.movements) == (3, [], 0, 3)
    assert quantities(counted) == (12, 0, 0)
    assert counted.last_counted_at == T0
    assert quantities(delta_level) == (3, 0, 0)
    assert delta_level.last_counted_at is None
    created = StockLevel.objects.get(location=location, product__sku="C")
    assert quantities(created) == (7, 0, 0)
    feed_movements = StockMovement.objects.filter(reference="FEED-1")
    assert sorted(
        feed_movements.values_list("stock_level__product__sku", "kind", "on_hand_delta", "actor")
    ) == [
        ("A", Kind.COUNT, 7, "api-key:abc"),
        ("B", Kind.ADJUSTMENT, -2, "api-key:abc"),
        ("C", Kind.ADJUSTMENT, 7, "api-key:abc"),
    ]
    assert feed_movements.get(stock_level=delta_level).reason == "breakage"


def test_feed_count_equal_to_on_hand_is_applied_but_unchanged():
    location = LocationFactory(code="wh-1")
    level = stock(location, ProductFactory(sku="A"), on_hand=5)

    result = stock_feed_apply(
        updates=[StockUpdate(location_code="wh-1", sku="A", on_hand=5, counted_at=T0)],
        actor="test",
    )

    assert (result.applied, result.unchanged, result.movements) == (1, 1, 0)
    level.refresh_from_db()
    assert level.last_counted_at == T0


def test_feed_sets_safety_stock_through_the_ledger():
    location = LocationFactory(code="wh-1")
    level = stock(location, ProductFactory(sku="A"), on_hand=5, safety_stock=1)

    result = stock_feed_apply(
        updates=[StockUpdate(location_code="wh-1", sku="A", safety_stock=3)], actor="test"
    )

    assert (result.applied, result.movements) == (1, 1)
    assert quantities(level) == (5, 0, 3)
    movement = StockMovement.objects.filter(stock_level=level).order_by("-id").first()
    assert (movement.on_hand_delta, movement.safety_stock_delta) == (0, 2)


def test_older_count_never_overwrites_a_newer_one():
    location = LocationFactory(code="wh-1")
    level = stock(location, ProductFactory(sku="A"), on_hand=5)
    newer, older = T0 + dt.timedelta(minutes=5), T0

    stock_feed_apply(
        updates=[StockUpdate(location_code="wh-1", sku="A", on_hand=20, counted_at=newer)],
        actor="test",
    )
    before = snapshot()

    result = stock_feed_apply(
        updates=[StockUpdate(location_code="wh-1", sku="A", on_hand=8, counted_at=older)],
        actor="test",
    )

    assert (result.applied, result.stale, result.movements) == (0, [1], 0)
    assert snapshot() == before
    assert quantities(level) == (20, 0, 0)
    assert level.last_counted_at == newer


def test_count_with_the_same_timestamp_is_stale():
    location = LocationFactory(code="wh-1")
    level = stock(location, ProductFactory(sku="A"), on_hand=5)
    stock_feed_apply(
        updates=[StockUpdate(location_code="wh-1", sku="A", on_hand=20, counted_at=T0)],
        actor="test",
    )

    result = stock_feed_apply(
        updates=[StockUpdate(location_code="wh-1", sku="A", on_hand=9, counted_at=T0)],
        actor="test",
        first_row=11,
    )

    assert result.stale == [11]
    assert quantities(level) == (20, 0, 0)


def test_out_of_order_counts_in_one_batch_keep_the_newest():
    location = LocationFactory(code="wh-1")
    level = stock(location, ProductFactory(sku="A"), on_hand=5)

    result = stock_feed_apply(
        updates=[
            StockUpdate(location_code="wh-1", sku="A", on_hand=30, counted_at=T0 + dt.timedelta(2)),
            StockUpdate(location_code="wh-1", sku="A", on_hand=10, counted_at=T0),
            StockUpdate(location_code="wh-1", sku="A", on_hand=11, counted_at=T0 + dt.timedelta(1)),
        ],
        actor="test",
    )

    assert (result.applied, result.stale, result.movements) == (1, [2, 3], 1)
    assert quantities(level) == (30, 0, 0)
    assert level.last_counted_at == T0 + dt.timedelta(2)


def test_counts_in_order_are_all_applied():
    location = LocationFactory(code="wh-1")
    level = stock(location, ProductFactory(sku="A"), on_hand=5)

    result = stock_feed_apply(
        updates=[
            StockUpdate(location_code="wh-1", sku="A", on_hand=10, counted_at=T0),
            StockUpdate(location_code="wh-1", sku="A", on_hand=4, counted_at=T0 + dt.timedelta(1)),
        ],
        actor="test",
    )

    assert (result.applied, result.stale, result.movements) == (2, [], 2)
    assert quantities(level) == (4, 0, 0)


def test_deltas_apply_even_after_a_newer_count():
    location = LocationFactory(code="wh-1")
    level = stock(location, ProductFactory(sku="A"), on_hand=5)
    stock_feed_apply(
        updates=[StockUpdate(location_code="wh-1", sku="A", on_hand=20, counted_at=T0)],
        actor="test",
    )

    stock_feed_apply(updates=[StockUpdate(location_code="wh-1", sku="A", delta=-3)], actor="test")

    assert quantities(level) == (17, 0, 0)


def test_feed_with_bad_rows_applies_nothing_and_numbers_every_bad_row():
    location = LocationFactory(code="wh-1")
    level = stock(location, ProductFactory(sku="A"), on_hand=5)
    ProductFactory(sku="NEW")
    LocationFactory(code="wh-2")
    before = snapshot()

    with pytest.raises(StockFeedRejected) as exc:
        stock_feed_apply(
            updates=[
                StockUpdate(location_code="wh-1", sku="A", on_hand=9, counted_at=T0),
                StockUpdate(location_code="nowhere", sku="A", delta=1),
                StockUpdate(location_code="wh-1", sku="NOPE", delta=1),
                StockUpdate(location_code="wh-2", sku="NEW", delta=4),
                StockUpdate(location_code="wh-1", sku="A", on_hand=3),
                StockUpdate(location_code="wh-1", sku="A", on_hand=-1, counted_at=T0),
                StockUpdate(location_code="wh-1", sku="A", on_hand=3, counted_at=T0, delta=1),
                StockUpdate(location_code="wh-1", sku="A"),
                StockUpdate(location_code="wh-1", sku="A", safety_stock=-2),
            ],
            actor="test",
        )

    assert exc.value.code == "stock_update_rejected"
    assert exc.value.status == 422
    assert [(e["row"], e["code"]) for e in exc.value.details["errors"]] == [
        (2, "location_not_found"),
        (3, "product_not_found"),
        (5, "invalid_row"),
        (6, "negative_quantity"),
        (7, "invalid_row"),
        (8, "invalid_row"),
        (9, "negative_quantity"),
    ]
    assert snapshot() == before
    assert quantities(level) == (5, 0, 0)
    assert level.last_counted_at is None
    assert not StockLevel.objects.filter(location__code="wh-2").exists()


def test_feed_rows_are_numbered_from_first_row():
    with pytest.raises(StockFeedRejected) as exc:
        stock_feed_apply(
            updates=[StockUpdate(location_code="nowhere", sku="A", delta=1)],
            actor="test",
            first_row=2,
        )
    assert exc.value.details["errors"][0]["row"] == 2


def test_feed_below_reserved_is_rejected_with_nothing_applied():
    location = LocationFactory(code="wh-1")
    reserved_level = stock(location, ProductFactory(sku="A"), on_hand=10)
    other = stock(location, ProductFactory(sku="B"), on_hand=3)
    ProductFactory(sku="NEW")
    stock_reserve(requests=[req(reserved_level, 6)], actor="test")
    before = snapshot()

    with pytest.raises(StockFeedRejected) as exc:
        stock_feed_apply(
            updates=[
                StockUpdate(location_code="wh-1", sku="B", on_hand=50, counted_at=T0),
                StockUpdate(location_code="wh-1", sku="NEW", delta=5),
                StockUpdate(location_code="wh-1", sku="A", on_hand=5, counted_at=T0),
                StockUpdate(location_code="wh-1", sku="A", delta=-5),
                StockUpdate(location_code="wh-1", sku="B", delta=-60),
            ],
            actor="test",
        )

    assert [(e["row"], e["code"]) for e in exc.value.details["errors"]] == [
        (3, "stock_below_reserved"),
        (4, "stock_below_reserved"),
        (5, "negative_stock"),
    ]
    # Valid rows in the same batch were rolled back, including the level they created.
    assert snapshot() == before
    assert quantities(reserved_level) == (10, 6, 0)
    assert quantities(other) == (3, 0, 0)
    assert other.last_counted_at is None
    assert not StockLevel.objects.filter(product__sku="NEW").exists()


def test_feed_down_to_exactly_reserved_is_accepted():
    location = LocationFactory(code="wh-1")
    level = stock(location, ProductFactory(sku="A"), on_hand=10)
    stock_reserve(requests=[req(level, 6)], actor="test")

    stock_feed_apply(
        updates=[StockUpdate(location_code="wh-1", sku="A", on_hand=6, counted_at=T0)],
        actor="test",
    )

    assert quantities(level) == (6, 6, 0)


def test_feed_beyond_the_integer_range_is_a_row_error_not_a_database_error():
    location = LocationFactory(code="wh-1")
    level = stock(location, ProductFactory(sku="A"), on_hand=5)
    before = snapshot()

    with pytest.raises(StockFeedRejected) as exc:
        stock_feed_apply(
            updates=[
                StockUpdate(location_code="wh-1", sku="A", delta=MAX_QUANTITY),
                StockUpdate(location_code="wh-1", sku="A", on_hand=2**31, counted_at=T0),
                StockUpdate(location_code="wh-1", sku="A", safety_stock=2**31),
            ],
            actor="test",
        )

    assert [(e["row"], e["code"]) for e in exc.value.details["errors"]] == [
        (1, "quantity_out_of_range"),
        (2, "quantity_out_of_range"),
        (3, "quantity_out_of_range"),
    ]
    assert snapshot() == before
    assert quantities(level) == (5, 0, 0)


def test_feed_confined_to_allowed_locations_reports_others_as_unknown():
    mine = LocationFactory(code="mine")
    theirs = LocationFactory(code="theirs")
    product = ProductFactory(sku="A")
    their_level = stock(theirs, product, on_hand=5)

    with pytest.raises(StockFeedRejected) as exc:
        stock_feed_apply(
            updates=[
                StockUpdate(location_code="mine", sku="A", delta=1),
                StockUpdate(location_code="theirs", sku="A", delta=1),
            ],
            actor="test",
            allowed_location_ids={mine.pk},
        )

    assert [(e["row"], e["code"]) for e in exc.value.details["errors"]] == [
        (2, "location_not_found")
    ]
    assert quantities(their_level) == (5, 0, 0)
    assert not StockLevel.objects.filter(location=mine).exists()


# --- Database constraints (the last line of defence) -----------------------------------------


def test_db_refuses_reserved_above_on_hand(level):
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(reserved=F("on_hand") + 1)
    assert quantities(level) == (10, 0, 0)


@pytest.mark.parametrize("field", ["on_hand", "reserved", "safety_stock"])
def test_db_refuses_negative_quantities(level, field):
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(pk=level.pk).update(**{field: -1})
    assert quantities(level) == (10, 0, 0)


def test_db_refuses_inbound_received_above_expected():
    inbound = InboundStockFactory(quantity_expected=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        InboundStock.objects.filter(pk=inbound.pk).update(quantity_received=6)


def test_ledger_check_detects_a_level_changed_behind_its_back(level):
    # The check itself must be able to fail, or "no mismatches" proves nothing.
    StockLevel.objects.filter(pk=level.pk).update(on_hand=11, updated_at=timezone.now())

    mismatches = stock_ledger_mismatches()

    assert [(m.stock_level_id, m.field, m.level_value, m.ledger_value) for m in mismatches] == [
        (level.pk, "on_hand", 11, 10)
    ]
    StockLevel.objects.filter(pk=level.pk).update(on_hand=10)


def test_count_dated_in_the_future_is_refused_and_changes_nothing():
    location = LocationFactory(code="wh-1")
    level = stock(location, ProductFactory(sku="A"), on_hand=5)
    future = timezone.now() + dt.timedelta(days=2)

    with pytest.raises(StockFeedRejected) as exc:
        stock_feed_apply(
            updates=[StockUpdate(location_code="wh-1", sku="A", on_hand=9, counted_at=future)],
            actor="test",
        )

    assert [e["code"] for e in exc.value.details["errors"]] == ["counted_at_in_future"]
    level.refresh_from_db()
    assert (level.on_hand, level.last_counted_at) == (5, None)


def test_large_feed_writes_every_level():
    LocationFactory(code="wh-1")
    products = [ProductFactory(sku=f"BULK-{i}") for i in range(300)]
    stock_feed_apply(
        updates=[
            StockUpdate(location_code="wh-1", sku=p.sku, on_hand=i, counted_at=T0)
            for i, p in enumerate(products)
        ],
        actor="test",
    )
    levels = dict(StockLevel.objects.values_list("product__sku", "on_hand"))
    assert levels == {p.sku: i for i, p in enumerate(products)}
    assert StockLevel.objects.filter(last_counted_at=T0).count() == 300
