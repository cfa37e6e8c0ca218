"""Fulfilment lifecycles: accept -> pick -> pack -> ship / pickup, rejections, short picks,
and the order state that follows from them. Stock and ledger are checked after every step."""

from __future__ import annotations

import pytest

from inventory.models import Location, Reservation, StockMovement
from inventory.selectors import stock_ledger_mismatches
from orders import services
from orders.errors import InvalidQuantity, TrackingRequired, TransitionNotAllowed
from orders.models import Fulfilment, FulfilmentState, Order, OrderState
from tests.factories import (
    TRACKING,
    LocationFactory,
    level_of,
    order_network,
    place_order,
    stock,
)

# sqlite_twin: also run on SQLite, the ORM twins of the hand-written SQL (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    return order_network(channel)


def _step(fulfilment: Fulfilment, *actions: str, **kwargs: str) -> None:
    for action in actions:
        services.fulfilment_transition(
            fulfilment_id=fulfilment.pk, action=action, actor="location", **kwargs
        )


def _levels(net, location: Location, product=None) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    level = level_of(location, product or net.shirt)
    return level.on_hand, level.reserved


def _types(order: Order) -> list[str]:
    return list(order.events.order_by("sequence").values_list("type", flat=True))


def _sequences_are_dense(order: Order) -> bool:
    order.refresh_from_db()
    sequences = list(order.events.order_by("sequence").values_list("sequence", flat=True))
    return sequences == list(range(1, order.event_count + 1))


def _open_reservations(order: Order) -> dict[int, int]:
    """location id -> units actively reserved for the order."""
    held: dict[int, int] = {}
    for res in Reservation.objects.filter(
        holder__startswith=f"order:{order.pk}/", status=Reservation.Status.ACTIVE
    ).select_related("stock_level"):
        held[res.stock_level.location_id] = held.get(res.stock_level.location_id, 0) + res.quantity
    return held


def test_ship_flow_consumes_the_reserved_stock_and_completes_the_order(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 10)
    order = place_order(net.channel, ("SHIRT", 3))
    fulfilment = order.fulfilments.get()
    assert _levels(net, net.berlin) == (10, 3)

    _step(fulfilment, "accept")
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS
    _step(fulfilment, "start_picking", "pack")
    assert _levels(net, net.berlin) == (10, 3)
    _step(fulfilment, "ship", carrier="DHL", tracking_number="00340434161234567890")

    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert fulfilment.state == FulfilmentState.SHIPPED
    assert (fulfilment.carrier, fulfilment.tracking_number) == ("DHL", "00340434161234567890")
    assert _levels(net, net.berlin) == (7, 0)
    reservation = fulfilment.lines.get().reservation
    assert reservation.status == Reservation.Status.CONSUMED
    shipment = StockMovement.objects.get(reservation=reservation, kind="shipment")
    assert (shipment.on_hand_delta, shipment.reserved_delta) == (-3, -3)
    assert order.state == OrderState.COMPLETED
    assert order.version == 5  # placed (1) + four transitions
    assert _types(order) == [
        "order_placed",
        "fulfilment_created",
        "order_routed",
        "fulfilment_accepted",
        "fulfilment_picking_started",
        "fulfilment_packed",
        "fulfilment_shipped",
        "order_completed",
    ]
    shipped = order.events.get(sequence=7).data
    assert shipped == {
        "fulfilment_id": fulfilment.pk,
        "location": "wh-berlin",
        "carrier": "DHL",
        "tracking_number": "00340434161234567890",
        "tracking_url": "",
    }
    assert _sequences_are_dense(order)
    assert stock_ledger_mismatches() == []


def test_split_order_completes_only_when_every_fulfilment_is_done(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 2)
    stock(net.munich, net.shirt, 3)
    order = place_order(net.channel, ("SHIRT", 5))
    at_berlin = order.fulfilments.get(location=net.berlin)
    at_munich = order.fulfilments.get(location=net.munich)

    _step(at_berlin, "accept", "pack")
    _step(at_berlin, "ship", **TRACKING["ship"])
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS
    assert _levels(net, net.berlin) == (0, 0)
    assert _levels(net, net.munich) == (3, 3)

    _step(at_munich, "accept", "start_picking", "pack")
    _step(at_munich, "ship", **TRACKING["ship"])
    order.refresh_from_db()
    assert order.state == OrderState.COMPLETED
    assert _levels(net, net.munich) == (0, 0)
    assert _types(order).count("order_completed") == 1
    assert _sequences_are_dense(order)
    assert stock_ledger_mismatches() == []


