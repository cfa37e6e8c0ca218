"""Fulfilments API (the location side): scopes, location keys, transitions, rejections,
short picks, and no 500 on odd input."""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest

from inventory.models import Location
from inventory.selectors import stock_ledger_mismatches
from inventory.services import stock_adjust
from orders.models import Fulfilment, FulfilmentState, Order
from tests.factories import (
    BERLIN,
    MUNICH,
    ChannelFactory,
    LocationFactory,
    ProductFactory,
    api_client_for,
    level_of,
    place_order,
    raw_api_key,
    stock,
)

pytestmark = pytest.mark.django_db

FULFILMENTS = "/api/v1/fulfilments/"


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    return body


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    def warehouse(code: str, address: dict) -> Location:
        return LocationFactory(
            code=code,
            channels=[channel],
            cost_per_km=Decimal("0.1"),
            latitude=address["latitude"],
            longitude=address["longitude"],
        )

    berlin, munich = warehouse("wh-berlin", BERLIN), warehouse("wh-munich", MUNICH)
    store = LocationFactory(
        code="store-berlin", kind="store", channels=[channel], ships=False, click_collect=True
    )
    shirt, mug = ProductFactory(sku="SHIRT"), ProductFactory(sku="MUG")
    for location in (berlin, munich, store):
        stock(location, shirt, 10)
    stock(munich, mug, 10)
    return SimpleNamespace(
        channel=channel, berlin=berlin, munich=munich, store=store, shirt=shirt, mug=mug
    )


@pytest.fixture
def berlin_order(net):  # type: ignore[no-untyped-def]
    """An order of 3 shirts routed to Berlin; returns (order, fulfilment)."""
    order = place_order(net.channel, ("SHIRT", 3), address=BERLIN)
    return order, order.fulfilments.get()


def _post(client, fulfilment: Fulfilment | int, action: str, body=None):  # type: ignore[no-untyped-def]
    pk = fulfilment if isinstance(fulfilment, int) else fulfilment.pk
    return client.post(f"{FULFILMENTS}{pk}/{action}/", body or {}, format="json")


def _state(fulfilment: Fulfilment) -> str:
    fulfilment.refresh_from_db()
    return fulfilment.state


def test_a_key_without_the_location_scope_is_forbidden(net, berlin_order):  # type: ignore[no-untyped-def]
    _, fulfilment = berlin_order
    orders_only = api_client_for(raw_api_key(net.channel, ["orders"]))

    assert_error(orders_only.get(FULFILMENTS), 403, "permission_denied")
    assert_error(orders_only.get(f"{FULFILMENTS}{fulfilment.pk}/"), 403, "permission_denied")
    for action, body in [
        ("accept", None),
        ("ship", {"carrier": "DHL", "tracking_number": "1"}),
        ("reject", {"reason": "x"}),
        ("short-pick", {"lines": [{"line_number": 1, "missing": 1}]}),
    ]:
        assert_error(_post(orders_only, fulfilment, action, body), 403, "permission_denied")
    assert _state(fulfilment) == FulfilmentState.CREATED
    assert level_of(net.berlin, net.shirt).reserved == 3


def test_a_location_key_sees_only_its_locations_fulfilments(net):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 1), ("MUG", 1), address=MUNICH)
    at_munich = order.fulfilments.get()
    at_berlin = place_order(net.channel, ("SHIRT", 2), address=BERLIN).fulfilments.get()
    # Another channel's order at Berlin: the location's system handles it too.
    other = ChannelFactory()
    net.berlin.channels.add(other)
    foreign_at_berlin = place_order(other, ("SHIRT", 1)).fulfilments.get()
    berlin_key = api_client_for(raw_api_key(net.channel, ["location"], location=net.berlin))

    listed = berlin_key.get(FULFILMENTS).json()

    assert sorted(f["id"] for f in listed["results"]) == sorted(
        [at_berlin.pk, foreign_at_berlin.pk]
    )
    assert {f["location"] for f in listed["results"]} == {"wh-berlin"}
    assert berlin_key.get(f"{FULFILMENTS}{at_berlin.pk}/").status_code == 200
    assert_error(berlin_key.get(f"{FULFILMENTS}{at_munich.pk}/"), 404, "fulfilment_not_found")
    for action, body in [
        ("accept", None),
        ("reject", {"reason": "not ours"}),
        ("short-pick", {"lines": [{"line_number": 1, "missing": 1}]}),
    ]:
        assert_error(_post(berlin_key, at_munich, action, body), 404, "fulfilment_not_found")
    assert _state(at_munich) == FulfilmentState.CREATED
    assert level_of(net.munich, net.shirt).reserved == 1

    accepted = _post(berlin_key, at_berlin, "accept")
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "accepted"


