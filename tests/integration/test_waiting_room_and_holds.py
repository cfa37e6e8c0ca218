"""The waiting room (orders that cannot be routed yet) and checkout holds."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from inventory.models import Reservation
from inventory.selectors import stock_ledger_mismatches
from oms.errors import OMSError
from oms.models import Channel
from orders import services
from orders.models import CheckoutHold, Order, OrderState
from tests.factories import (
    BERLIN,
    ChannelFactory,
    LocationFactory,
    ProductFactory,
    level_of,
    place_order,
    stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    return SimpleNamespace(
        channel=channel,
        berlin=LocationFactory(code="wh-berlin", channels=[channel]),
        shirt=ProductFactory(sku="SHIRT"),
        mug=ProductFactory(sku="MUG"),
    )


@pytest.fixture
def waiting(net):  # type: ignore[no-untyped-def]
    net.channel.unroutable_policy = Channel.UnroutablePolicy.WAIT
    net.channel.waiting_escalation_minutes = 30
    net.channel.save()
    return net


def _held(order: Order) -> int:
    return sum(
        Reservation.objects.filter(
            holder__startswith=f"order:{order.pk}/", status=Reservation.Status.ACTIVE
        ).values_list("quantity", flat=True)
    )


def _hold_units(hold: CheckoutHold) -> int:
    return sum(
        Reservation.objects.filter(
            holder=hold.holder, status=Reservation.Status.ACTIVE
        ).values_list("quantity", flat=True)
    )


def _refused(channel: Channel, *lines, **kwargs) -> OMSError:  # type: ignore[no-untyped-def]
    with pytest.raises(OMSError) as info, transaction.atomic():
        place_order(channel, *lines, **kwargs)
    return info.value


def _hold(net, *lines, **kwargs) -> CheckoutHold:  # type: ignore[no-untyped-def]
    return services.hold_create(
        channel=net.channel,
        lines=list(lines),
        country="DE",
        latitude=BERLIN["latitude"],
        longitude=BERLIN["longitude"],
        actor="shop",
        **kwargs,
    )


# --- Waiting room -----------------------------------------------------------------------


def test_waiting_order_is_routed_when_stock_arrives(waiting):  # type: ignore[no-untyped-def]
    order = place_order(waiting.channel, ("SHIRT", 3))
    assert order.state == OrderState.WAITING
    assert services.waiting_room_process() == {"tried": 1, "routed": 0, "escalated": 0}

    stock(waiting.berlin, waiting.shirt, 3)
    result = services.waiting_room_process()

    assert result == {"tried": 1, "routed": 1, "escalated": 0}
    order.refresh_from_db()
    assert order.state == OrderState.ROUTED
    assert (order.waiting_since, order.escalated_at) == (None, None)
    assert _held(order) == 3
    assert level_of(waiting.berlin, waiting.shirt).reserved == 3
    assert list(order.events.values_list("sequence", "type")) == [
        (1, "order_placed"),
        (2, "order_waiting"),
        (3, "fulfilment_created"),
        (4, "order_routed"),
    ]
    assert order.events.get(type="fulfilment_created").data["trigger"] == "waiting_room"
    assert services.waiting_room_process() == {"tried": 0, "routed": 0, "escalated": 0}
    assert stock_ledger_mismatches() == []


def test_higher_priority_wins_over_an_older_order(waiting):  # type: ignore[no-untyped-def]
    older = place_order(waiting.channel, ("SHIRT", 3), priority=0)
    urgent = place_order(waiting.channel, ("SHIRT", 3), priority=5)
    Order.objects.filter(pk=older.pk).update(placed_at=timezone.now() - timedelta(hours=5))
    stock(waiting.berlin, waiting.shirt, 4)  # enough for one of them

    assert services.waiting_room_process()["routed"] == 1

    older.refresh_from_db()
    urgent.refresh_from_db()
    assert (urgent.state, older.state) == (OrderState.ROUTED, OrderState.WAITING)
    assert (_held(urgent), _held(older)) == (3, 0)
    assert level_of(waiting.berlin, waiting.shirt).reserved == 3
    assert stock_ledger_mismatches() == []


def test_same_priority_oldest_first(waiting):  # type: ignore[no-untyped-def]
    newer = place_order(waiting.channel, ("SHIRT", 2))
    older = place_order(waiting.channel, ("SHIRT", 2))
    # Created second but placed earlier: age, not insertion order, decides.
    Order.objects.filter(pk=older.pk).update(placed_at=newer.placed_at - timedelta(minutes=1))
    stock(waiting.berlin, waiting.shirt, 3)

    services.waiting_room_process()

    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.state, newer.state) == (OrderState.ROUTED, OrderState.WAITING)
    assert (_held(older), _held(newer)) == (2, 0)


def test_a_big_waiting_order_does_not_block_smaller_ones(waiting):  # type: ignore[no-untyped-def]
    big = place_order(waiting.channel, ("SHIRT", 10), priority=9)
    small = place_order(waiting.channel, ("SHIRT", 2))
    stock(waiting.berlin, waiting.shirt, 3)

    assert services.waiting_room_process() == {"tried": 2, "routed": 1, "escalated": 0}

    big.refresh_from_db()
    small.refresh_from_db()
    assert (big.state, small.state) == (OrderState.WAITING, OrderState.ROUTED)
    assert _held(big) == 0  # all or nothing: no partial reservation for the big one


def test_waiting_order_escalates_once_after_the_channels_limit(waiting):  # type: ignore[no-untyped-def]
    order = place_order(waiting.channel, ("SHIRT", 1))
    patient = ChannelFactory(unroutable_policy="wait", waiting_escalation_minutes=24 * 60)
    waiting.berlin.channels.add(patient)
    other = place_order(patient, ("SHIRT", 1))
    order.refresh_from_db()
    start = order.waiting_since

    assert services.waiting_room_escalate(now=start + timedelta(minutes=29)) == 0
    assert services.waiting_room_escalate(now=start + timedelta(minutes=31)) == 1
    assert services.waiting_room_escalate(now=start + timedelta(minutes=90)) == 0

    order.refresh_from_db()
    other.refresh_from_db()
    assert order.escalated_at == start + timedelta(minutes=31)
    assert other.escalated_at is None
    event = order.events.get(type="order_escalated")
    assert (event.sequence, event.actor) == (3, "system:waiting-room")
    assert event.data == {"waiting_since": start.isoformat()}

    # Routing clears the flags.
    stock(waiting.berlin, waiting.shirt, 1)
    services.order_route_waiting(order_id=order.pk)
    order.refresh_from_db()
    assert (order.state, order.waiting_since, order.escalated_at) == ("routed", None, None)


def test_cancelling_the_waiting_units_routes_the_order(waiting):  # type: ignore[no-untyped-def]
    stock(waiting.berlin, waiting.shirt, 2)
    stock(waiting.berlin, waiting.mug, 5)
    order = place_order(waiting.channel, ("SHIRT", 3), ("MUG", 1))
    assert order.state == OrderState.WAITING
    shirt = order.lines.get(sku="SHIRT")

    # Waiting orders hold nothing: 3 -> 2 shirts, then the waiting room routes it.
    services.order_line_set_quantity(
        order_id=order.pk, line_id=shirt.pk, quantity=2, actor="staff", expected_version=1
    )
    order.refresh_from_db()
    assert (order.state, order.lines.get(sku="SHIRT").open_quantity) == ("waiting", 2)
    assert services.waiting_room_process()["routed"] == 1
    order.refresh_from_db()
    assert order.state == OrderState.ROUTED
    assert _held(order) == 3
    assert level_of(waiting.berlin, waiting.shirt).reserved == 2
    assert stock_ledger_mismatches() == []


# --- Checkout holds ---------------------------------------------------------------------


def test_hold_reserves_and_keeps_the_units_from_other_shoppers(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 2)
    before = timezone.now()

    hold = _hold(net, ("SHIRT", 2))

    assert hold.status == CheckoutHold.Status.ACTIVE
    assert hold.lines == [{"sku": "SHIRT", "quantity": 2}]
    assert timedelta(minutes=14) < hold.expires_at - before <= timedelta(minutes=15, seconds=5)
    assert _hold_units(hold) == 2
    assert level_of(net.berlin, net.shirt).reserved == 2
    error = _refused(net.channel, ("SHIRT", 1))
    assert error.code == "out_of_stock"
    assert stock_ledger_mismatches() == []


def test_order_with_the_hold_token_gets_the_held_units(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 2)
    hold = _hold(net, ("SHIRT", 2))

    order = place_order(net.channel, ("SHIRT", 2), hold_token=hold.token)

    hold.refresh_from_db()
    assert order.state == OrderState.ROUTED
    assert (hold.status, hold.order_id) == (CheckoutHold.Status.CONSUMED, order.pk)
    assert _hold_units(hold) == 0
    assert _held(order) == 2
    level = level_of(net.berlin, net.shirt)
    assert (level.on_hand, level.reserved) == (2, 2)
    assert list(order.events.values_list("sequence", "type"))[:2] == [
        (1, "order_placed"),
        (2, "checkout_hold_consumed"),
    ]
    assert order.events.get(type="checkout_hold_consumed").data == {"hold": hold.token}
    # A used hold cannot be used again.
    error = _refused(net.channel, ("SHIRT", 2), hold_token=hold.token)
    assert (error.code, error.status) == ("hold_not_active", 409)
    assert stock_ledger_mismatches() == []


def test_failed_order_leaves_the_hold_active(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 2)
    hold = _hold(net, ("SHIRT", 2))

    error = _refused(net.channel, ("SHIRT", 2), ("MUG", 1), hold_token=hold.token)

    assert error.code == "out_of_stock"
    hold.refresh_from_db()
    assert hold.status == CheckoutHold.Status.ACTIVE
    assert _hold_units(hold) == 2
    assert Order.objects.count() == 0
    assert stock_ledger_mismatches() == []


def test_hold_release_gives_the_units_back(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 2)
    hold = _hold(net, ("SHIRT", 2))

    services.hold_release(channel=net.channel, token=hold.token, actor="shop")

    hold.refresh_from_db()
    assert hold.status == CheckoutHold.Status.RELEASED
    assert level_of(net.berlin, net.shirt).reserved == 0
    with pytest.raises(OMSError) as again:
        services.hold_release(channel=net.channel, token=hold.token, actor="shop")
    assert again.value.code == "hold_not_active"
    error = _refused(net.channel, ("SHIRT", 1), hold_token=hold.token)
    assert error.code == "hold_not_active"
    assert place_order(net.channel, ("SHIRT", 2)).state == OrderState.ROUTED
    assert stock_ledger_mismatches() == []


def test_holds_expire_and_an_expired_token_is_refused(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 3)
    hold = _hold(net, ("SHIRT", 2), minutes=10)
    keep = _hold(net, ("SHIRT", 1), minutes=30)

    assert services.holds_expire(now=timezone.now() + timedelta(minutes=9)) == 0
    assert services.holds_expire(now=timezone.now() + timedelta(minutes=11)) == 1

    hold.refresh_from_db()
    keep.refresh_from_db()
    assert (hold.status, keep.status) == (CheckoutHold.Status.EXPIRED, CheckoutHold.Status.ACTIVE)
    assert level_of(net.berlin, net.shirt).reserved == 1
    error = _refused(net.channel, ("SHIRT", 2), hold_token=hold.token)
    assert (error.code, error.status) == ("hold_not_active", 409)
    assert error.details == {"hold": hold.token, "status": "expired"}
    assert stock_ledger_mismatches() == []


def test_a_hold_past_its_expiry_is_refused_before_the_job_runs(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 3)
    hold = _hold(net, ("SHIRT", 2))
    CheckoutHold.objects.filter(pk=hold.pk).update(expires_at=timezone.now())

    error = _refused(net.channel, ("SHIRT", 2), hold_token=hold.token)

    assert error.code == "hold_not_active"
    assert _hold_units(hold) == 2  # released by the expiry job, not by the refused order


def test_hold_lifetime_is_capped(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 3)
    before = timezone.now()

    hold = _hold(net, ("SHIRT", 1), minutes=500)

    assert hold.expires_at - before <= timedelta(minutes=60, seconds=5)


def test_hold_token_of_another_channel_is_not_found(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 3)
    hold = _hold(net, ("SHIRT", 1))
    other = ChannelFactory()
    net.berlin.channels.add(other)

    error = _refused(other, ("SHIRT", 1), hold_token=hold.token)

    assert (error.code, error.status) == ("hold_not_found", 404)
    with pytest.raises(OMSError) as release:
        services.hold_release(channel=other, token=hold.token, actor="x")
    assert release.value.code == "hold_not_found"


@pytest.mark.parametrize(
    ("lines", "code"), [([("SHIRT", 4)], "out_of_stock"), ([("NOPE", 1)], "unknown_sku")]
)
def test_hold_that_cannot_be_served_is_refused_and_writes_nothing(net, lines, code):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 3)

    with pytest.raises(OMSError) as info:
        _hold(net, *lines)

    assert info.value.code == code
    assert CheckoutHold.objects.count() == 0
    assert level_of(net.berlin, net.shirt).reserved == 0
    assert Reservation.objects.count() == 0