def test_click_and_collect_ready_for_pickup_then_picked_up(net):  # type: ignore[no-untyped-def]
    stock(net.store, net.shirt, 4)
    order = place_order(
        net.channel,
        ("SHIRT", 2),
        address={},
        delivery_type="click_collect",
        pickup_location_code="store-berlin",
    )
    fulfilment = order.fulfilments.get()

    _step(fulfilment, "accept", "pack", "ready_for_pickup")
    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert fulfilment.state == FulfilmentState.READY_FOR_PICKUP
    assert order.state == OrderState.IN_PROGRESS
    assert _levels(net, net.store) == (4, 2)  # at the counter, not yet handed over

    _step(fulfilment, "picked_up")
    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert fulfilment.state == FulfilmentState.PICKED_UP
    assert order.state == OrderState.COMPLETED
    assert _levels(net, net.store) == (2, 0)
    assert stock_ledger_mismatches() == []


def test_the_service_refuses_a_parcel_without_tracking(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 10)
    fulfilment = place_order(net.channel, ("SHIRT", 3)).fulfilments.get()
    _step(fulfilment, "accept", "pack")

    with pytest.raises(TrackingRequired) as info:
        _step(fulfilment, "ship", carrier="DHL")

    assert info.value.code == "tracking_required"
    assert info.value.details["missing"] == ["tracking_number"]
    fulfilment.refresh_from_db()
    assert fulfilment.state == FulfilmentState.PACKED
    assert _levels(net, net.berlin) == (10, 3)


def test_own_delivery_ships_without_tracking(net):  # type: ignore[no-untyped-def]
    net.berlin.own_delivery = True
    net.berlin.save(update_fields=["own_delivery"])
    stock(net.berlin, net.shirt, 10)
    fulfilment = place_order(net.channel, ("SHIRT", 3)).fulfilments.get()

    _step(fulfilment, "accept", "pack", "ship")

    fulfilment.refresh_from_db()
    assert fulfilment.state == FulfilmentState.SHIPPED
    assert _levels(net, net.berlin) == (7, 0)


def test_ship_is_refused_for_click_and_collect(net):  # type: ignore[no-untyped-def]
    stock(net.store, net.shirt, 4)
    order = place_order(
        net.channel,
        ("SHIRT", 1),
        address={},
        delivery_type="click_collect",
        pickup_location_code="store-berlin",
    )
    fulfilment = order.fulfilments.get()
    _step(fulfilment, "accept", "pack")
    order.refresh_from_db()
    version, events = order.version, order.event_count

    with pytest.raises(TransitionNotAllowed) as info:
        _step(fulfilment, "ship", carrier="DHL", tracking_number="1")

    assert (info.value.code, info.value.status) == ("transition_not_allowed", 409)
    assert info.value.details["state"] == "packed"
    assert info.value.details["allowed"] == ["cancel", "ready_for_pickup"]
    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert fulfilment.state == FulfilmentState.PACKED
    assert (order.version, order.event_count) == (version, events)
    assert _levels(net, net.store) == (4, 1)


def test_ready_for_pickup_is_refused_for_a_shipping_order(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 4)
    fulfilment = place_order(net.channel, ("SHIRT", 1)).fulfilments.get()
    _step(fulfilment, "accept", "pack")

    with pytest.raises(TransitionNotAllowed) as info:
        _step(fulfilment, "ready_for_pickup")

    assert info.value.code == "transition_not_allowed"
    assert info.value.details["allowed"] == ["cancel", "ship"]