def test_a_channel_key_sees_only_its_channels_fulfilments(api_client, net, berlin_order):  # type: ignore[no-untyped-def]
    _, mine = berlin_order
    other = ChannelFactory()
    net.berlin.channels.add(other)
    theirs = place_order(other, ("SHIRT", 1)).fulfilments.get()

    listed = api_client.get(FULFILMENTS).json()

    assert [f["id"] for f in listed["results"]] == [mine.pk]
    assert_error(api_client.get(f"{FULFILMENTS}{theirs.pk}/"), 404, "fulfilment_not_found")
    assert_error(_post(api_client, theirs, "accept"), 404, "fulfilment_not_found")
    assert _state(theirs) == FulfilmentState.CREATED


def test_ship_flow_through_the_api(api_client, net, berlin_order):  # type: ignore[no-untyped-def]
    order, fulfilment = berlin_order

    for action, state in [("accept", "accepted"), ("start-picking", "picking"), ("pack", "packed")]:
        response = _post(api_client, fulfilment, action)
        assert response.status_code == 200, response.content
        assert response.json()["state"] == state
    shipped = _post(
        api_client, fulfilment, "ship", {"carrier": "DHL", "tracking_number": "JJD000390007"}
    )

    assert shipped.status_code == 200, shipped.content
    body = shipped.json()
    assert (body["state"], body["carrier"], body["tracking_number"]) == (
        "shipped",
        "DHL",
        "JJD000390007",
    )
    assert body["order_id"] == order.pk
    level = level_of(net.berlin, net.shirt)
    assert (level.on_hand, level.reserved) == (7, 0)
    order.refresh_from_db()
    assert order.state == "completed"
    assert_error(_post(api_client, fulfilment, "accept"), 409, "transition_not_allowed")
    assert stock_ledger_mismatches() == []


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"carrier": "DHL"}, ["tracking_number"]),
        ({"tracking_number": "1"}, ["carrier"]),
        ({"carrier": "", "tracking_number": ""}, ["carrier", "tracking_number"]),
        ({"carrier": " ", "tracking_number": "1"}, ["carrier"]),
        ({}, ["carrier", "tracking_number"]),
    ],
)
def test_ship_without_tracking_is_refused(api_client, net, berlin_order, body, fields):  # type: ignore[no-untyped-def]
    _, fulfilment = berlin_order
    _post(api_client, fulfilment, "accept")
    _post(api_client, fulfilment, "pack")

    error = assert_error(_post(api_client, fulfilment, "ship", body), 422, "tracking_required")

    assert error["details"]["missing"] == fields
    assert _state(fulfilment) == FulfilmentState.PACKED
    level = level_of(net.berlin, net.shirt)
    assert (level.on_hand, level.reserved) == (10, 3)


@pytest.mark.parametrize(
    "body",
    [
        {"carrier": "DHL", "tracking_number": "1" * 101},
        {"carrier": "DHL", "tracking_number": "1", "tracking_url": "javascript:alert(1)"},
    ],
)
def test_malformed_ship_bodies_are_a_400(api_client, net, berlin_order, body):  # type: ignore[no-untyped-def]
    _, fulfilment = berlin_order
    _post(api_client, fulfilment, "accept")
    _post(api_client, fulfilment, "pack")

    assert_error(_post(api_client, fulfilment, "ship", body), 400, "invalid_request")
    assert _state(fulfilment) == FulfilmentState.PACKED


def test_own_delivery_location_ships_without_tracking(api_client, net, berlin_order):  # type: ignore[no-untyped-def]
    _, fulfilment = berlin_order
    net.berlin.own_delivery = True
    net.berlin.save(update_fields=["own_delivery"])
    _post(api_client, fulfilment, "accept")
    _post(api_client, fulfilment, "pack")

    response = _post(api_client, fulfilment, "ship", {})

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "shipped"
    assert (response.json()["carrier"], response.json()["tracking_number"]) == ("", "")


def test_tracking_url_is_kept_or_built_from_the_carrier_template(  # type: ignore[no-untyped-def]
    api_client, net, berlin_order, settings
):
    settings.OMS_CARRIER_TRACKING_URLS = {"dhl": "https://track.example/dhl?id={tracking_number}"}
    order, fulfilment = berlin_order
    _post(api_client, fulfilment, "accept")
    _post(api_client, fulfilment, "pack")

    response = _post(api_client, fulfilment, "ship", {"carrier": "DHL", "tracking_number": "A B/1"})

    assert response.status_code == 200, response.content
    assert response.json()["tracking_url"] == "https://track.example/dhl?id=A%20B%2F1"
    shipped = order.events.filter(type="fulfilment_shipped").order_by("-sequence").first()
    assert shipped.data["tracking_url"] == "https://track.example/dhl?id=A%20B%2F1"
    assert shipped.data["carrier"] == "DHL"


