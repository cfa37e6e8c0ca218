"""Pre-orders: orders reserved against inbound stock, converted on receipt, re-planned when a
delivery slips, shrinks or is cancelled (issue 11)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.errors import InsufficientStock
from inventory.models import InboundReservation, InboundStock, Reservation
from inventory.selectors import availability_for_channel, stock_ledger_mismatches
from inventory.services import (
    InboundReservationRequest,
    inbound_cancel,
    inbound_receive,
    inbound_reserve,
    inbound_update,
)
from oms.models import Channel
from orders.errors import TransitionNotAllowed
from orders.models import Fulfilment, FulfilmentState, Order, OrderEvent, OrderState
from orders.services import LineInput, OrderInput, fulfilment_transition, order_cancel, order_create
from routing import config_cache
from tests.factories import ChannelFactory, LocationFactory, ProductFactory, stock

pytestmark = pytest.mark.django_db

ADDRESS = {"street": "Alexanderplatz 1", "city": "Berlin", "country": "DE"}
ADDRESS.update(latitude=52.5, longitude=13.4)


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def shop():  # type: ignore[no-untyped-def]
    config_cache.clear()
    return ChannelFactory(
        code=f"pre-{uuid.uuid4().hex[:6]}",
        sell_inbound=True,
        inbound_horizon_days=30,
        unroutable_policy=Channel.UnroutablePolicy.REFUSE,
    )


def inbound(location, product, quantity: int, in_days: int = 7, ref: str = "") -> InboundStock:  # type: ignore[no-untyped-def]
    return InboundStock.objects.create(
        location=location,
        product=product,
        reference=ref or f"PO-{uuid.uuid4().hex[:6]}",
        expected_date=today() + dt.timedelta(days=in_days),
        quantity_expected=quantity,
    )


def place(channel, product, quantity: int = 1, priority: int = 0) -> Order:  # type: ignore[no-untyped-def]
    return order_create(
        channel=channel,
        data=OrderInput(
            external_reference=f"ORD-{uuid.uuid4().hex[:10]}",
            currency="EUR",
            lines=(LineInput(sku=product.sku, quantity=quantity, unit_price=Decimal("10")),),
            shipping_address=ADDRESS,
            priority=priority,
        ),
        actor="test",
    )


def event_types(order: Order) -> list[str]:
    return list(order.events.order_by("sequence").values_list("type", flat=True))


def live(order: Order) -> list[Fulfilment]:
    return list(
        order.fulfilments.exclude(
            state__in=[FulfilmentState.CANCELLED, FulfilmentState.REJECTED]
        ).order_by("pk")
    )


# --- Inbound ATP and its reservation ------------------------------------------------------


def test_reserved_never_exceeds_what_is_still_expected(shop):
    line = inbound(LocationFactory(channels=[shop]), ProductFactory(), 5)
    line.quantity_received = 2
    line.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        InboundStock.objects.filter(pk=line.pk).update(quantity_reserved=4)


def test_inbound_reserve_is_conditional(shop):
    line = inbound(LocationFactory(channels=[shop]), ProductFactory(), 5)
    inbound_reserve(requests=[InboundReservationRequest(line.pk, 3, "a")])
    with pytest.raises(InsufficientStock):
        inbound_reserve(requests=[InboundReservationRequest(line.pk, 3, "b")])
    inbound_reserve(requests=[InboundReservationRequest(line.pk, 2, "c")])
    line.refresh_from_db()
    assert (line.quantity_reserved, line.quantity_sellable) == (5, 0)
    assert stock_ledger_mismatches() == []


def test_availability_shows_sellable_inbound_per_date_beside_on_hand(shop):
    warehouse = LocationFactory(channels=[shop])
    product = ProductFactory()
    stock(warehouse, product, 2)
    first = inbound(warehouse, product, 10, in_days=5)
    inbound(warehouse, product, 7, in_days=60)  # beyond the 30-day horizon
    inbound_reserve(requests=[InboundReservationRequest(first.pk, 4, "x")])
    (entry,) = availability_for_channel(channel=shop, skus=[product.sku])
    assert entry.available == 2
    assert [(i.quantity, i.reserved, i.sellable) for i in entry.inbound] == [(10, 4, 6), (7, 0, 0)]
    assert entry.preorder_available == 6
    shop.sell_inbound = False
    (entry,) = availability_for_channel(channel=shop, skus=[product.sku])
    assert entry.preorder_available == 0


# --- Intake ---------------------------------------------------------------------------------


def test_intake_reserves_inbound_when_on_hand_cannot_cover(shop):
    warehouse = LocationFactory(channels=[shop])
    product = ProductFactory()
    line = inbound(warehouse, product, 5, in_days=10)
    order = place(shop, product, 3)
    (fulfilment,) = live(order)
    assert order.state == OrderState.ROUTED
    assert fulfilment.promised_date == line.expected_date
    assert fulfilment.awaiting_stock and fulfilment.source == "inbound"
    res = InboundReservation.objects.get()
    assert (res.inbound_id, res.quantity, res.status) == (line.pk, 3, "active")
    line.refresh_from_db()
    assert line.quantity_reserved == 3
    # Not actionable for the location until the goods arrive.
    with pytest.raises(TransitionNotAllowed):
        fulfilment_transition(fulfilment_id=fulfilment.pk, action="accept", actor="store")
    decision = order.routing_decisions.get()
    assert decision.log["inbound"]["used"] == 1


def test_on_hand_stock_is_preferred_to_inbound(shop):
    near, far = LocationFactory(channels=[shop]), LocationFactory(channels=[shop])
    product = ProductFactory()
    inbound(near, product, 10, in_days=2)
    stock(far, product, 3)
    order = place(shop, product, 3)
    (fulfilment,) = live(order)
    assert (fulfilment.location_id, fulfilment.promised_date) == (far.pk, None)
    assert InboundReservation.objects.count() == 0


def test_earlier_inbound_is_preferred_and_horizon_respected(shop):
    a, b, c = (LocationFactory(channels=[shop]) for _ in range(3))
    product = ProductFactory()
    inbound(a, product, 5, in_days=20)
    inbound(b, product, 5, in_days=4)
    inbound(c, product, 50, in_days=45)  # beyond the horizon
    order = place(shop, product, 2)
    (fulfilment,) = live(order)
    assert fulfilment.location_id == b.pk
    with pytest.raises(InsufficientStock), transaction.atomic():
        place(shop, product, 20)  # 10 within the horizon
    shop.inbound_horizon_by_kind = {"warehouse": 60}
    shop.save()
    config_cache.clear()
    big = place(shop, product, 20)
    assert [f.location_id for f in live(big)] == [c.pk]


def test_channel_not_selling_inbound_refuses(shop):
    shop.sell_inbound = False
    shop.save()
    product = ProductFactory()
    inbound(LocationFactory(channels=[shop]), product, 5)
    with pytest.raises(InsufficientStock), transaction.atomic():
        place(shop, product, 1)


# --- Receipt --------------------------------------------------------------------------------


def test_receipt_converts_oldest_first_and_partial_receipt_converts_what_it_can(shop):
    warehouse = LocationFactory(channels=[shop])
    product = ProductFactory()
    line = inbound(warehouse, product, 6)
    orders = [place(shop, product, 2) for _ in range(3)]
    vip = orders[2]
    Order.objects.filter(pk=vip.pk).update(priority=5)
    InboundReservation.objects.filter(holder__startswith=f"order:{vip.pk}/").update(priority=5)
    inbound_receive(inbound_id=line.pk, quantity=3, actor="test")
    # The VIP converts first (2 units); the oldest other order needs 2 but only 1 is left:
    # it stays reserved against the 3 still expected. The youngest no longer fits those 3:
    # it is re-planned onto the received unit left on hand and 1 still expected.
    f_vip = live(vip)[0]
    assert not f_vip.awaiting_stock
    assert f_vip.lines.get().reservation.status == Reservation.Status.ACTIVE
    assert "fulfilment_stock_received" in event_types(vip)
    assert live(orders[0])[0].awaiting_stock
    youngest = live(orders[1])
    assert sorted((f.promised_date is None, f.lines.get().quantity) for f in youngest) == [
        (False, 1),
        (True, 1),
    ]
    assert "order_delayed" in event_types(orders[1])
    line.refresh_from_db()
    assert (line.quantity_received, line.quantity_reserved) == (3, 3)
    inbound_receive(inbound_id=line.pk, quantity=3, actor="test")
    assert not any(f.awaiting_stock for o in orders for f in live(o))
    fulfilment = live(orders[0])[0]
    fulfilment_transition(fulfilment_id=fulfilment.pk, action="accept", actor="store")
    assert stock_ledger_mismatches() == []


def test_partial_receipt_that_cannot_cover_a_preorder_replans_it(shop):
    warehouse, other = LocationFactory(channels=[shop]), LocationFactory(channels=[shop])
    product = ProductFactory()
    line = inbound(warehouse, product, 4)
    first, second = place(shop, product, 2), place(shop, product, 2)
    stock(other, product, 2)
    inbound_receive(inbound_id=line.pk, quantity=3, actor="test")
    # first converts (2); second (2) no longer fits the 1 unit still expected -> re-planned.
    assert not live(first)[0].awaiting_stock
    (moved,) = live(second)
    assert (moved.location_id, moved.promised_date) == (other.pk, None)
    assert "order_delayed" in event_types(second)
    assert stock_ledger_mismatches() == []


# --- Slips, reductions, cancellations -------------------------------------------------------


def test_slip_replans_onto_other_stock(shop):
    late, other = LocationFactory(channels=[shop]), LocationFactory(channels=[shop])
    product = ProductFactory()
    line = inbound(late, product, 5, in_days=3)
    order = place(shop, product, 2)
    inbound(other, product, 5, in_days=8)
    inbound_update(inbound_id=line.pk, expected_date=today() + dt.timedelta(days=20), actor="t")
    (fulfilment,) = live(order)
    assert fulfilment.location_id == other.pk
    assert fulfilment.promised_date == today() + dt.timedelta(days=8)
    delayed = order.events.get(type="order_delayed").data
    assert delayed["reason"] == "slipped"
    assert delayed["promised_date"] == fulfilment.promised_date.isoformat()
    line.refresh_from_db()
    assert line.quantity_reserved == 0
    assert stock_ledger_mismatches() == []


def test_slip_keeps_the_line_with_its_new_date_when_nothing_else_exists(shop):
    product = ProductFactory()
    line = inbound(LocationFactory(channels=[shop]), product, 5, in_days=3)
    order = place(shop, product, 2)
    new_date = today() + dt.timedelta(days=12)
    inbound_update(inbound_id=line.pk, expected_date=new_date, actor="t")
    (fulfilment,) = live(order)
    assert fulfilment.promised_date == new_date
    assert order.events.get(type="order_delayed").data["promised_date"] == new_date.isoformat()


def test_slip_beyond_the_horizon_moves_the_order_to_the_waiting_room(shop):
    shop.unroutable_policy = Channel.UnroutablePolicy.WAIT
    shop.save()
    product = ProductFactory()
    line = inbound(LocationFactory(channels=[shop]), product, 5, in_days=3)
    order = place(shop, product, 2)
    inbound_update(inbound_id=line.pk, expected_date=today() + dt.timedelta(days=90), actor="t")
    order.refresh_from_db()
    assert order.state == OrderState.WAITING
    assert live(order) == []
    delayed = order.events.get(type="order_delayed").data
    assert (delayed["promised_date"], delayed["waiting"]) == (None, 2)


def test_cancel_moves_orders_to_the_waiting_room_with_an_event(shop):
    product = ProductFactory()
    line = inbound(LocationFactory(channels=[shop]), product, 5)
    orders = [place(shop, product, 2) for _ in range(2)]
    inbound_cancel(inbound_id=line.pk, actor="buyer")
    for order in orders:
        order.refresh_from_db()
        assert order.state == OrderState.WAITING
        assert "order_delayed" in event_types(order)
        assert order.events.get(type="order_delayed").data["reason"] == "cancelled"
    line.refresh_from_db()
    assert (line.status, line.quantity_reserved) == ("cancelled", 0)
    assert not InboundReservation.objects.filter(status="active").exists()
    assert stock_ledger_mismatches() == []


def test_quantity_reduction_replans_the_youngest(shop):
    shop.unroutable_policy = Channel.UnroutablePolicy.WAIT
    shop.save()
    product = ProductFactory()
    line = inbound(LocationFactory(channels=[shop]), product, 6)
    old, young = place(shop, product, 3), place(shop, product, 3)
    inbound_update(inbound_id=line.pk, quantity=4, actor="buyer")
    assert live(old)[0].awaiting_stock
    young.refresh_from_db()
    # The 1 unit still free on the line is taken; the other 2 wait.
    assert young.state == OrderState.WAITING
    assert [f.lines.get().quantity for f in live(young)] == [1]
    delayed = young.events.get(type="order_delayed").data
    assert (delayed["reason"], delayed["waiting"]) == ("reduced", 2)
    line.refresh_from_db()
    assert line.quantity_reserved == 4
    assert stock_ledger_mismatches() == []


def test_order_cancel_releases_its_preorder(shop):
    product = ProductFactory()
    line = inbound(LocationFactory(channels=[shop]), product, 5)
    order = place(shop, product, 2)
    order_cancel(order_id=order.pk, actor="staff", expected_version=None)
    line.refresh_from_db()
    assert line.quantity_reserved == 0
    assert InboundReservation.objects.get().status == "released"


# --- Waiting room bounded by supply ---------------------------------------------------------


def test_waiting_room_bounded_by_inbound_supply(shop):
    shop.sell_inbound = False
    shop.unroutable_policy = Channel.UnroutablePolicy.WAIT
    shop.waiting_limit = Channel.WaitingLimit.INBOUND_SUPPLY
    shop.save()
    product = ProductFactory()
    inbound(LocationFactory(channels=[shop]), product, 5)
    parked = [place(shop, product, 2), place(shop, product, 3)]
    assert {o.state for o in parked} == {OrderState.WAITING}
    with pytest.raises(InsufficientStock), transaction.atomic():
        place(shop, product, 1)
    shop.waiting_limit = Channel.WaitingLimit.UNBOUNDED
    shop.save()
    assert place(shop, product, 100).state == OrderState.WAITING
    assert OrderEvent.objects.filter(type="order_waiting").count() == 3


def test_orders_covered_on_hand_pay_nothing_for_preorders(shop):
    """Intake reads the inbound stand-ins only when on-hand stock cannot route the order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    other = ChannelFactory(code=f"off-{uuid.uuid4().hex[:6]}")
    product = ProductFactory()
    for channel in (shop, other):
        warehouse = LocationFactory(channels=[channel])
        stock(warehouse, product, 10)
        inbound(warehouse, product, 10)
    counts = []
    for channel in (shop, other):
        place(channel, product)  # warm the per-process caches
        with CaptureQueriesContext(connection) as queries:
            place(channel, product)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert InboundReservation.objects.count() == 0


