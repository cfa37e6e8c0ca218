"""POST /api/v1/routing/simulate/ and POST /api/v1/promise/."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from inventory.models import Location
from oms.services import api_key_create
from routing.models import RoutingStrategy, StrategyVersion
from tests.factories import (
    ChannelFactory,
    InboundStockFactory,
    LocationFactory,
    ProductFactory,
    stock,
)

SIMULATE = "/api/v1/routing/simulate/"
PROMISE = "/api/v1/promise/"
BERLIN = {"country": "DE", "latitude": 52.52, "longitude": 13.405}

pytestmark = pytest.mark.django_db


def _client_for(channel) -> APIClient:  # type: ignore[no-untyped-def]
    _key, raw = api_key_create(channel=channel, name="other", scopes=["orders"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def network(channel):  # type: ignore[no-untyped-def]
    """Berlin and Munich warehouses, a Hamburg store with click & collect, two SKUs."""
    berlin = LocationFactory(
        code="wh-berlin", channels=[channel], latitude=52.52, longitude=13.40, cost_per_km=0.01
    )
    munich = LocationFactory(
        code="wh-munich", channels=[channel], latitude=48.14, longitude=11.58, cost_per_km=0.01
    )
    hamburg = LocationFactory(
        code="st-hamburg",
        kind=Location.Kind.STORE,
        channels=[channel],
        latitude=53.55,
        longitude=9.99,
        click_collect=True,
        cost_per_km=0.01,
    )
    shirt = ProductFactory(sku="SHIRT")
    cap = ProductFactory(sku="CAP")
    stock(berlin, shirt, 5)
    stock(munich, shirt, 5)
    stock(munich, cap, 5)
    stock(hamburg, cap, 1)
    return {"berlin": berlin, "munich": munich, "hamburg": hamburg, "shirt": shirt, "cap": cap}


def _simulate(client, **body):  # type: ignore[no-untyped-def]
    body.setdefault("destination", BERLIN)
    return client.post(SIMULATE, body, format="json")


def _where(response) -> dict[str, list[tuple[str, int]]]:  # type: ignore[no-untyped-def]
    return {
        f["location"]: [(pl["sku"], pl["quantity"]) for pl in f["lines"]]
        for f in response.json()["fulfilments"]
    }


# --- simulate: plans ------------------------------------------------------------------------


def test_simulate_routes_to_the_nearest_location_with_stock(api_client, network):
    response = _simulate(api_client, lines=[{"sku": "SHIRT", "quantity": 2}])
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["routable"] is True
    assert body["optimal"] is True
    assert body["strategy"] == {"id": None, "name": "default", "version": 1, "status": "builtin"}
    assert _where(response) == {"wh-berlin": [("SHIRT", 2)]}
    fulfilment = body["fulfilments"][0]
    assert fulfilment["transfer_to"] is None
    assert fulfilment["distance_km"] == pytest.approx(0.3, abs=1)
    assert fulfilment["lines"][0]["line_id"] == "1"
    assert body["unallocated"] == []
    assert body["reasons"] == []
    assert {c["code"] for c in body["decision_log"]["candidates"]} == {
        "wh-berlin",
        "wh-munich",
        "st-hamburg",
    }


def test_simulate_reserves_nothing(api_client, network):
    _simulate(api_client, lines=[{"sku": "SHIRT", "quantity": 5}])
    level = network["berlin"].stock_levels.get(product=network["shirt"])
    assert level.reserved == 0


def test_simulate_splits_when_no_location_holds_everything(api_client, network):
    response = _simulate(api_client, lines=[{"sku": "SHIRT", "quantity": 8}])
    body = response.json()
    assert body["routable"] is True
    assert _where(response) == {"wh-berlin": [("SHIRT", 5)], "wh-munich": [("SHIRT", 3)]}


def test_simulate_prefers_one_parcel_over_a_split(api_client, network):
    response = _simulate(
        api_client, lines=[{"sku": "SHIRT", "quantity": 1}, {"sku": "CAP", "quantity": 1}]
    )
    assert _where(response) == {"wh-munich": [("SHIRT", 1), ("CAP", 1)]}


def test_simulate_not_routable_is_an_answer_with_reasons(api_client, network):
    response = _simulate(api_client, lines=[{"sku": "SHIRT", "quantity": 11}])
    assert response.status_code == 200
    body = response.json()
    assert body["routable"] is False
    assert body["unallocated"] == [{"line_id": "1", "sku": "SHIRT", "quantity": 1}]
    assert "insufficient_stock" in body["reasons"]
    assert sum(pl["quantity"] for f in body["fulfilments"] for pl in f["lines"]) == 10


def test_simulate_excluded_location_is_fenced(api_client, network):
    response = _simulate(
        api_client, lines=[{"sku": "SHIRT", "quantity": 1}], excluded_locations=["wh-berlin"]
    )
    assert _where(response) == {"wh-munich": [("SHIRT", 1)]}
    fenced = {c["code"]: c["eliminated_by"] for c in response.json()["decision_log"]["candidates"]}
    assert fenced["wh-berlin"] == "excluded"


def test_click_and_collect_from_the_store_stock(api_client, network):
    response = _simulate(
        api_client,
        lines=[{"sku": "CAP", "quantity": 1}],
        delivery_type="click_collect",
        pickup_location="st-hamburg",
    )
    body = response.json()
    assert body["routable"] is True
    assert _where(response) == {"st-hamburg": [("CAP", 1)]}


def test_click_and_collect_without_transfers_is_not_routable_when_the_store_lacks_stock(
    api_client, network
):
    response = _simulate(
        api_client,
        lines=[{"sku": "CAP", "quantity": 3}],
        delivery_type="click_collect",
        pickup_location="st-hamburg",
    )
    body = response.json()
    assert body["routable"] is False
    assert "pickup_store_insufficient_stock" in body["reasons"]


def test_click_and_collect_with_a_draft_that_allows_transfers(api_client, network):
    strategy = RoutingStrategy.objects.create(name="C&C transfers")
    draft = StrategyVersion.objects.create(
        strategy=strategy,
        number=1,
        rating_weights={"shipping_cost": 1.0},
        allow_transfer_to_pickup=True,
    )
    response = _simulate(
        api_client,
        lines=[{"sku": "CAP", "quantity": 3}],
        delivery_type="click_collect",
        pickup_location="st-hamburg",
        strategy_version=draft.pk,
    )
    body = response.json()
    assert body["routable"] is True, body
    assert body["strategy"] == {
        "id": draft.pk,
        "name": "C&C transfers",
        "version": 1,
        "status": "draft",
    }
    parts = {f["location"]: f for f in body["fulfilments"]}
    assert parts["st-hamburg"]["transfer_to"] is None
    assert parts["wh-munich"]["transfer_to"] == "st-hamburg"
    assert parts["wh-munich"]["lines"][0]["quantity"] == 2


def test_draft_strategy_changes_the_plan_and_the_active_one_is_the_default(api_client, network):
    strategy = RoutingStrategy.objects.create(name="Everything")
    StrategyVersion.objects.create(
        strategy=strategy, number=1, status=StrategyVersion.Status.ACTIVE, split_allowed=True
    )
    draft = StrategyVersion.objects.create(strategy=strategy, number=2, split_allowed=False)
    active = _simulate(api_client, lines=[{"sku": "SHIRT", "quantity": 8}])
    assert active.json()["strategy"]["status"] == "active"
    assert active.json()["routable"] is True
    tried = _simulate(
        api_client, lines=[{"sku": "SHIRT", "quantity": 8}], strategy_version=draft.pk
    )
    assert tried.json()["routable"] is False
    assert "split_not_allowed" in tried.json()["reasons"]


# --- simulate: errors -----------------------------------------------------------------------


def test_unknown_sku_is_422_with_the_skus(api_client, network):
    response = _simulate(
        api_client, lines=[{"sku": "SHIRT", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_sku"
    assert response.json()["details"] == {"skus": ["NOPE"]}


def test_unknown_pickup_location_is_404(api_client, network):
    response = _simulate(
        api_client,
        lines=[{"sku": "CAP", "quantity": 1}],
        delivery_type="click_collect",
        pickup_location="st-nowhere",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "location_not_found"


def test_unknown_excluded_location_is_404(api_client, network):
    response = _simulate(
        api_client, lines=[{"sku": "CAP", "quantity": 1}], excluded_locations=["nowhere"]
    )
    assert response.status_code == 404
    assert response.json()["code"] == "location_not_found"
    assert response.json()["details"] == {"excluded_locations": ["nowhere"]}


def test_unknown_strategy_version_is_404(api_client, network):
    response = _simulate(api_client, lines=[{"sku": "CAP", "quantity": 1}], strategy_version=999)
    assert response.status_code == 404
    assert response.json()["code"] == "strategy_not_found"


def test_invalid_draft_is_422_not_500(api_client, network):
    strategy = RoutingStrategy.objects.create(name="Broken")
    broken = StrategyVersion.objects.create(
        strategy=strategy, number=1, rating_weights={"astrology": 1.0}
    )
    response = _simulate(
        api_client, lines=[{"sku": "CAP", "quantity": 1}], strategy_version=broken.pk
    )
    assert response.status_code == 422
    assert response.json()["code"] == "strategy_invalid"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"lines": [], "destination": BERLIN},
        {"lines": [{"sku": "CAP", "quantity": 0}], "destination": BERLIN},
        {"lines": [{"sku": "CAP", "quantity": -3}], "destination": BERLIN},
        {"lines": [{"sku": "CAP", "quantity": 10**12}], "destination": BERLIN},
        '{"lines": [{"sku": "CAP", "quantity": 1e400}], "destination": {"country": "DE"}}',
        '{"lines": [{"sku": "CAP", "quantity": 1}], "destination": {"country": "DE", '
        '"latitude": NaN, "longitude": 1}}',
        {"lines": [{"sku": "CAP", "quantity": "many"}], "destination": BERLIN},
        {"lines": [{"sku": "CAP", "quantity": 1, "unit_price": "-1"}], "destination": BERLIN},
        {"lines": [{"sku": "CAP", "quantity": 1, "unit_price": "1e30"}], "destination": BERLIN},
        {"lines": [{"sku": "CAP", "quantity": 1}] * 101, "destination": BERLIN},
        {"lines": {"sku": "CAP"}, "destination": BERLIN},
        {"lines": [{"sku": "CAP", "quantity": 1}], "destination": {"country": "Germany"}},
        {
            "lines": [{"sku": "CAP", "quantity": 1}],
            "destination": {"country": "DE", "latitude": 91, "longitude": 0},
        },
        {
            "lines": [{"sku": "CAP", "quantity": 1}],
            "destination": {"country": "DE", "latitude": 52},
        },
        {
            "lines": [{"sku": "CAP", "quantity": 1}],
            "destination": {"country": "DE", "latitude": "NaN", "longitude": 1},
        },
        {"lines": [{"sku": "CAP", "quantity": 1}], "destination": BERLIN, "delivery_type": "drone"},
        {
            "lines": [{"sku": "CAP", "quantity": 1}],
            "destination": BERLIN,
            "delivery_type": "click_collect",
        },
        {
            "lines": [{"sku": "CAP", "quantity": 1}],
            "destination": BERLIN,
            "pickup_location": "st-hamburg",
        },
        {"lines": [{"sku": "CAP", "quantity": 1}], "destination": BERLIN, "strategy_version": "x"},
        {
            "lines": [{"sku": "CAP", "quantity": 1}],
            "destination": BERLIN,
            "strategy_version": 99999999999999999999,
        },
        {
            "lines": [{"sku": "CAP", "quantity": 1}],
            "destination": BERLIN,
            "excluded_locations": "wh-berlin",
        },
        {"lines": [{"sku": "x" * 65, "quantity": 1}], "destination": BERLIN},
        ["not", "an", "object"],
    ],
)
def test_malformed_simulation_is_400(api_client, network, body):
    if isinstance(body, str):  # raw JSON the test client could not encode
        response = api_client.post(SIMULATE, body, content_type="application/json")
    else:
        response = api_client.post(SIMULATE, body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] in {"invalid_request", "malformed_request"}


def test_invalid_json_is_400(api_client, network):
    response = api_client.post(SIMULATE, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_odd_but_valid_input_does_not_fail(api_client, network):
    lines = [{"sku": "SHIRT", "quantity": 100_000, "unit_price": "9999999999.99"}] + [
        {"sku": "CAP", "quantity": 1} for _ in range(99)
    ]
    response = _simulate(api_client, lines=lines, destination={"country": "de"})
    assert response.status_code == 200, response.json()
    assert response.json()["routable"] is False


def test_destination_in_an_unserved_country_is_not_routable(api_client, network):
    response = _simulate(
        api_client, lines=[{"sku": "CAP", "quantity": 1}], destination={"country": "FR"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["routable"] is False
    assert {c["eliminated_by"] for c in body["decision_log"]["candidates"]} == {
        "country_not_served"
    }


def test_simulate_needs_an_api_key(network):
    response = APIClient().post(SIMULATE, {}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- channel scoping ------------------------------------------------------------------------


def test_a_channel_sees_only_its_own_locations(api_client, network):
    other = ChannelFactory(code="marketplace")
    theirs = LocationFactory(code="wh-theirs", channels=[other], latitude=52.52, longitude=13.40)
    stock(theirs, network["shirt"], 100)
    response = _simulate(api_client, lines=[{"sku": "SHIRT", "quantity": 20}])
    body = response.json()
    assert body["routable"] is False
    assert "wh-theirs" not in {c["code"] for c in body["decision_log"]["candidates"]}
    assert "wh-theirs" not in str(body)

    # ...nor route to them for click & collect or exclude them.
    theirs_store = LocationFactory(code="st-theirs", channels=[other], click_collect=True)
    stock(theirs_store, network["cap"], 5)
    pickup = _simulate(
        api_client,
        lines=[{"sku": "CAP", "quantity": 1}],
        delivery_type="click_collect",
        pickup_location="st-theirs",
    )
    assert pickup.status_code == 404
    assert pickup.json()["code"] == "location_not_found"
    excluded = _simulate(
        api_client, lines=[{"sku": "CAP", "quantity": 1}], excluded_locations=["wh-theirs"]
    )
    assert excluded.status_code == 404

    # The other channel's key routes to its own location.
    theirs_response = _simulate(_client_for(other), lines=[{"sku": "SHIRT", "quantity": 20}])
    assert _where(theirs_response) == {"wh-theirs": [("SHIRT", 20)]}


def test_another_channels_strategy_is_not_found(api_client, network):
    other = ChannelFactory(code="marketplace")
    strategy = RoutingStrategy.objects.create(name="Theirs", channel=other)
    version = StrategyVersion.objects.create(strategy=strategy, number=1)
    response = _simulate(
        api_client, lines=[{"sku": "CAP", "quantity": 1}], strategy_version=version.pk
    )
    assert response.status_code == 404
    assert response.json()["code"] == "strategy_not_found"


def test_the_channels_own_strategy_applies(api_client, channel, network):
    strategy = RoutingStrategy.objects.create(name="Web DE", channel=channel)
    StrategyVersion.objects.create(
        strategy=strategy, number=3, status=StrategyVersion.Status.ACTIVE
    )
    other = RoutingStrategy.objects.create(name="Global")
    StrategyVersion.objects.create(strategy=other, number=1, status=StrategyVersion.Status.ACTIVE)
    response = _simulate(api_client, lines=[{"sku": "CAP", "quantity": 1}])
    assert response.json()["strategy"]["name"] == "Web DE"
    assert response.json()["strategy"]["version"] == 3


# --- query count ----------------------------------------------------------------------------


def _network_of(channel, size: int, products) -> None:  # type: ignore[no-untyped-def]
    for i in range(size):
        loc = LocationFactory(
            channels=[channel], latitude=48 + i * 0.05, longitude=9 + i * 0.05, daily_capacity=50
        )
        for product in products:
            stock(loc, product, 2)


def test_simulate_query_count_is_bounded_and_independent_of_the_network(
    api_client, channel, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    products = [ProductFactory() for _ in range(3)]
    store = LocationFactory(channels=[channel], click_collect=True)
    lines = [{"sku": p.sku, "quantity": 3} for p in products]
    bodies = [
        {"lines": lines},
        {
            "lines": lines,
            "delivery_type": "click_collect",
            "pickup_location": store.code,
            "excluded_locations": [store.code],
        },
    ]
    _simulate(api_client, **bodies[0])  # warm up: the key's last_used_at is touched once
    counts = []
    for size in (3, 40):
        _network_of(channel, size, products)
        for body in bodies:
            with CaptureQueriesContext(connection) as queries:
                response = _simulate(api_client, **body)
            assert response.status_code == 200, response.json()
            counts.append(len(queries))
    assert counts[:2] == counts[2:], counts  # the same with 4 and 44 locations
    with django_assert_max_num_queries(10):
        _simulate(api_client, **bodies[1])


# --- promise --------------------------------------------------------------------------------

MONDAY_10 = dt.datetime(2024, 6, 3, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def at_time(monkeypatch):  # type: ignore[no-untyped-def]
    """Freeze the clock the promise reads (the server's zone is UTC in the test settings)."""

    def freeze(moment: dt.datetime) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)

    freeze(MONDAY_10)
    return freeze


