"""Raising a line's quantity: a location already fulfilling the order that has not started
picking takes the extra units into its fulfilment (one parcel), instead of a second one."""

from __future__ import annotations

import pytest

from inventory.selectors import stock_ledger_mismatches
from orders import services
from orders.models import Fulfilment, FulfilmentState
from tests.factories import BERLIN, MUNICH, level_of, order_network, place_order, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    network = order_network(channel)
    stock(network.berlin, network.shirt, 10)
    stock(network.munich, network.shirt, 10)
    return network


def _raise(order, quantity):  # type: ignore[no-untyped-def]
    order.refresh_from_db()
    line = order.lines.get()
    return services.order_line_set_quantity(
        order_id=order.pk,
        line_id=line.pk,
        quantity=quantity,
        actor="staff",
        expected_version=order.version,
    )


def _live(order):  # type: ignore[no-untyped-def]
    return list(
        order.fulfilments.exclude(
            state__in=[FulfilmentState.CANCELLED, FulfilmentState.REJECTED]
        ).order_by("pk")
    )


@pytest.mark.parametrize("accepted", [False, True])
def test_more_units_join_the_unpicked_fulfilment(net, accepted):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 2), address=BERLIN)
    fulfilment = order.fulfilments.get()
    if accepted:
        services.fulfilment_transition(fulfilment_id=fulfilment.pk, action="accept", actor="wh")

    order = _raise(order, 5)

    assert [f.pk for f in _live(order)] == [fulfilment.pk]
    fulfilment.refresh_from_db()
    assert fulfilment.state == (FulfilmentState.ACCEPTED if accepted else FulfilmentState.CREATED)
    assert sum(fulfilment.lines.values_list("quantity", flat=True)) == 5
    assert level_of(net.berlin, net.shirt).reserved == 5
    assert level_of(net.munich, net.shirt).reserved == 0
    extended = order.events.get(type="fulfilment_extended").data
    assert extended["fulfilment_id"] == fulfilment.pk
    assert extended["location"] == "wh-berlin"
    assert extended["lines"] == [{"line": 1, "sku": "SHIRT", "quantity": 3}]
    assert order.events.filter(type="fulfilment_created").count() == 1
    assert stock_ledger_mismatches() == []


def test_the_existing_parcel_wins_over_a_nearer_location(net):  # type: ignore[no-untyped-def]
    """Placed in Munich while only Berlin had stock; Munich has stock now and is nearer, but
    another parcel from Munich would cost a second shipment: Berlin's fulfilment grows."""
    stock(net.munich, net.shirt, -10)
    order = place_order(net.channel, ("SHIRT", 1), address=MUNICH)
    fulfilment = order.fulfilments.get()
    assert fulfilment.location == net.berlin
    stock(net.munich, net.shirt, 10)

    order = _raise(order, 2)

    assert [f.pk for f in _live(order)] == [fulfilment.pk]
    assert level_of(net.berlin, net.shirt).reserved == 2
    assert level_of(net.munich, net.shirt).reserved == 0


def test_a_fulfilment_being_picked_is_not_extended(net):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 2), address=BERLIN)
    fulfilment = order.fulfilments.get()
    for action in ("accept", "start_picking"):
        services.fulfilment_transition(fulfilment_id=fulfilment.pk, action=action, actor="wh")

    order = _raise(order, 3)

    live = _live(order)
    assert len(live) == 2 and live[0].pk == fulfilment.pk
    assert sum(fulfilment.lines.values_list("quantity", flat=True)) == 2
    assert sum(live[1].lines.values_list("quantity", flat=True)) == 1
    assert not order.events.filter(type="fulfilment_extended").exists()
    assert stock_ledger_mismatches() == []


def test_a_location_without_the_stock_is_not_extended(net):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 8), address=BERLIN)
    fulfilment = order.fulfilments.get()

    order = _raise(order, 12)

    live = _live(order)
    assert [f.location_id for f in live] == [net.berlin.pk, net.munich.pk]
    assert sum(fulfilment.lines.values_list("quantity", flat=True)) == 8
    assert Fulfilment.objects.get(pk=live[1].pk).lines.get().quantity == 4
    assert (level_of(net.berlin, net.shirt).reserved, level_of(net.munich, net.shirt).reserved) == (
        8,
        4,
    )
    assert stock_ledger_mismatches() == []
