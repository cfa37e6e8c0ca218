"""Return requests: returnable quantities, the window, reasons, auto-approval, receiving at a
store (idempotent per parcel), inspection with restock / quality control / write-off, and
the stock they put back (ledger clean, available at once)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import StockLevel, StockMovement
from inventory.selectors import atp_by_location, stock_ledger_mismatches
from oms.errors import OMSError
from orders.models import Fulfilment, Order
from returns import services
from returns.models import QualityHold, ReturnPolicy, ReturnRequest, ReturnState
from returns.selectors import returnable_quantities
from returns.services import InspectionInput, ReturnLineInput
from tests.factories import LocationFactory, level_of, place_order
from tests.payments_helpers import event_types, returns_network, shipped_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    return returns_network(channel)


def _request(
    order: Order, *lines: tuple[int, int], reason: str = "wrong_size", **kw
) -> ReturnRequest:  # type: ignore[no-untyped-def]
    return services.return_create(
        order_id=order.pk,
        lines=[ReturnLineInput(line_number=n, quantity=q, reason=reason) for n, q in lines],
        actor="shop",
        created_via=kw.pop("created_via", "api"),
        **kw,
    )


def _approve_and_receive(net, order: Order, *lines, parcel: str = "P1") -> ReturnRequest:  # type: ignore[no-untyped-def]
    ret = _request(order, *lines)
    services.return_approve(return_id=ret.pk, actor="user:anna")
    return services.return_receive(
        return_id=ret.pk, parcel_reference=parcel, location=net.store, actor="store"
    )


def _code(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(OMSError) as exc:
        call()
    return exc.value.code


def test_returnable_is_delivered_minus_live_returns(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 3, "20.00"))
    line = order.lines.get()
    first = _request(order, (1, 2))
    assert first.state == ReturnState.REQUESTED
    assert returnable_quantities(order=order)[line.pk].returnable == 1
    assert _code(lambda: _request(order, (1, 2))) == "quantity_exceeds_returnable"
    services.return_reject(return_id=first.pk, reason="worn", actor="user:anna")
    assert returnable_quantities(order=order)[line.pk].returnable == 3
    second = _request(order, (1, 3))
    services.return_cancel(return_id=second.pk, actor="shop")
    assert returnable_quantities(order=order)[line.pk].returnable == 3


def test_bad_requests_change_nothing(net):  # type: ignore[no-untyped-def]
    shipped = shipped_order(net, ("SHIRT", 1, "20.00"))
    unshipped = place_order(net.channel, ("MUG", 1, "10.00"))
    shipped.refresh_from_db()
    events_before = shipped.event_count
    assert _code(lambda: _request(unshipped, (1, 1))) == "line_not_delivered"
    assert _code(lambda: _request(shipped, (1, 2))) == "quantity_exceeds_returnable"
    assert _code(lambda: _request(shipped, (9, 1))) == "return_line_unknown"
    assert _code(lambda: _request(shipped, (1, 1), reason="nope")) == "return_reason_unknown"
    assert _code(lambda: _request(shipped, (1, 1), (1, 1))) == "return_line_duplicate"
    Fulfilment.objects.filter(order=shipped).update(updated_at=timezone.now() - timedelta(days=31))
    assert _code(lambda: _request(shipped, (1, 1))) == "return_window_closed"
    assert not ReturnRequest.objects.exists()
    shipped.refresh_from_db()
    assert shipped.event_count == events_before


def test_window_is_per_channel(net):  # type: ignore[no-untyped-def]
    ReturnPolicy.objects.create(channel=net.channel, window_days=60)
    order = shipped_order(net, ("SHIRT", 1, "20.00"))
    Fulfilment.objects.filter(order=order).update(updated_at=timezone.now() - timedelta(days=45))
    assert _request(order, (1, 1)).state == ReturnState.REQUESTED


def test_auto_approve_within_the_amount(net):  # type: ignore[no-untyped-def]
    ReturnPolicy.objects.create(
        channel=net.channel, auto_approve=True, auto_approve_max_amount=Decimal("30")
    )
    order = shipped_order(net, ("SHIRT", 2, "20.00"))
    assert _request(order, (1, 1)).state == ReturnState.APPROVED
    assert _request(order, (1, 1)).state == ReturnState.APPROVED
    big = shipped_order(net, ("SHIRT", 2, "20.00"))
    assert _request(big, (1, 2)).state == ReturnState.REQUESTED


def test_receiving_twice_changes_nothing(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"))
    ret = _approve_and_receive(net, order, (1, 2))
    assert (ret.state, ret.location_id) == (ReturnState.RECEIVED, net.store.pk)
    order.refresh_from_db()
    events = order.event_count
    again = services.return_receive(
        return_id=ret.pk, parcel_reference="P1", location=net.store, actor="store"
    )
    assert again.state == ReturnState.RECEIVED
    assert ret.receipts.count() == 1
    assert list(ret.lines.values_list("received_quantity", flat=True)) == [2]
    order.refresh_from_db()
    assert order.event_count == events
    other = lambda: services.return_receive(  # noqa: E731
        return_id=ret.pk, parcel_reference="P1", location=net.store, lines={1: 1}, actor="store"
    )
    assert _code(other) == "parcel_reference_conflict"


def test_partial_receipts(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"), ("MUG", 1, "10.00"))
    ret = _request(order, (1, 2), (2, 1))
    services.return_approve(return_id=ret.pk, actor="user:anna")
    receive = services.return_receive
    ret = receive(
        return_id=ret.pk, parcel_reference="A", location=net.store, lines={1: 1}, actor="s"
    )
    assert ret.state == ReturnState.PARTIALLY_RECEIVED
    assert _code(lambda: services.return_cancel(return_id=ret.pk, actor="shop")) == (
        "return_transition_not_allowed"
    )
    assert (
        _code(
            lambda: receive(
                return_id=ret.pk, parcel_reference="B", location=net.store, lines={2: 2}, actor="s"
            )
        )
        == "receipt_exceeds_requested"
    )
    assert (
        _code(
            lambda: receive(return_id=ret.pk, parcel_reference="B", location=net.berlin, actor="s")
        )
        == "location_not_accepting_returns"
    )
    ret = receive(return_id=ret.pk, parcel_reference="B", location=net.store, actor="s")
    assert ret.state == ReturnState.RECEIVED


def test_receiving_before_approval_is_refused(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 1, "20.00"))
    ret = _request(order, (1, 1))
    receive = lambda: services.return_receive(  # noqa: E731
        return_id=ret.pk, parcel_reference="P", location=net.store, actor="s"
    )
    assert _code(receive) == "return_transition_not_allowed"


def test_inspection_restocks_at_the_receiving_store_and_writes_off(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"))
    ret = _approve_and_receive(net, order, (1, 2))
    ret = services.return_inspect(
        return_id=ret.pk,
        entries=[
            InspectionInput(line_number=1, quantity=1, condition="new", disposition="restock"),
            InspectionInput(
                line_number=1, quantity=1, condition="damaged", disposition="write_off"
            ),
        ],
        actor="store",
    )
    assert ret.state == ReturnState.INSPECTED
    assert level_of(net.store, net.shirt).on_hand == 1
    assert level_of(net.berlin, net.shirt).on_hand == 8  # shipped from Berlin: not restocked there
    movement = StockMovement.objects.get(kind="return")
    assert (movement.on_hand_delta, movement.reference) == (1, f"return:{ret.pk}")
    assert stock_ledger_mismatches() == []
    assert event_types(order)[-3:] == ["return_approved", "return_received", "return_inspected"]


def test_inspecting_more_than_received_changes_nothing(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"))
    ret = _approve_and_receive(net, order, (1, 2))
    inspect = lambda: services.return_inspect(  # noqa: E731
        return_id=ret.pk,
        entries=[
            InspectionInput(line_number=1, quantity=2, condition="new", disposition="restock"),
            InspectionInput(line_number=1, quantity=1, condition="new", disposition="restock"),
        ],
        actor="store",
    )
    assert _code(inspect) == "inspection_exceeds_received"
    assert not StockMovement.objects.filter(kind="return").exists()


def test_a_restocked_unit_is_sold_again_at_once(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 1, "20.00"))
    ret = _approve_and_receive(net, order, (1, 1))
    services.return_inspect(
        return_id=ret.pk,
        entries=[
            InspectionInput(line_number=1, quantity=1, condition="new", disposition="restock")
        ],
        actor="store",
    )
    again = place_order(
        net.channel,
        ("SHIRT", 1),
        delivery_type="click_collect",
        pickup_location_code="store-berlin",
    )
    (fulfilment,) = again.fulfilments.all()
    assert fulfilment.location_id == net.store.pk
    assert level_of(net.store, net.shirt).reserved == 1


def test_quality_control_holds_units_until_released(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"))
    ret = _approve_and_receive(net, order, (1, 2))
    services.return_inspect(
        return_id=ret.pk,
        entries=[
            InspectionInput(
                line_number=1, quantity=2, condition="opened", disposition="quality_control"
            )
        ],
        actor="store",
    )
    (hold,) = QualityHold.objects.all()
    assert (hold.location_id, hold.quantity, hold.status) == (net.store.pk, 2, "held")
    assert not StockLevel.objects.filter(location=net.store, on_hand__gt=0).exists()
    assert _store_atp(net) == 0
    services.quality_hold_decide(hold_id=hold.pk, release=True, actor="user:qc")
    assert level_of(net.store, net.shirt).on_hand == 2
    assert _store_atp(net) == 2
    assert stock_ledger_mismatches() == []
    assert _code(
        lambda: services.quality_hold_decide(hold_id=hold.pk, release=False, actor="x")
    ) == ("quality_hold_decided")
    assert event_types(order)[-1] == "quality_hold_decided"


def _store_atp(net) -> int:  # type: ignore[no-untyped-def]
    atp = atp_by_location(location_ids=[net.store.pk], product_ids=[net.shirt.pk])
    return atp.get(net.store.pk, {}).get(net.shirt.pk, 0)


def test_written_off_quality_hold_never_enters_stock(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 1, "20.00"))
    ret = _approve_and_receive(net, order, (1, 1))
    services.return_inspect(
        return_id=ret.pk,
        entries=[
            InspectionInput(
                line_number=1, quantity=1, condition="defective", disposition="quality_control"
            )
        ],
        actor="store",
    )
    hold = services.quality_hold_decide(
        hold_id=QualityHold.objects.get().pk, release=False, actor="user:qc"
    )
    assert hold.status == "written_off"
    assert _store_atp(net) == 0
    assert not StockMovement.objects.filter(kind="return").exists()


def test_exchange_places_a_linked_replacement_order(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 1, "20.00"))
    ret = _request(order, (1, 1), resolution="exchange")
    ret = services.return_approve(return_id=ret.pk, actor="user:anna")
    replacement = ret.exchange_order
    assert replacement is not None
    assert replacement.external_reference == f"{order.external_reference}-X{ret.pk}"
    assert [(ln.sku, ln.quantity, ln.unit_price) for ln in replacement.lines.all()] == [
        ("SHIRT", 1, Decimal("0.00"))
    ]
    assert "exchange_order_created" in event_types(order)


def test_store_return_at_the_till_is_approved_and_bound_to_the_store(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 1, "20.00"))
    ret = _request(order, (1, 1), created_via="store", location=net.store)
    assert (ret.state, ret.location_id) == (ReturnState.APPROVED, net.store.pk)
    elsewhere = LocationFactory(code="store-2", channels=[net.channel], accepts_returns=True)
    receive = lambda: services.return_receive(  # noqa: E731
        return_id=ret.pk, parcel_reference="T", location=elsewhere, actor="s"
    )
    assert _code(receive) == "return_received_elsewhere"
    closed = LocationFactory(code="store-3", channels=[net.channel], accepts_returns=False)
    assert _code(lambda: _request(order, (1, 1), created_via="store", location=closed)) == (
        "location_not_accepting_returns"
    )