def _promise(client, items, **body):  # type: ignore[no-untyped-def]
    body.setdefault("destination", BERLIN)
    return client.post(PROMISE, {"items": items, **body}, format="json")


def _options(response) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json()
    return {o["pickup_location"] or o["delivery_type"]: o for o in response.json()["options"]}


def test_promise_ship_from_stock_before_the_cut_off(api_client, network, at_time):
    response = _promise(api_client, [{"sku": "SHIRT", "quantity": 2}])
    body = response.json()
    assert body["generated_at"].startswith("2024-06-03T10:00")
    ship = _options(response)["ship"]
    assert ship == {
        "delivery_type": "ship",
        "available": True,
        "earliest_date": "2024-06-04",  # dispatched Monday, 1 day in transit (< 50 km)
        "ready_at": None,
        "source": "on_hand",
        "in_stock_now": True,
        "locations": ["wh-berlin"],
        "pickup_location": None,
        "distance_km": pytest.approx(0.3, abs=1),
        "explanation": ship["explanation"],
    }
    assert "wh-berlin" in ship["explanation"]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2024, 6, 3, 15, 0, tzinfo=dt.UTC), "2024-06-05"),  # after the cut-off
        (dt.datetime(2024, 6, 7, 15, 0, tzinfo=dt.UTC), "2024-06-11"),  # Friday late: Tuesday
        (dt.datetime(2024, 6, 8, 9, 0, tzinfo=dt.UTC), "2024-06-11"),  # Saturday
    ],
)
def test_promise_cut_off_and_weekends(api_client, network, at_time, now, expected):
    at_time(now)
    ship = _options(_promise(api_client, [{"sku": "SHIRT", "quantity": 2}]))["ship"]
    assert ship["earliest_date"] == expected