def test_a_slip_mails_the_customer_the_new_date(shop):
    from django.core import mail

    from oms.hub.dispatch import deliveries_dispatch
    from oms.models import Delivery

    product = ProductFactory()
    line = inbound(LocationFactory(channels=[shop]), product, 5, in_days=3)
    order = order_create(
        channel=shop,
        data=OrderInput(
            external_reference=f"ORD-{uuid.uuid4().hex[:10]}",
            currency="EUR",
            lines=(LineInput(sku=product.sku, quantity=1, unit_price=Decimal("10")),),
            shipping_address=ADDRESS,
            customer_email="ada@example.com",
        ),
        actor="test",
    )
    new_date = today() + dt.timedelta(days=15)
    inbound_update(inbound_id=line.pk, expected_date=new_date, actor="buyer")
    delayed = Delivery.objects.get(
        kind="email", message__order_id=order.pk, message__topic="order_delayed"
    )
    assert delayed.target == "ada@example.com"
    while deliveries_dispatch().claimed:
        pass
    (sent,) = [m for m in mail.outbox if "new delivery date" in m.subject]
    assert new_date.isoformat() in sent.body


def test_new_inbound_stock_wakes_waiting_orders_that_can_preorder_it(shop):
    from inventory.services import inbound_create
    from orders.models import WaitingRoomWake
    from orders.services import waiting_room_process

    shop.unroutable_policy = Channel.UnroutablePolicy.WAIT
    shop.save()
    warehouse = LocationFactory(channels=[shop])
    product = ProductFactory()
    order = place(shop, product, 2)
    assert order.state == OrderState.WAITING
    WaitingRoomWake.objects.all().delete()  # as after a run that found nothing
    line = inbound_create(
        location=warehouse,
        product=product,
        reference="PO-NEW",
        expected_date=today() + dt.timedelta(days=5),
        quantity=3,
    )
    assert WaitingRoomWake.objects.filter(order=order).exists()
    waiting_room_process()
    order.refresh_from_db()
    assert order.state == OrderState.ROUTED
    (fulfilment,) = live(order)
    assert (fulfilment.promised_date, fulfilment.awaiting_stock) == (line.expected_date, True)