@pytest.mark.parametrize(
    ("done", "action"),
    [((), "ship"), ((), "pack_twice"), (("accept", "pack"), "accept"), ((), "picked_up")],
)
def test_out_of_order_transitions_change_nothing(net, done, action):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 4)
    order = place_order(net.channel, ("SHIRT", 2))
    fulfilment = order.fulfilments.get()
    _step(fulfilment, *done)
    if action == "pack_twice":
        _step(fulfilment, "accept", "pack")
        action = "pack"
    fulfilment.refresh_from_db()
    state = fulfilment.state

    with pytest.raises(TransitionNotAllowed):
        _step(fulfilment, action, carrier="X", tracking_number="1")

    fulfilment.refresh_from_db()
    assert fulfilment.state == state
    assert _levels(net, net.berlin) == (4, 2)
    assert stock_ledger_mismatches() == []


def test_reject_reroutes_and_excludes_the_rejecting_location(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 3))
    rejected = order.fulfilments.get()
    assert rejected.location_id == net.berlin.pk
    old_reservation = rejected.lines.get().reservation

    services.fulfilment_reject(fulfilment_id=rejected.pk, reason="damaged", actor="wh-berlin")

    order.refresh_from_db()
    rejected.refresh_from_db()
    old_reservation.refresh_from_db()
    assert (rejected.state, rejected.rejection_reason) == (FulfilmentState.REJECTED, "damaged")
    assert old_reservation.status == Reservation.Status.RELEASED
    replacement = order.fulfilments.exclude(pk=rejected.pk).get()
    assert replacement.location_id == net.munich.pk
    assert replacement.state == FulfilmentState.CREATED
    assert _open_reservations(order) == {net.munich.pk: 3}
    assert _levels(net, net.berlin) == (5, 0)
    assert _levels(net, net.munich) == (5, 3)
    assert order.state == OrderState.ROUTED
    assert order.excluded_location_ids == [net.berlin.pk]
    assert _types(order)[3:] == ["fulfilment_rejected", "fulfilment_created", "order_rerouted"]
    rerouted = order.events.get(type="order_rerouted").data
    assert (rerouted["trigger"], rerouted["complete"]) == ("rejection", True)
    assert order.events.filter(type="fulfilment_created").last().data["trigger"] == "rejection"

    # Munich rejects too: Berlin still has the stock but stays excluded, so the order waits.
    services.fulfilment_reject(fulfilment_id=replacement.pk, reason="no staff", actor="wh-munich")
    order.refresh_from_db()
    assert order.state == OrderState.WAITING
    assert order.waiting_since is not None
    assert sorted(order.excluded_location_ids) == sorted([net.berlin.pk, net.munich.pk])
    assert _open_reservations(order) == {}
    assert _levels(net, net.berlin) == (5, 0)
    assert _levels(net, net.munich) == (5, 0)
    assert _types(order)[-1] == "order_waiting"
    assert _sequences_are_dense(order)
    assert stock_ledger_mismatches() == []


def test_reject_without_alternative_leaves_the_remainder_waiting(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 2)
    stock(net.munich, net.shirt, 3)
    order = place_order(net.channel, ("SHIRT", 5))
    at_berlin = order.fulfilments.get(location=net.berlin)
    at_munich = order.fulfilments.get(location=net.munich)
    services.fulfilment_transition(fulfilment_id=at_munich.pk, action="accept", actor="x")

    services.fulfilment_reject(fulfilment_id=at_berlin.pk, reason="not found", actor="wh-berlin")

    order.refresh_from_db()
    assert order.state == OrderState.WAITING
    # Munich keeps what it holds; Berlin's 2 units wait for stock elsewhere.
    assert _open_reservations(order) == {net.munich.pk: 3}
    assert _levels(net, net.berlin) == (2, 0)
    waiting = order.events.filter(type="order_waiting").get().data
    assert waiting == {"lines": [{"line": 1, "sku": "SHIRT", "missing": 2}], "reasons": []}
    rerouted = order.events.get(type="order_rerouted").data
    assert rerouted["complete"] is False

    # Stock arrives at a new location: the waiting room routes the remainder.
    hamburg = LocationFactory(code="wh-hamburg", channels=[net.channel])
    stock(hamburg, net.shirt, 2)
    result = services.waiting_room_process()
    assert result["routed"] == 1
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS  # Munich had accepted already
    assert _open_reservations(order) == {net.munich.pk: 3, hamburg.pk: 2}
    assert _sequences_are_dense(order)
    assert stock_ledger_mismatches() == []