def test_a_given_tracking_url_wins_and_unknown_carriers_get_none(  # type: ignore[no-untyped-def]
    api_client, net, settings
):
    settings.OMS_CARRIER_TRACKING_URLS = {"dhl": "https://track.example/dhl?id={tracking_number}"}
    given = "https://carrier.example/t/XYZ"
    urls = []
    for body in (
        {"carrier": "DHL", "tracking_number": "1", "tracking_url": given},
        {"carrier": "Bike Courier", "tracking_number": "2"},
    ):
        fulfilment = place_order(net.channel, ("SHIRT", 1), address=BERLIN).fulfilments.get()
        _post(api_client, fulfilment, "accept")
        _post(api_client, fulfilment, "pack")
        response = _post(api_client, fulfilment, "ship", body)
        assert response.status_code == 200, response.content
        urls.append(response.json()["tracking_url"])

    assert urls == [given, ""]


def test_transitions_out_of_order_are_conflicts(api_client, net, berlin_order):  # type: ignore[no-untyped-def]
    _, fulfilment = berlin_order

    error = assert_error(
        _post(api_client, fulfilment, "ship", {"carrier": "DHL", "tracking_number": "1"}),
        409,
        "transition_not_allowed",
    )
    assert error["details"]["state"] == "created"
    _post(api_client, fulfilment, "accept")
    _post(api_client, fulfilment, "pack")
    assert_error(_post(api_client, fulfilment, "ready-for-pickup"), 409, "transition_not_allowed")
    assert_error(_post(api_client, fulfilment, "picked-up"), 409, "transition_not_allowed")
    assert _state(fulfilment) == FulfilmentState.PACKED


def test_click_and_collect_through_the_api(api_client, net):  # type: ignore[no-untyped-def]
    order = place_order(
        net.channel,
        ("SHIRT", 2),
        address={},
        delivery_type="click_collect",
        pickup_location_code="store-berlin",
    )
    fulfilment = order.fulfilments.get()
    _post(api_client, fulfilment, "accept")
    _post(api_client, fulfilment, "pack")

    assert_error(
        _post(api_client, fulfilment, "ship", {"carrier": "DHL", "tracking_number": "1"}),
        409,
        "transition_not_allowed",
    )
    ready = _post(api_client, fulfilment, "ready-for-pickup")
    assert (ready.status_code, ready.json()["state"]) == (200, "ready_for_pickup")
    assert level_of(net.store, net.shirt).on_hand == 10
    picked = _post(api_client, fulfilment, "picked-up")
    assert (picked.status_code, picked.json()["state"]) == (200, "picked_up")
    level = level_of(net.store, net.shirt)
    assert (level.on_hand, level.reserved) == (8, 0)
    order.refresh_from_db()
    assert order.state == "completed"


def test_reject_through_the_api_reroutes(api_client, net, berlin_order):  # type: ignore[no-untyped-def]
    order, fulfilment = berlin_order

    assert_error(_post(api_client, fulfilment, "reject", {}), 400, "invalid_request")
    assert_error(_post(api_client, fulfilment, "reject", {"reason": ""}), 400, "invalid_request")
    rejected = _post(api_client, fulfilment, "reject", {"reason": "damaged"})

    assert rejected.status_code == 200, rejected.content
    assert (rejected.json()["state"], rejected.json()["rejection_reason"]) == (
        "rejected",
        "damaged",
    )
    listed = api_client.get(FULFILMENTS, {"state": "created"}).json()["results"]
    assert [(f["location"], f["lines"][0]["quantity"]) for f in listed] == [("wh-munich", 3)]
    assert level_of(net.berlin, net.shirt).reserved == 0
    assert level_of(net.munich, net.shirt).reserved == 3
    assert stock_ledger_mismatches() == []