def test_promise_uses_the_locations_processing_days_and_cut_off(api_client, network, at_time):
    Location.objects.filter(code="wh-berlin").update(processing_days=2, cutoff_hour=9)
    ship = _options(_promise(api_client, [{"sku": "SHIRT", "quantity": 2}]))["ship"]
    # Berlin now delivers Friday; Munich (3 days in transit) on Thursday wins.
    assert (ship["locations"], ship["earliest_date"]) == (["wh-munich"], "2024-06-06")
    network["munich"].channels.clear()
    ship = _options(_promise(api_client, [{"sku": "SHIRT", "quantity": 2}]))["ship"]
    # After Berlin's 9:00 cut-off: starts Tuesday, +2 processing days, +1 in transit.
    assert (ship["locations"], ship["earliest_date"]) == (["wh-berlin"], "2024-06-07")


def test_inbound_stock_is_not_promised_while_intake_refuses_it(api_client, network, at_time):
    """Until pre-orders exist an order reserves stock on hand only: no date from inbound."""
    from tests.factories import BERLIN as BERLIN_ADDRESS

    InboundStockFactory(
        location=network["munich"],
        product=network["cap"],
        expected_date=dt.date(2024, 6, 5),
        quantity_expected=20,
    )
    ship = _options(_promise(api_client, [{"sku": "CAP", "quantity": 10}]))["ship"]
    assert (ship["available"], ship["earliest_date"], ship["source"]) == (False, None, None)
    order = {
        "external_reference": "WEB-INBOUND",
        "currency": "EUR",
        "customer": {"email": "erika@example.com", "name": "Erika Mustermann"},
        "shipping_address": dict(BERLIN_ADDRESS),
        "lines": [{"sku": "CAP", "quantity": 10, "unit_price": "9.99"}],
    }
    refused = api_client.post(
        "/api/v1/orders/", order, format="json", HTTP_IDEMPOTENCY_KEY="inbound-1"
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "out_of_stock")