def test_short_pick_writes_off_and_reroutes_the_missing_units(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 3))
    at_berlin = order.fulfilments.get()
    line = order.lines.get()
    _step(at_berlin, "accept", "start_picking")

    services.fulfilment_short_pick(fulfilment_id=at_berlin.pk, missing={line.pk: 1}, actor="wh")

    order.refresh_from_db()
    at_berlin.refresh_from_db()
    assert at_berlin.state == FulfilmentState.PICKING
    assert at_berlin.lines.get().quantity == 2
    assert at_berlin.lines.get().reservation.quantity == 2
    # One unit written off Berlin's on hand (it is not there), two still reserved.
    assert _levels(net, net.berlin) == (4, 2)
    write_off = StockMovement.objects.get(kind="adjustment", on_hand_delta=-1)
    assert write_off.stock_level == level_of(net.berlin, net.shirt)
    at_munich = order.fulfilments.get(location=net.munich)
    assert [fl.quantity for fl in at_munich.lines.all()] == [1]
    assert _open_reservations(order) == {net.berlin.pk: 2, net.munich.pk: 1}
    assert order.excluded_location_ids == [net.berlin.pk]
    short = order.events.get(type="fulfilment_short_picked").data
    assert short["missing"] == [{"line": 1, "sku": "SHIRT", "quantity": 1}]
    assert _types(order)[-2:] == ["fulfilment_created", "order_rerouted"]

    _step(at_berlin, "pack", "ship", carrier="DHL", tracking_number="1")
    _step(at_munich, "accept", "pack", "ship", carrier="DHL", tracking_number="2")
    order.refresh_from_db()
    assert order.state == OrderState.COMPLETED
    assert _levels(net, net.berlin) == (2, 0)
    assert _levels(net, net.munich) == (4, 0)
    assert _sequences_are_dense(order)
    assert stock_ledger_mismatches() == []


def test_short_pick_of_every_unit_cancels_the_fulfilment(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 2))
    at_berlin = order.fulfilments.get()
    line = order.lines.get()

    services.fulfilment_short_pick(
        fulfilment_id=at_berlin.pk, missing={line.pk: 2}, actor="wh", adjust_stock=False
    )

    at_berlin.refresh_from_db()
    assert at_berlin.state == FulfilmentState.CANCELLED
    assert _levels(net, net.berlin) == (5, 0)  # adjust_stock=False: on hand untouched
    assert _open_reservations(order) == {net.munich.pk: 2}
    order.refresh_from_db()
    assert order.state == OrderState.ROUTED
    assert stock_ledger_mismatches() == []


def test_short_pick_without_any_alternative_parks_the_order(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 3)
    order = place_order(net.channel, ("SHIRT", 3))
    at_berlin = order.fulfilments.get()

    services.fulfilment_short_pick(
        fulfilment_id=at_berlin.pk, missing={order.lines.get().pk: 1}, actor="wh"
    )

    order.refresh_from_db()
    assert order.state == OrderState.WAITING
    assert _levels(net, net.berlin) == (2, 2)
    assert _open_reservations(order) == {net.berlin.pk: 2}
    assert stock_ledger_mismatches() == []


@pytest.mark.parametrize("missing", [0, -1, 4])
def test_short_pick_of_an_impossible_quantity_is_refused(net, missing):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 3))
    fulfilment = order.fulfilments.get()

    with pytest.raises(InvalidQuantity) as info:
        services.fulfilment_short_pick(
            fulfilment_id=fulfilment.pk, missing={order.lines.get().pk: missing}, actor="wh"
        )

    assert (info.value.code, info.value.status) == ("invalid_quantity", 422)
    assert _levels(net, net.berlin) == (5, 3)
    assert fulfilment.lines.get().quantity == 3


def test_short_pick_after_packing_is_refused(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 3))
    fulfilment = order.fulfilments.get()
    _step(fulfilment, "accept", "pack")

    with pytest.raises(TransitionNotAllowed) as info:
        services.fulfilment_short_pick(
            fulfilment_id=fulfilment.pk, missing={order.lines.get().pk: 1}, actor="wh"
        )

    assert info.value.details["action"] == "short_pick"
    assert _levels(net, net.berlin) == (5, 3)


