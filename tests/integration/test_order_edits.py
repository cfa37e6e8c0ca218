"""Staff and shop edits after placement: addresses, customer, delivery option, quantities,
cancellations, staff reroutes; optimistic concurrency and refusals that change nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.errors import InsufficientStock
from inventory.models import Location, Reservation
from inventory.selectors import stock_ledger_mismatches
from oms.errors import OMSError, PreconditionFailed
from oms.models import Channel
from orders import services
from orders.errors import AlreadyHandedOver, OrderClosed
from orders.models import Fulfilment, FulfilmentState, Order, OrderLine, OrderState
from tests.factories import (
    BERLIN,
    MUNICH,
    PARIS,
    TRACKING,
    level_of,
    order_network,
    place_order,
    stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    return order_network(channel, with_paris=True)


def _held(order: Order) -> dict[str, int]:
    """location code -> units actively reserved for the order."""
    held: dict[str, int] = {}
    for res in Reservation.objects.filter(
        holder__startswith=f"order:{order.pk}/", status=Reservation.Status.ACTIVE
    ).select_related("stock_level__location"):
        code = res.stock_level.location.code
        held[code] = held.get(code, 0) + res.quantity
    return held


def _live(order: Order) -> list[tuple[str, str]]:
    return sorted(
        order.fulfilments.exclude(
            state__in=[FulfilmentState.CANCELLED, FulfilmentState.REJECTED]
        ).values_list("location__code", "state")
    )


def _types(order: Order) -> list[str]:
    return list(order.events.order_by("sequence").values_list("type", flat=True))


def _snapshot(order: Order) -> tuple:  # type: ignore[type-arg]
    """Everything an edit may change: refused edits must leave it exactly as it was."""
    order.refresh_from_db()
    return (
        order.version,
        order.event_count,
        order.state,
        order.shipping_address,
        order.delivery_type,
        order.pickup_location_id,
        list(order.lines.values_list("quantity", "cancelled_quantity")),
        sorted(order.fulfilments.values_list("pk", "state")),
        _held(order),
        order.events.count(),
    )


def _refused(order: Order, error: type[OMSError], edit, **kwargs) -> OMSError:  # type: ignore[no-untyped-def]
    before = _snapshot(order)
    with pytest.raises(error) as info:
        edit(order_id=order.pk, actor="staff", **kwargs)
    assert _snapshot(order) == before
    assert stock_ledger_mismatches() == []
    return info.value


def _ship(order: Order, location: Location) -> None:
    fulfilment = order.fulfilments.get(location=location, state=FulfilmentState.CREATED)
    for action in ("accept", "pack", "ship"):
        services.fulfilment_transition(
            fulfilment_id=fulfilment.pk, action=action, actor="wh", **TRACKING.get(action, {})
        )


def test_address_change_in_the_same_country_does_not_reroute(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 2), address=BERLIN)
    fulfilment = order.fulfilments.get()
    new_address = {**MUNICH, "name": "Erika Mustermann"}

    services.order_update_details(
        order_id=order.pk, actor="staff", expected_version=1, shipping_address=new_address
    )

    order.refresh_from_db()
    assert order.version == 2
    assert order.shipping_address == new_address
    assert list(order.fulfilments.values_list("pk", "state")) == [
        (fulfilment.pk, FulfilmentState.CREATED)
    ]
    assert _held(order) == {"wh-berlin": 2}
    event = order.events.get(type="address_changed")
    assert (event.sequence, event.actor) == (4, "staff")
    assert event.data == {"kind": "shipping", "before": BERLIN, "after": new_address}
    assert stock_ledger_mismatches() == []


def test_address_change_to_a_new_country_reroutes(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.paris, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 2), address=BERLIN)
    old = order.fulfilments.get()

    services.order_update_details(
        order_id=order.pk, actor="staff", expected_version=1, shipping_address=PARIS
    )

    order.refresh_from_db()
    old.refresh_from_db()
    assert order.shipping_country == "FR"
    assert old.state == FulfilmentState.CANCELLED
    assert _live(order) == [("wh-paris", "created")]
    assert _held(order) == {"wh-paris": 2}
    assert level_of(net.berlin, net.shirt).reserved == 0
    assert _types(order)[3:] == [
        "address_changed",
        "fulfilment_cancelled",
        "fulfilment_created",
        "order_rerouted",
    ]
    assert order.state == OrderState.ROUTED
    assert stock_ledger_mismatches() == []


def test_address_change_to_an_unserved_country_changes_nothing(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 2))

    error = _refused(
        order,
        InsufficientStock,
        services.order_update_details,
        expected_version=1,
        shipping_address={
            "street": "Via del Corso 1",
            "postal_code": "00186",
            "city": "Roma",
            "country": "IT",
        },
    )

    assert error.code == "out_of_stock"
    assert error.details["lines"] == [{"line": 1, "sku": "SHIRT", "missing": 2}]


def test_waiting_order_can_move_to_another_country(net):  # type: ignore[no-untyped-def]
    # Regression: the reroute refused (409) because the waiting order could not be routed
    # completely - which is why it was waiting in the first place.
    net.channel.unroutable_policy = Channel.UnroutablePolicy.WAIT
    net.channel.save()
    order = place_order(net.channel, ("SHIRT", 2), address=BERLIN)
    assert order.state == OrderState.WAITING

    services.order_update_details(
        order_id=order.pk, actor="staff", expected_version=1, shipping_address=PARIS
    )

    order.refresh_from_db()
    assert (order.state, order.shipping_country, order.version) == ("waiting", "FR", 2)
    assert _held(order) == {}
    stock(net.paris, net.shirt, 2)
    assert services.waiting_room_process()["routed"] == 1
    order.refresh_from_db()
    assert order.state == OrderState.ROUTED
    assert _held(order) == {"wh-paris": 2}


def test_customer_change_records_before_and_after(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    order = place_order(
        net.channel, ("SHIRT", 1), customer_email="old@example.com", customer_name="Old Name"
    )

    services.order_update_details(
        order_id=order.pk,
        actor="staff",
        expected_version=1,
        customer={"email": "new@example.com", "phone": "+49 30 1234"},
    )

    order.refresh_from_db()
    assert (order.customer_email, order.customer_name, order.customer_phone) == (
        "new@example.com",
        "Old Name",
        "+49 30 1234",
    )
    assert order.events.get(type="customer_changed").data == {
        "before": {
            "customer_email": "old@example.com",
            "customer_name": "Old Name",
            "customer_phone": "",
        },
        "after": {
            "customer_email": "new@example.com",
            "customer_name": "Old Name",
            "customer_phone": "+49 30 1234",
        },
    }
    assert _held(order) == {"wh-berlin": 1}
    # The same values again change nothing: no event, no new version.
    services.order_update_details(
        order_id=order.pk, actor="staff", expected_version=2, customer={"email": "new@example.com"}
    )
    order.refresh_from_db()
    assert (order.version, order.events.filter(type="customer_changed").count()) == (2, 1)


def test_delivery_change_ship_to_click_and_collect_and_back(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.store, net.shirt, 3)
    order = place_order(net.channel, ("SHIRT", 2), address=BERLIN)
    assert _held(order) == {"wh-berlin": 2}

    services.order_change_delivery(
        order_id=order.pk,
        actor="staff",
        expected_version=1,
        delivery_type="click_collect",
        pickup_location_code="store-berlin",
    )

    order.refresh_from_db()
    assert (order.delivery_type, order.pickup_location_id) == ("click_collect", net.store.pk)
    assert _live(order) == [("store-berlin", "created")]
    assert _held(order) == {"store-berlin": 2}
    assert order.events.get(type="delivery_option_changed").data == {
        "before": {"delivery_type": "ship", "pickup_location": None},
        "after": {"delivery_type": "click_collect", "pickup_location": "store-berlin"},
    }

    services.order_change_delivery(
        order_id=order.pk,
        actor="staff",
        expected_version=2,
        delivery_type="ship",
        shipping_address=MUNICH,
    )

    order.refresh_from_db()
    assert (order.delivery_type, order.pickup_location_id) == ("ship", None)
    assert order.shipping_address == MUNICH
    assert _live(order) == [("wh-berlin", "created")]  # the store does not ship
    assert _held(order) == {"wh-berlin": 2}
    assert level_of(net.store, net.shirt).reserved == 0
    assert order.version == 3
    assert stock_ledger_mismatches() == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (
            {"delivery_type": "click_collect", "pickup_location_code": "wh-berlin"},
            "pickup_location_invalid",
        ),
        (
            {"delivery_type": "click_collect", "pickup_location_code": "store-berlin"},
            "out_of_stock",
        ),
        ({"delivery_type": "drone"}, "invalid_delivery_type"),
    ],
)
def test_delivery_change_that_cannot_be_served_changes_nothing(net, kwargs, code):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.store, net.shirt, 1)
    order = place_order(net.channel, ("SHIRT", 2))

    error = _refused(order, OMSError, services.order_change_delivery, expected_version=1, **kwargs)

    assert error.code == code


def test_quantity_up_routes_the_extra_units(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 3)
    stock(net.munich, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 2))
    line = order.lines.get()

    services.order_line_set_quantity(
        order_id=order.pk, line_id=line.pk, quantity=6, actor="staff", expected_version=1
    )

    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.quantity, line.cancelled_quantity) == (6, 0)
    assert _held(order) == {"wh-berlin": 2, "wh-munich": 4}
    assert level_of(net.berlin, net.shirt).reserved == 2
    assert order.events.get(type="line_quantity_changed").data == {
        "line": 1,
        "sku": "SHIRT",
        "before": 2,
        "after": 6,
    }
    assert order.state == OrderState.ROUTED
    assert stock_ledger_mismatches() == []


def test_quantity_up_without_stock_changes_nothing(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 3)
    order = place_order(net.channel, ("SHIRT", 2))
    line = order.lines.get()

    error = _refused(
        order,
        InsufficientStock,
        services.order_line_set_quantity,
        line_id=line.pk,
        quantity=5,
        expected_version=1,
    )

    assert (error.code, error.status) == ("out_of_stock", 409)
    assert error.details == {"lines": [{"line": 1, "sku": "SHIRT", "missing": 3}]}
    assert level_of(net.berlin, net.shirt).reserved == 2


def test_quantity_down_releases_the_difference(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 4), ("SHIRT", 1))
    first, second = order.lines.order_by("line_number")

    services.order_line_set_quantity(
        order_id=order.pk, line_id=first.pk, quantity=1, actor="staff", expected_version=1
    )

    first.refresh_from_db()
    assert (first.quantity, first.cancelled_quantity, first.open_quantity) == (4, 3, 1)
    assert level_of(net.berlin, net.shirt).reserved == 2
    assert _held(order) == {"wh-berlin": 2}
    reservation = first.fulfilment_lines.get().reservation
    assert (reservation.quantity, reservation.status) == (1, Reservation.Status.ACTIVE)
    order.refresh_from_db()
    assert order.state == OrderState.ROUTED
    assert stock_ledger_mismatches() == []


def test_line_cancel_releases_its_stock_and_keeps_the_rest(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.berlin, net.mug, 5)
    order = place_order(net.channel, ("SHIRT", 2), ("MUG", 3))
    mug_line = order.lines.get(sku="MUG")

    services.order_line_cancel(
        order_id=order.pk, line_id=mug_line.pk, actor="staff", expected_version=1, reason="oos"
    )

    order.refresh_from_db()
    mug_line.refresh_from_db()
    assert mug_line.cancelled_quantity == 3
    assert level_of(net.berlin, net.mug).reserved == 0
    assert level_of(net.berlin, net.shirt).reserved == 2
    assert order.state == OrderState.ROUTED
    assert order.fulfilments.get().lines.count() == 1
    assert order.events.get(type="line_cancelled").data == {
        "line": 2,
        "sku": "MUG",
        "quantity": 3,
        "reason": "oos",
    }
    assert stock_ledger_mismatches() == []


def test_partial_line_cancel_takes_the_newest_fulfilment_first(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 2)
    stock(net.munich, net.shirt, 3)
    order = place_order(net.channel, ("SHIRT", 5))
    line = order.lines.get()
    older, newer = order.fulfilments.order_by("pk")
    older_units = older.lines.get().quantity

    services.order_line_cancel(
        order_id=order.pk, line_id=line.pk, actor="staff", expected_version=1, quantity=4
    )

    order.refresh_from_db()
    newer.refresh_from_db()
    assert order.lines.get().open_quantity == 1
    assert newer.state == FulfilmentState.CANCELLED  # emptied first, then cancelled
    assert _live(order) == [(older.location.code, "created")]
    assert _held(order) == {older.location.code: 1}
    assert older.lines.get().quantity == 1 < older_units
    assert level_of(net.berlin, net.shirt).reserved + level_of(net.munich, net.shirt).reserved == 1
    assert stock_ledger_mismatches() == []


def test_cancelling_every_line_cancels_the_order(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.berlin, net.mug, 5)
    order = place_order(net.channel, ("SHIRT", 2), ("MUG", 1))
    shirt, mug = order.lines.order_by("line_number")

    services.order_line_cancel(order_id=order.pk, line_id=shirt.pk, actor="s", expected_version=1)
    services.order_line_set_quantity(
        order_id=order.pk, line_id=mug.pk, quantity=0, actor="s", expected_version=2
    )

    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert order.cancel_reason == "all lines cancelled"
    assert list(order.fulfilments.values_list("state", flat=True)) == ["cancelled"]
    assert _held(order) == {}
    assert level_of(net.berlin, net.shirt).reserved == level_of(net.berlin, net.mug).reserved == 0
    assert _types(order)[-1] == "order_cancelled"
    assert stock_ledger_mismatches() == []


def test_whole_order_cancel_releases_everything(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 2)
    stock(net.munich, net.shirt, 3)
    order = place_order(net.channel, ("SHIRT", 5))
    services.fulfilment_transition(
        fulfilment_id=order.fulfilments.get(location=net.munich).pk, action="accept", actor="wh"
    )

    services.order_cancel(order_id=order.pk, actor="staff", expected_version=2, reason="fraud")

    order.refresh_from_db()
    assert (order.state, order.cancel_reason, order.version) == ("cancelled", "fraud", 3)
    assert set(order.fulfilments.values_list("state", flat=True)) == {"cancelled"}
    assert list(order.lines.values_list("quantity", "cancelled_quantity")) == [(5, 5)]
    assert _held(order) == {}
    assert level_of(net.berlin, net.shirt).reserved == level_of(net.munich, net.shirt).reserved == 0
    assert order.events.get(type="order_cancelled").data == {"reason": "fraud"}
    assert stock_ledger_mismatches() == []


def test_cancel_of_a_waiting_order(net):  # type: ignore[no-untyped-def]
    net.channel.unroutable_policy = Channel.UnroutablePolicy.WAIT
    net.channel.save()
    order = place_order(net.channel, ("SHIRT", 2))

    services.order_cancel(order_id=order.pk, actor="staff", expected_version=1)

    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    stock(net.berlin, net.shirt, 5)
    assert services.waiting_room_process()["tried"] == 0


def test_cancel_and_edits_after_shipping_are_refused(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 2)
    stock(net.munich, net.shirt, 3)
    order = place_order(net.channel, ("SHIRT", 5))
    _ship(order, net.berlin)
    order.refresh_from_db()
    version = order.version
    line = order.lines.get()

    cancel = _refused(order, AlreadyHandedOver, services.order_cancel, expected_version=version)
    assert (cancel.code, cancel.status) == ("already_shipped", 409)
    address = _refused(
        order,
        AlreadyHandedOver,
        services.order_update_details,
        expected_version=version,
        shipping_address=MUNICH,
    )
    assert address.code == "already_shipped"
    delivery = _refused(
        order,
        AlreadyHandedOver,
        services.order_change_delivery,
        expected_version=version,
        delivery_type="click_collect",
        pickup_location_code="store-berlin",
    )
    assert delivery.code == "already_shipped"
    # Only the 3 unshipped units can be cancelled.
    too_many = _refused(
        order,
        AlreadyHandedOver,
        services.order_line_cancel,
        expected_version=version,
        line_id=line.pk,
        quantity=4,
    )
    assert too_many.details == {"line": 1, "cancellable": 3}

    services.order_line_cancel(
        order_id=order.pk, line_id=line.pk, actor="staff", expected_version=version, quantity=3
    )
    order.refresh_from_db()
    assert order.state == OrderState.COMPLETED  # what is left has shipped
    assert _held(order) == {}
    assert stock_ledger_mismatches() == []


def test_staff_reroute_excluding_a_location(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 2))

    services.order_reroute(
        order_id=order.pk, actor="staff", expected_version=1, exclude_location_ids=[net.berlin.pk]
    )

    order.refresh_from_db()
    assert _live(order) == [("wh-munich", "created")]
    assert _held(order) == {"wh-munich": 2}
    assert order.excluded_location_ids == [net.berlin.pk]
    assert level_of(net.berlin, net.shirt).reserved == 0
    # One reroute, one event of the one shape (a staff reroute used to write two).
    rerouted = order.events.get(type="order_rerouted").data
    munich = order.fulfilments.get(location=net.munich).pk
    assert rerouted == {
        "trigger": "staff",
        "fulfilments": [munich],
        "complete": True,
        "reasons": [],
        "excluded": [net.berlin.pk],
        "forced": None,
        "reason": "",
    }
    assert stock_ledger_mismatches() == []


def test_staff_reroute_forcing_a_location(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 2))

    services.order_reroute(
        order_id=order.pk, actor="staff", expected_version=1, force_location_id=net.munich.pk
    )

    order.refresh_from_db()
    assert _live(order) == [("wh-munich", "created")]
    assert _held(order) == {"wh-munich": 2}
    # Forcing a location back in lifts its exclusion.
    services.order_reroute(
        order_id=order.pk, actor="staff", expected_version=2, exclude_location_ids=[net.munich.pk]
    )
    services.order_reroute(
        order_id=order.pk, actor="staff", expected_version=3, force_location_id=net.munich.pk
    )
    order.refresh_from_db()
    assert order.excluded_location_ids == []
    assert _held(order) == {"wh-munich": 2}
    assert stock_ledger_mismatches() == []


def test_staff_reroute_forcing_a_location_without_stock_changes_nothing(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.shirt, 1)
    order = place_order(net.channel, ("SHIRT", 2))

    error = _refused(
        order,
        InsufficientStock,
        services.order_reroute,
        expected_version=1,
        force_location_id=net.munich.pk,
    )

    assert error.code == "out_of_stock"
    assert error.details == {
        "lines": [{"line": 1, "sku": "SHIRT", "missing": 1}],
        "reasons": ["insufficient_stock"],
    }


EDITS = {
    "details": (services.order_update_details, {"customer": {"name": "X"}}),
    "delivery": (services.order_change_delivery, {"delivery_type": "ship"}),
    "quantity": (services.order_line_set_quantity, {"quantity": 1}),
    "line_cancel": (services.order_line_cancel, {}),
    "cancel": (services.order_cancel, {}),
    "reroute": (services.order_reroute, {}),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_stale_version_is_refused(net, edit):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 2))
    services.order_update_details(
        order_id=order.pk, actor="other", expected_version=1, customer={"name": "First"}
    )
    function, kwargs = EDITS[edit]
    if edit in ("quantity", "line_cancel"):
        kwargs = {**kwargs, "line_id": order.lines.get().pk}

    error = _refused(order, PreconditionFailed, function, expected_version=1, **kwargs)

    assert (error.code, error.status) == ("precondition_failed", 412)
    assert error.details == {"current_version": 2, "your_version": 1}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_edits_on_a_cancelled_order_are_refused(net, edit):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 2))
    services.order_cancel(order_id=order.pk, actor="staff", expected_version=1)
    function, kwargs = EDITS[edit]
    if edit in ("quantity", "line_cancel"):
        kwargs = {**kwargs, "line_id": order.lines.get().pk}

    error = _refused(order, OrderClosed, function, expected_version=2, **kwargs)

    assert (error.code, error.status) == ("order_closed", 409)
    assert level_of(net.berlin, net.shirt).reserved == 0


def test_edits_of_another_channels_order_are_not_found(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 2))
    other = Channel.objects.create(code="other", name="Other")

    error = _refused(
        order,
        OMSError,
        services.order_cancel,
        expected_version=1,
        channel_id=other.pk,
    )

    assert (error.code, error.status) == ("order_not_found", 404)
    assert not OrderLine.objects.filter(cancelled_quantity__gt=0).exists()
    assert Fulfilment.objects.filter(state="cancelled").count() == 0


def test_line_edits_recompute_the_totals_and_record_the_difference(net):  # type: ignore[no-untyped-def]
    from orders.console import describe_event

    stock(net.berlin, net.shirt, 10)
    stock(net.berlin, net.mug, 10)
    order = place_order(
        net.channel, ("SHIRT", 2, "10.00"), ("MUG", 3, "4.50"), shipping_total=Decimal("4.90")
    )
    assert (order.subtotal, order.total) == (Decimal("33.50"), Decimal("38.40"))
    shirt, mug = order.lines.order_by("line_number")

    services.order_line_cancel(order_id=order.pk, line_id=mug.pk, actor="staff", expected_version=1)
    services.order_line_set_quantity(
        order_id=order.pk, line_id=shirt.pk, quantity=5, actor="staff", expected_version=2
    )

    order.refresh_from_db()
    assert (order.subtotal, order.total) == (Decimal("50.00"), Decimal("54.90"))
    changes = list(order.events.filter(type="totals_changed").order_by("sequence"))
    assert [e.data["difference"] for e in changes] == ["-13.50", "30.00"]
    assert changes[0].data["before"] == {"subtotal": "33.50", "total": "38.40"}
    assert changes[0].data["after"] == {"subtotal": "20.00", "total": "24.90"}
    assert describe_event(changes[1]) == (
        "Totals changed: total 24.90 \u2192 54.90 EUR (difference 30.00)"
    )


def test_shipped_units_stay_in_the_totals(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 10)
    stock(net.munich, net.mug, 10)
    order = place_order(net.channel, ("SHIRT", 1, "10.00"), ("MUG", 2, "5.00"))
    shirt_fulfilment = order.fulfilments.get(location=net.berlin)
    for action in ("accept", "start_picking", "pack", "ship"):
        services.fulfilment_transition(
            fulfilment_id=shirt_fulfilment.pk,
            action=action,
            actor="store",
            **TRACKING.get(action, {}),
        )
    order.refresh_from_db()
    mug = order.lines.get(sku="MUG")

    services.order_line_cancel(
        order_id=order.pk, line_id=mug.pk, actor="staff", expected_version=order.version
    )

    order.refresh_from_db()
    assert (order.subtotal, order.total) == (Decimal("10.00"), Decimal("10.00"))