def test_received_or_cancelled_inbound_stock_is_not_promised(api_client, network, at_time):
    InboundStockFactory(
        location=network["munich"],
        product=network["cap"],
        quantity_expected=20,
        status="cancelled",
    )
    ship = _options(_promise(api_client, [{"sku": "CAP", "quantity": 10}]))["ship"]
    assert ship["available"] is False
    assert ship["earliest_date"] is None


def test_promise_click_and_collect_at_the_nearest_stores(api_client, network, at_time):
    response = _promise(api_client, [{"sku": "CAP", "quantity": 1}])
    options = _options(response)
    assert list(options) == ["ship", "st-hamburg"]
    pickup = options["st-hamburg"]
    assert pickup["delivery_type"] == "click_collect"
    assert pickup["available"] is True
    assert pickup["source"] == "on_hand"
    assert pickup["earliest_date"] == "2024-06-03"
    assert pickup["ready_at"].startswith("2024-06-03T12:00")
    assert pickup["locations"] == ["st-hamburg"]

    none = _promise(api_client, [{"sku": "CAP", "quantity": 1}], max_pickup_stores=0)
    assert list(_options(none)) == ["ship"]


def test_promise_transfer_into_the_store_when_the_strategy_allows_it(api_client, network, at_time):
    assert (
        _options(_promise(api_client, [{"sku": "CAP", "quantity": 3}]))["st-hamburg"]["available"]
        is False
    )
    strategy = RoutingStrategy.objects.create(name="C&C", delivery_type="click_collect")
    StrategyVersion.objects.create(
        strategy=strategy,
        number=1,
        status=StrategyVersion.Status.ACTIVE,
        allow_transfer_to_pickup=True,
        transfer_days=2,
    )
    pickup = _options(_promise(api_client, [{"sku": "CAP", "quantity": 3}]))["st-hamburg"]
    assert pickup["available"] is True
    assert pickup["source"] == "transfer"
    assert pickup["locations"] == ["st-hamburg", "wh-munich"]
    assert pickup["ready_at"].startswith("2024-06-05T11:00")  # dispatched Monday, +2 days