def test_reject_after_packing_is_refused(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.shirt, 5)
    fulfilment = place_order(net.channel, ("SHIRT", 1)).fulfilments.get()
    _step(fulfilment, "accept", "pack")

    with pytest.raises(TransitionNotAllowed):
        services.fulfilment_reject(fulfilment_id=fulfilment.pk, reason="late", actor="wh")

    assert _levels(net, net.berlin) == (5, 1)
    assert _levels(net, net.munich) == (5, 0)


def test_order_completes_when_the_remaining_fulfilments_are_done(net):  # type: ignore[no-untyped-def]
    # A rejected part does not count: the order completes when the live ones are done.
    hamburg = LocationFactory(code="wh-hamburg", channels=[net.channel], latitude=53.55)
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.mug, 5)
    stock(hamburg, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 1), ("MUG", 1))
    at_berlin = order.fulfilments.get(location=net.berlin)
    at_munich = order.fulfilments.get(location=net.munich)
    _step(at_munich, "accept", "pack", "ship", carrier="UPS", tracking_number="1Z1")
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS

    services.fulfilment_reject(fulfilment_id=at_berlin.pk, reason="closed", actor="wh")
    at_hamburg = order.fulfilments.get(location=hamburg)
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS
    _step(at_hamburg, "accept", "pack", "ship", carrier="UPS", tracking_number="1Z2")

    order.refresh_from_db()
    assert order.state == OrderState.COMPLETED
    assert _open_reservations(order) == {}
    assert _levels(net, hamburg) == (4, 0)
    assert _levels(net, net.berlin) == (5, 0)
    assert _types(order)[-1] == "order_completed"
    assert _sequences_are_dense(order)
    assert stock_ledger_mismatches() == []


def _click_collect_order(net, qty: int) -> Order:  # type: ignore[no-untyped-def]
    return place_order(
        net.channel,
        ("SHIRT", qty),
        address={},
        delivery_type="click_collect",
        pickup_location_code="store-berlin",
    )


def test_short_pick_at_the_pickup_store_transfers_the_missing_units(net):  # type: ignore[no-untyped-def]
    # Regression: the pickup store excluded itself, so the order waited forever.
    from routing.models import RoutingStrategy, StrategyVersion

    StrategyVersion.objects.create(
        strategy=RoutingStrategy.objects.create(name="cc-transfers"),
        number=1,
        status=StrategyVersion.Status.ACTIVE,
        allow_transfer_to_pickup=True,
    )
    stock(net.store, net.shirt, 3)
    stock(net.berlin, net.shirt, 5)
    order = _click_collect_order(net, 3)
    at_store = order.fulfilments.get()

    services.fulfilment_short_pick(
        fulfilment_id=at_store.pk, missing={order.lines.get().pk: 1}, actor="store"
    )

    order.refresh_from_db()
    assert order.state == OrderState.ROUTED
    assert order.excluded_location_ids == []
    transfer = order.fulfilments.get(location=net.berlin)
    assert (transfer.transfer_to_id, transfer.lines.get().quantity) == (net.store.pk, 1)
    assert _open_reservations(order) == {net.store.pk: 2, net.berlin.pk: 1}
    assert _levels(net, net.store) == (2, 2)
    assert stock_ledger_mismatches() == []


def test_short_pick_at_the_pickup_store_waits_for_its_restock(net):  # type: ignore[no-untyped-def]
    stock(net.store, net.shirt, 3)
    stock(net.berlin, net.shirt, 5)  # no transfers in the default strategy
    order = _click_collect_order(net, 3)
    at_store = order.fulfilments.get()

    services.fulfilment_short_pick(
        fulfilment_id=at_store.pk, missing={order.lines.get().pk: 1}, actor="store"
    )
    order.refresh_from_db()
    assert order.state == OrderState.WAITING
    assert _open_reservations(order) == {net.store.pk: 2}

    stock(net.store, net.shirt, 1)
    assert services.waiting_room_process()["routed"] == 1
    order.refresh_from_db()
    assert order.state == OrderState.ROUTED
    assert _open_reservations(order) == {net.store.pk: 3}
    assert stock_ledger_mismatches() == []
