"""Order intake (orders.services.order_create): routing, splitting, click & collect, refusals.

Every refusal must leave nothing behind: no order rows, no reservations, no ledger entries.
"""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inventory.errors import InsufficientStock
from inventory.models import Location, Reservation, StockMovement
from inventory.selectors import stock_ledger_mismatches
from oms.errors import OMSError
from oms.models import Channel, OutboxMessage
from orders import services
from orders.decision_logs import decision_log_expand
from orders.models import (
    Fulfilment,
    FulfilmentLine,
    Order,
    OrderEvent,
    OrderLine,
    OrderState,
    RoutingDecision,
)
from routing.models import RoutingStrategy, StrategyVersion
from tests.factories import (
    BERLIN,
    MUNICH,
    ChannelFactory,
    LocationFactory,
    ProductFactory,
    level_of,
    order_network,
    place_order,
    stock,
)

# sqlite_twin: also run on SQLite, the ORM twins of the hand-written SQL (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]

ROW_MODELS = (
    Order,
    OrderLine,
    Fulfilment,
    FulfilmentLine,
    OrderEvent,
    RoutingDecision,
    Reservation,
    StockMovement,
    OutboxMessage,
)


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    """Two warehouses (Berlin, Munich) and a Berlin pickup store; shipping costs per km, so
    the nearest warehouse is the cheapest."""
    return order_network(channel)


def _row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in ROW_MODELS}


def _refused(channel: Channel, *lines, **kwargs) -> OMSError:  # type: ignore[no-untyped-def]
    # order_create joins the caller's transaction without a savepoint: give it one here, as
    # the API's idempotency wrapper does, so the test can keep querying after the error.
    with pytest.raises(OMSError) as info, transaction.atomic():
        place_order(channel, *lines, **kwargs)
    return info.value


def _events(order: Order) -> list[tuple[int, str]]:
    return list(order.events.order_by("sequence").values_list("sequence", "type"))


def _reserved(*locations_products) -> list[int]:  # type: ignore[no-untyped-def]
    return [level_of(loc, prod).reserved for loc, prod in locations_products]


def test_routes_to_the_nearest_stocked_location(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.shirt, 5)

    to_munich = place_order(net.channel, ("SHIRT", 2), address=MUNICH)
    to_berlin = place_order(net.channel, ("SHIRT", 3), address=BERLIN)

    assert to_munich.state == OrderState.ROUTED
    assert [f.location_id for f in to_munich.fulfilments.all()] == [net.munich.pk]
    assert [f.location_id for f in to_berlin.fulfilments.all()] == [net.berlin.pk]
    assert _reserved((net.berlin, net.shirt), (net.munich, net.shirt)) == [3, 2]
    line = to_munich.lines.get()
    reservation = FulfilmentLine.objects.get(order_line=line).reservation
    assert (reservation.quantity, reservation.status, reservation.holder) == (
        2,
        Reservation.Status.ACTIVE,
        f"order:{to_munich.pk}/line:{line.pk}",
    )
    assert _events(to_munich) == [
        (1, "order_placed"),
        (2, "fulfilment_created"),
        (3, "order_routed"),
    ]
    created = to_munich.events.get(type="fulfilment_created").data
    assert created["location"] == "wh-munich"
    assert created["lines"] == [{"line": 1, "sku": "SHIRT", "quantity": 2}]
    assert to_munich.event_count == 3
    assert OutboxMessage.objects.filter(payload__order_id=to_munich.pk).count() == 3
    assert stock_ledger_mismatches() == []


def test_single_location_preferred_over_a_split(net):  # type: ignore[no-untyped-def]
    # Berlin is nearer but holds only the shirt; Munich holds both: one parcel beats two.
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.shirt, 5)
    stock(net.munich, net.mug, 5)

    order = place_order(net.channel, ("SHIRT", 1), ("MUG", 1), address=BERLIN)

    fulfilment = order.fulfilments.get()
    assert fulfilment.location_id == net.munich.pk
    assert sorted(fulfilment.lines.values_list("order_line__sku", "quantity")) == [
        ("MUG", 1),
        ("SHIRT", 1),
    ]
    assert _reserved((net.berlin, net.shirt), (net.munich, net.shirt)) == [0, 1]
    assert stock_ledger_mismatches() == []


def test_splits_over_two_locations_when_none_holds_everything(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 2)
    stock(net.munich, net.shirt, 3)

    order = place_order(net.channel, ("SHIRT", 5))

    assert order.state == OrderState.ROUTED
    parts = {
        f.location_id: sum(fl.quantity for fl in f.lines.all())
        for f in order.fulfilments.prefetch_related("lines")
    }
    assert parts == {net.berlin.pk: 2, net.munich.pk: 3}
    assert _reserved((net.berlin, net.shirt), (net.munich, net.shirt)) == [2, 3]
    assert [t for _, t in _events(order)] == [
        "order_placed",
        "fulfilment_created",
        "fulfilment_created",
        "order_routed",
    ]
    assert order.events.get(type="order_routed").data["fulfilments"] == 2
    assert stock_ledger_mismatches() == []


