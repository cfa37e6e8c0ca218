"""One reroute and one plan-reserve-retry loop: a reroute that changes nothing keeps the
fulfilment it has, and checkout holds re-plan through intake's loop when they lose a race."""

from __future__ import annotations

from unittest import mock

import pytest

from inventory.errors import InsufficientStock
from inventory.models import Reservation
from inventory.selectors import stock_ledger_mismatches
from inventory.services import stock_adjust
from orders import services
from orders.models import FulfilmentState
from orders.services import plan_reserve
from tests.factories import BERLIN, level_of, order_network, place_order, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    network = order_network(channel)
    stock(network.berlin, network.shirt, 10)
    stock(network.munich, network.shirt, 10)
    return network


def _active_reservations() -> list[tuple[int, int, int]]:
    return sorted(
        Reservation.objects.filter(status=Reservation.Status.ACTIVE).values_list(
            "pk", "stock_level_id", "quantity"
        )
    )


def test_a_reroute_that_changes_nothing_keeps_the_fulfilment(net):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 3), address=BERLIN)
    fulfilment = order.fulfilments.get()
    services.fulfilment_transition(fulfilment_id=fulfilment.pk, action="accept", actor="wh")
    order.refresh_from_db()
    held = _active_reservations()

    order = services.order_reroute(order_id=order.pk, actor="staff", expected_version=order.version)

    assert list(order.fulfilments.values_list("pk", "state")) == [
        (fulfilment.pk, FulfilmentState.ACCEPTED)
    ]
    types = list(order.events.values_list("type", flat=True))
    assert "fulfilment_cancelled" not in types
    assert types.count("fulfilment_created") == 1
    assert _active_reservations() == held
    assert level_of(net.berlin, net.shirt).reserved == 3
    assert stock_ledger_mismatches() == []


def test_a_reroute_that_moves_the_units_still_cancels_and_recreates(net):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 3), address=BERLIN)
    fulfilment = order.fulfilments.get()

    order = services.order_reroute(
        order_id=order.pk,
        actor="staff",
        expected_version=order.version,
        exclude_location_ids=[net.berlin.pk],
    )

    fulfilment.refresh_from_db()
    assert fulfilment.state == FulfilmentState.CANCELLED
    moved = order.fulfilments.get(state=FulfilmentState.CREATED)
    assert moved.location == net.munich
    assert (level_of(net.berlin, net.shirt).reserved, level_of(net.munich, net.shirt).reserved) == (
        0,
        3,
    )
    rerouted = order.events.filter(type="order_rerouted").order_by("-sequence").first()
    assert rerouted.data["fulfilments"] == [moved.pk]
    assert stock_ledger_mismatches() == []


def test_hold_create_replans_through_the_shared_loop_when_it_loses_a_race(net):  # type: ignore[no-untyped-def]
    """Between the hold's snapshot and its reservation another shopper takes Berlin's
    shirts: the shared loop plans again on fresh figures and holds Munich's instead."""
    from orders.services import holds

    real_reserve = holds.stock_reserve
    calls = []

    def grab_then_reserve(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["requests"][0].location_id)
        if len(calls) == 1:
            stock_adjust(
                location=net.berlin, product=net.shirt, delta=-10, reason="sold", actor="other"
            )
            raise InsufficientStock(lines=[])
        return real_reserve(**kwargs)

    with (
        mock.patch.object(holds, "stock_reserve", side_effect=grab_then_reserve),
        mock.patch.object(
            holds, "plan_reserve_retry", wraps=plan_reserve.plan_reserve_retry
        ) as loop,
    ):
        hold = services.hold_create(
            channel=net.channel,
            lines=[("SHIRT", 2)],
            country="DE",
            latitude=BERLIN["latitude"],
            longitude=BERLIN["longitude"],
            actor="shop",
        )

    assert loop.call_count == 1
    assert calls == [net.berlin.pk, net.munich.pk]
    held = Reservation.objects.get(holder=hold.holder, status=Reservation.Status.ACTIVE)
    assert (held.stock_level.location_id, held.quantity) == (net.munich.pk, 2)
    assert stock_ledger_mismatches() == []


def test_a_staff_reroute_that_changes_nothing_says_so_with_its_reason(net):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 3), address=BERLIN)
    fulfilment = order.fulfilments.get()

    order = services.order_reroute(
        order_id=order.pk,
        actor="staff",
        expected_version=order.version,
        reason="customer asked for a faster parcel",
    )

    assert list(order.fulfilments.values_list("pk", "state")) == [
        (fulfilment.pk, FulfilmentState.CREATED)
    ]
    kept = order.events.get(type="reroute_unchanged")
    assert kept.data["reason"] == "customer asked for a faster parcel"
    assert not order.events.filter(type="order_rerouted").exists()
    assert not order.events.filter(type="fulfilment_cancelled").exists()


def test_a_staff_reroute_records_its_reason(net):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 3), address=BERLIN)

    order = services.order_reroute(
        order_id=order.pk,
        actor="staff",
        expected_version=order.version,
        exclude_location_ids=[net.berlin.pk],
        reason="Berlin reported a flooded aisle",
    )

    rerouted = order.events.get(type="order_rerouted")
    assert rerouted.data["reason"] == "Berlin reported a flooded aisle"
    assert not order.events.filter(type="reroute_unchanged").exists()