def test_promise_split_over_locations(api_client, network, at_time):
    ship = _options(_promise(api_client, [{"sku": "SHIRT", "quantity": 8}]))["ship"]
    assert ship["available"] is True
    assert sorted(ship["locations"]) == ["wh-berlin", "wh-munich"]
    assert ship["earliest_date"] == "2024-06-06"  # the Munich parcel: 3 days in transit


def test_promise_sees_only_the_channels_locations(api_client, network, at_time):
    other = ChannelFactory(code="marketplace")
    theirs = LocationFactory(code="wh-theirs", channels=[other], click_collect=True)
    stock(theirs, network["shirt"], 100)
    InboundStockFactory(location=theirs, product=network["shirt"], quantity_expected=100)
    response = _promise(api_client, [{"sku": "SHIRT", "quantity": 50}])
    assert _options(response)["ship"]["available"] is False
    assert "wh-theirs" not in str(response.json())


def test_promise_unknown_sku_is_422(api_client, network):
    response = _promise(api_client, [{"sku": "NOPE", "quantity": 1}])
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_sku"
    assert response.json()["details"] == {"skus": ["NOPE"]}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": [], "destination": BERLIN},
        {"items": [{"sku": "CAP", "quantity": 0}], "destination": BERLIN},
        {"items": [{"sku": "CAP", "quantity": 10**9}], "destination": BERLIN},
        {"items": [{"sku": "CAP", "quantity": 1}] * 101, "destination": BERLIN},
        {"items": [{"sku": "CAP", "quantity": 1}], "destination": {"country": "DEU"}},
        {"items": [{"sku": "CAP", "quantity": 1}], "destination": BERLIN, "max_pickup_stores": 21},
        {"items": [{"sku": "CAP", "quantity": 1}], "destination": BERLIN, "max_pickup_stores": -1},
    ],
)
def test_malformed_promise_is_400(api_client, network, body):
    response = api_client.post(PROMISE, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_promise_odd_but_valid_input(api_client, network, at_time):
    items = [{"sku": "SHIRT", "quantity": 100_000}] + [{"sku": "CAP", "quantity": 1}] * 99
    response = _promise(api_client, items, destination={"country": "FR"})
    assert response.status_code == 200
    assert _options(response)["ship"]["available"] is False


def test_promise_query_count_is_bounded(api_client, channel, django_assert_max_num_queries):
    products = [ProductFactory() for _ in range(3)]
    _network_of(channel, 30, products)
    items = [{"sku": p.sku, "quantity": 1} for p in products]
    _promise(api_client, items)  # warm up: the key's last_used_at is touched once
    with django_assert_max_num_queries(9):
        response = _promise(api_client, items)
    assert response.status_code == 200