def test_click_and_collect_at_a_store(net):  # type: ignore[no-untyped-def]
    stock(net.store, net.shirt, 2)
    stock(net.berlin, net.shirt, 10)

    order = place_order(
        net.channel,
        ("SHIRT", 2),
        address={},
        delivery_type="click_collect",
        pickup_location_code="store-berlin",
    )

    assert order.state == OrderState.ROUTED
    assert order.pickup_location_id == net.store.pk
    assert order.shipping_country == "DE"
    fulfilment = order.fulfilments.get()
    assert (fulfilment.location_id, fulfilment.transfer_to_id) == (net.store.pk, None)
    assert _reserved((net.store, net.shirt), (net.berlin, net.shirt)) == [2, 0]
    assert stock_ledger_mismatches() == []


def test_click_and_collect_without_store_stock_is_refused(net):  # type: ignore[no-untyped-def]
    # The default strategy allows no transfer into the store: Berlin's stock cannot help.
    stock(net.store, net.shirt, 1)
    stock(net.berlin, net.shirt, 10)
    before = _row_counts()

    error = _refused(
        net.channel,
        ("SHIRT", 2),
        delivery_type="click_collect",
        pickup_location_code="store-berlin",
    )

    assert (error.code, error.status) == ("out_of_stock", 409)
    assert error.details["lines"] == [
        {"line": 1, "sku": "SHIRT", "requested": 2, "missing": 1, "available": 11}
    ]
    assert _row_counts() == before


@pytest.mark.parametrize("problem", ["no_pickup", "other_channel", "inactive", "unknown"])
def test_click_and_collect_at_an_invalid_store_is_refused(net, problem):  # type: ignore[no-untyped-def]
    code = "store-bad"
    if problem == "no_pickup":
        LocationFactory(code=code, kind="store", channels=[net.channel], click_collect=False)
    elif problem == "other_channel":
        LocationFactory(code=code, kind="store", channels=[ChannelFactory()], click_collect=True)
    elif problem == "inactive":
        LocationFactory(
            code=code, kind="store", channels=[net.channel], click_collect=True, active=False
        )
    if problem != "unknown":
        stock(Location.objects.get(code=code), net.shirt, 5)
    before = _row_counts()

    error = _refused(
        net.channel, ("SHIRT", 1), delivery_type="click_collect", pickup_location_code=code
    )

    assert (error.code, error.status) == ("pickup_location_invalid", 422)
    assert error.details == {"pickup_location": code}
    assert _row_counts() == before


@pytest.mark.parametrize("inactive", [False, True])
def test_unknown_sku_writes_nothing(net, inactive):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    if inactive:
        ProductFactory(sku="GHOST", active=False)
    before = _row_counts()

    error = _refused(net.channel, ("SHIRT", 1), ("GHOST", 1), ("NOPE", 2))

    assert (error.code, error.status) == ("unknown_sku", 422)
    assert error.details == {"skus": ["GHOST", "NOPE"]}
    assert _row_counts() == before
    assert level_of(net.berlin, net.shirt).reserved == 0


def test_not_routable_with_policy_refuse_reports_each_short_line(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 2)
    stock(net.munich, net.shirt, 1)
    stock(net.munich, net.mug, 4)
    before = _row_counts()

    error = _refused(net.channel, ("SHIRT", 5), ("MUG", 1))

    assert (error.code, error.status) == ("out_of_stock", 409)
    assert error.details == {
        "lines": [{"line": 1, "sku": "SHIRT", "requested": 5, "missing": 2, "available": 3}]
    }
    assert _row_counts() == before
    assert _reserved((net.berlin, net.shirt), (net.munich, net.shirt), (net.munich, net.mug)) == [
        0,
        0,
        0,
    ]


def test_lines_of_the_same_sku_share_the_stock(net):  # type: ignore[no-untyped-def]
    # Each line alone fits (2 <= 3); together they do not. Checking them separately oversells.
    stock(net.berlin, net.shirt, 3)

    error = _refused(net.channel, ("SHIRT", 2), ("SHIRT", 2))

    assert error.code == "out_of_stock"
    assert sum(line["missing"] for line in error.details["lines"]) == 1
    assert {line["sku"] for line in error.details["lines"]} == {"SHIRT"}
    assert Order.objects.count() == 0