def test_short_pick_through_the_api(api_client, net, berlin_order):  # type: ignore[no-untyped-def]
    order, fulfilment = berlin_order
    _post(api_client, fulfilment, "accept")
    _post(api_client, fulfilment, "start-picking")

    assert_error(
        _post(api_client, fulfilment, "short-pick", {"lines": [{"line_number": 1, "missing": 4}]}),
        422,
        "invalid_quantity",
    )
    assert_error(
        _post(api_client, fulfilment, "short-pick", {"lines": [{"line_number": 2, "missing": 1}]}),
        404,
        "order_line_not_found",
    )
    response = _post(
        api_client, fulfilment, "short-pick", {"lines": [{"line_number": 1, "missing": 1}]}
    )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "picking"
    assert response.json()["lines"] == [{"line_number": 1, "sku": "SHIRT", "quantity": 2}]
    berlin = level_of(net.berlin, net.shirt)
    assert (berlin.on_hand, berlin.reserved) == (9, 2)  # one unit written off
    rerouted = api_client.get(FULFILMENTS, {"location": "wh-munich"}).json()["results"]
    assert [(f["order_id"], f["lines"][0]["quantity"]) for f in rerouted] == [(order.pk, 1)]
    assert level_of(net.munich, net.shirt).reserved == 1
    assert stock_ledger_mismatches() == []


def test_short_pick_of_a_line_the_fulfilment_does_not_hold(api_client, net):  # type: ignore[no-untyped-def]
    # Shirts from Berlin, mugs only in Munich: a split; Berlin cannot short-pick the mug.
    stock_adjust(location=net.munich, product=net.shirt, delta=-10, reason="count", actor="test")
    order = place_order(net.channel, ("SHIRT", 1), ("MUG", 1), address=BERLIN)
    at_berlin = order.fulfilments.get(location=net.berlin)

    error = assert_error(
        _post(api_client, at_berlin, "short-pick", {"lines": [{"line_number": 2, "missing": 1}]}),
        422,
        "invalid_quantity",
    )

    assert error["details"]["missing"] == 1
    assert level_of(net.munich, net.mug).reserved == 1


def test_short_pick_without_write_off(api_client, net, berlin_order):  # type: ignore[no-untyped-def]
    _, fulfilment = berlin_order

    response = _post(
        api_client,
        fulfilment,
        "short-pick",
        {"lines": [{"line_number": 1, "missing": 3}], "adjust_stock": False},
    )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled"
    berlin = level_of(net.berlin, net.shirt)
    assert (berlin.on_hand, berlin.reserved) == (10, 0)
    assert level_of(net.munich, net.shirt).reserved == 3


BAD_BODIES: dict[str, list] = {
    "ship": [
        None,
        [],
        "x",
        {"carrier": None, "tracking_number": None},
        {"carrier": ["DHL"], "tracking_number": {"a": 1}},
        {"carrier": "DHL", "tracking_number": "a\u0000b"},
    ],
    "reject": [None, [], {"reason": None}, {"reason": {"why": 1}}, {"reason": "r" * 201}],
    "short-pick": [
        None,
        {},
        {"lines": []},
        {"lines": None},
        {"lines": "1"},
        {"lines": [None]},
        {"lines": [{"line_number": 1}]},
        {"lines": [{"line_number": 1, "missing": 0}]},
        {"lines": [{"line_number": 1, "missing": -3}]},
        {"lines": [{"line_number": 1, "missing": 10**30}]},
        {"lines": [{"line_number": 10**30, "missing": 1}]},
        {"lines": [{"line_number": 40000, "missing": 1}]},
        {"lines": [{"line_number": "😀", "missing": 1}]},
        {"lines": [{"line_number": 1, "missing": 1}], "adjust_stock": "perhaps"},
    ],
    "accept": [None, [], "x", {"anything": True}],
}


def test_no_500_on_odd_input(api_client, net, berlin_order):  # type: ignore[no-untyped-def]
    api_client.raise_request_exception = False
    _, fulfilment = berlin_order
    for action, bodies in BAD_BODIES.items():
        for body in bodies:
            response = api_client.post(
                f"{FULFILMENTS}{fulfilment.pk}/{action}/",
                json.dumps(body),
                content_type="application/json",
            )
            assert response.status_code < 500, (action, body, response.status_code)
            if response.status_code >= 400:
                assert set(response.json()) == {"code", "message", "details"}, (action, body)
    # Only the bodiless accept may have succeeded: nothing shipped, rejected or written off.
    assert _state(fulfilment) == FulfilmentState.ACCEPTED
    assert fulfilment.lines.get().quantity == 3
    berlin = level_of(net.berlin, net.shirt)
    assert (berlin.on_hand, berlin.reserved) == (10, 3)
    for bogus in ("0", "99999999999999999999", "-1", "x"):
        response = api_client.get(f"{FULFILMENTS}{bogus}/")
        assert response.status_code == 404, bogus
        response = api_client.post(f"{FULFILMENTS}{bogus}/accept/")
        assert response.status_code == 404, bogus
    for params in ({"state": "nope"}, {"page": "x"}, {"page_size": "-1"}, {"location": "\u0000"}):
        assert api_client.get(FULFILMENTS, params).status_code < 500, params
    assert Order.objects.count() == 1
    assert stock_ledger_mismatches() == []