def test_safety_stock_and_foreign_locations_are_not_promised(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5, safety_stock=4)
    stranger = LocationFactory(code="wh-other-channel", channels=[ChannelFactory()])
    stock(stranger, net.shirt, 50)

    error = _refused(net.channel, ("SHIRT", 2))

    assert error.code == "out_of_stock"
    assert error.details["lines"][0]["available"] == 1
    order = place_order(net.channel, ("SHIRT", 1))
    assert order.fulfilments.get().location_id == net.berlin.pk
    assert level_of(stranger, net.shirt).reserved == 0


def test_not_routable_with_policy_wait_parks_the_order_without_reservations(net):  # type: ignore[no-untyped-def]
    net.channel.unroutable_policy = Channel.UnroutablePolicy.WAIT
    net.channel.save()
    stock(net.berlin, net.shirt, 2)

    order = place_order(net.channel, ("SHIRT", 5))

    order.refresh_from_db()
    assert order.state == OrderState.WAITING
    assert order.waiting_since is not None
    assert order.fulfilments.count() == 0
    assert Reservation.objects.count() == 0
    assert level_of(net.berlin, net.shirt).reserved == 0
    assert _events(order) == [(1, "order_placed"), (2, "order_waiting")]
    waiting = order.events.get(type="order_waiting").data
    assert waiting["lines"] == [
        {"line": 1, "sku": "SHIRT", "requested": 5, "missing": 3, "available": 2}
    ]
    assert waiting["reasons"] == ["insufficient_stock"]
    decision = RoutingDecision.objects.get(order=order)
    assert (decision.trigger, decision.routable) == ("intake", False)
    assert stock_ledger_mismatches() == []


def test_duplicate_external_reference_is_refused_per_channel(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 10)
    first = place_order(net.channel, ("SHIRT", 1), ref="WEB-1001")

    error = _refused(net.channel, ("SHIRT", 2), ref="WEB-1001")

    assert (error.code, error.status) == ("duplicate_order", 409)
    assert error.details == {"external_reference": "WEB-1001"}
    assert list(Order.objects.values_list("pk", flat=True)) == [first.pk]
    assert level_of(net.berlin, net.shirt).reserved == 1
    # The reference is unique per channel, not globally.
    other = ChannelFactory()
    net.berlin.channels.add(other)
    assert place_order(other, ("SHIRT", 2), ref="WEB-1001").state == OrderState.ROUTED
    assert level_of(net.berlin, net.shirt).reserved == 3
    assert stock_ledger_mismatches() == []


def test_decision_log_is_stored_with_every_candidate(net):  # type: ignore[no-untyped-def]
    stock(net.berlin, net.shirt, 5)
    stock(net.munich, net.shirt, 5)

    order = place_order(net.channel, ("SHIRT", 1), address=MUNICH)

    decision = RoutingDecision.objects.get(order=order)
    assert (decision.trigger, decision.routable, decision.strategy_version) == (
        "intake",
        True,
        None,
    )
    log = decision_log_expand(decision.log)
    assert log["chosen"]["location_ids"] == [net.munich.pk]
    by_code = {entry["code"]: entry for entry in log["candidates"]}
    assert by_code["wh-berlin"]["eliminated_by"] is None
    assert by_code["store-berlin"]["eliminated_by"] == "service_not_offered"
    assert by_code["wh-munich"]["distance_km"] < by_code["wh-berlin"]["distance_km"]
    assert log["strategy"]["name"] == "default"
    assert log["why"]
    assert order.strategy_name == "default v1"


def test_active_strategy_is_recorded_on_the_order_and_decision(net):  # type: ignore[no-untyped-def]
    strategy = RoutingStrategy.objects.create(name="de-stock-depth", destination_country="DE")
    version = StrategyVersion.objects.create(
        strategy=strategy,
        number=3,
        status=StrategyVersion.Status.ACTIVE,
        rating_weights={"stock_depth": 1.0},
    )
    # Munich is farther but deeper: the stock-depth strategy picks it.
    stock(net.berlin, net.shirt, 2)
    stock(net.munich, net.shirt, 50)

    order = place_order(net.channel, ("SHIRT", 2), address=BERLIN)

    order.refresh_from_db()
    assert order.fulfilments.get().location_id == net.munich.pk
    assert order.strategy_version == version
    assert order.strategy_name == "de-stock-depth v3"
    decision = RoutingDecision.objects.get(order=order)
    assert decision.strategy_version == version
    assert decision.log["strategy"]["name"] == "de-stock-depth"
    assert decision.log["strategy"]["version"] == 3
    assert order.events.get(type="order_routed").data["strategy"] == "de-stock-depth v3"


def _network(channel: Channel, size: int, products: list) -> None:  # type: ignore[type-arg]
    for i in range(size):
        location = LocationFactory(
            channels=[channel],
            latitude=47.5 + (i % 10) * 0.5,
            longitude=6.0 + (i // 10) * 1.5,
            cost_per_km=Decimal("0.05"),
        )
        for product in products:
            stock(location, product, 5)


def test_intake_query_count_is_bounded_and_independent_of_network_size(
    django_assert_max_num_queries,
):  # type: ignore[no-untyped-def]
    products = [ProductFactory() for _ in range(3)]
    small, large = ChannelFactory(), ChannelFactory()
    _network(small, 10, products)
    _network(large, 50, products)
    lines = [(p.sku, 2) for p in products]

    # The ORM twins on SQLite write events, outbox messages and deliveries with one
    # bulk_create each instead of one statement: a few more, still independent of the network.
    budget = 10 if connection.vendor == "postgresql" else 26
    with django_assert_max_num_queries(budget) as small_queries:
        order = place_order(small, *lines)
    with CaptureQueriesContext(connection) as large_queries:
        large_order = place_order(large, *lines)

    assert order.state == large_order.state == OrderState.ROUTED
    assert order.fulfilments.count() == 1
    # Measured: 19 for 3 lines over 10 or 50 locations (including the savepoint stock_reserve
    # sets when one reservation touches several stock levels); it must not grow with the
    # network.
    assert len(small_queries.captured_queries) == len(large_queries.captured_queries)
    assert stock_ledger_mismatches() == []


def test_daily_capacity_counts_todays_live_fulfilments(net):  # type: ignore[no-untyped-def]
    net.berlin.daily_capacity = 1
    net.berlin.save()
    stock(net.berlin, net.shirt, 10)
    stock(net.munich, net.shirt, 10)

    first = place_order(net.channel, ("SHIRT", 1))
    second = place_order(net.channel, ("SHIRT", 1))

    assert first.fulfilments.get().location_id == net.berlin.pk
    assert second.fulfilments.get().location_id == net.munich.pk
    log = decision_log_expand(RoutingDecision.objects.get(order=second).log)
    by_code = {entry["code"]: entry["eliminated_by"] for entry in log["candidates"]}
    assert by_code["wh-berlin"] == "capacity_reached"
    # A cancelled fulfilment gives its slot back.
    services.order_cancel(order_id=first.pk, actor="staff", expected_version=1)
    third = place_order(net.channel, ("SHIRT", 1))
    assert third.fulfilments.get().location_id == net.berlin.pk


def test_click_and_collect_intake_costs_one_query_more_than_shipping(net):  # type: ignore[no-untyped-def]
    # Regression: the pickup store was loaded with .only("pk", "code") and its country and
    # coordinates were then fetched one deferred query each.
    stock(net.berlin, net.shirt, 5)
    stock(net.store, net.shirt, 10)

    def ship_order() -> None:
        place_order(net.channel, ("SHIRT", 1))

    def pickup_order() -> None:
        place_order(
            net.channel,
            ("SHIRT", 1),
            address={},
            delivery_type="click_collect",
            pickup_location_code="store-berlin",
        )

    # Warm the per-process routing cache (network, strategy per delivery type) for both.
    ship_order()
    pickup_order()
    with CaptureQueriesContext(connection) as ship:
        ship_order()
    with CaptureQueriesContext(connection) as pickup:
        pickup_order()

    assert len(pickup.captured_queries) == len(ship.captured_queries) + 1


@pytest.mark.parametrize("policy", ["refuse", "wait"])
def test_losing_every_reservation_race_is_not_routed(net, policy):  # type: ignore[no-untyped-def]
    # Regression: when every attempt lost the stock to concurrent orders, the outcome still
    # counted as complete and the order was "routed" with no fulfilment and nothing reserved.
    net.channel.unroutable_policy = policy
    net.channel.save()
    stock(net.berlin, net.shirt, 5)
    lost = InsufficientStock(lines=[{"location_id": net.berlin.pk, "requested": 1}])

    with mock.patch("orders.services.reserve_plan.stock_reserve", side_effect=lost) as reserve:
        if policy == "refuse":
            error = _refused(net.channel, ("SHIRT", 1))
        else:
            order = place_order(net.channel, ("SHIRT", 1))

    assert reserve.call_count == 3  # MAX_ROUTING_ATTEMPTS
    if policy == "refuse":
        assert (error.code, error.status) == ("out_of_stock", 409)
        assert Order.objects.count() == 0
    else:
        order.refresh_from_db()
        assert order.state == OrderState.WAITING
        assert order.fulfilments.count() == 0
        assert RoutingDecision.objects.get(order=order).routable is False
    assert Reservation.objects.count() == 0
