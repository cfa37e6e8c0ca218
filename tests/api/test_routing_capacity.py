"""Simulate and promise count today's fulfilments against a location's daily capacity.

Regression (issue 10, defect 12): routing used to import the orders app's count lazily inside
`except ImportError: return None`, so any import error switched capacity off silently. Now the
orders app hands its count in; a broken `orders.selectors` import cannot switch it off."""

from __future__ import annotations

import datetime as dt
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from routing import capacity
from tests.factories import BERLIN, order_network, place_order, stock

SIMULATE = "/api/v1/routing/simulate/"
PROMISE = "/api/v1/promise/"
TO_BERLIN = {"country": "DE", "latitude": 52.52, "longitude": 13.405}
MONDAY_10 = dt.datetime(2024, 6, 3, 10, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_berlin(channel, monkeypatch):  # type: ignore[no-untyped-def]
    """Berlin (nearest to the customer) takes one order a day and has taken it today."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: MONDAY_10)
    net = order_network(channel)
    stock(net.berlin, net.shirt, 10)
    stock(net.munich, net.shirt, 10)
    net.berlin.daily_capacity = 1
    net.berlin.save()
    order = place_order(channel, ("SHIRT", 1), address=BERLIN)
    assert order.fulfilments.get().location_id == net.berlin.pk
    return net


def _simulate(client):  # type: ignore[no-untyped-def]
    response = client.post(
        SIMULATE,
        {"lines": [{"sku": "SHIRT", "quantity": 1}], "destination": TO_BERLIN},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def _ship_option(client):  # type: ignore[no-untyped-def]
    response = client.post(
        PROMISE,
        {"items": [{"sku": "SHIRT", "quantity": 1}], "destination": TO_BERLIN},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return next(o for o in response.json()["options"] if o["delivery_type"] == "ship")


def test_simulate_avoids_a_location_whose_capacity_is_used_up(api_client, full_berlin):
    body = _simulate(api_client)
    assert [f["location"] for f in body["fulfilments"]] == ["wh-munich"]


def test_promise_does_not_promise_from_a_full_location_today(api_client, full_berlin):
    ship = _ship_option(api_client)
    assert ship["locations"] == ["wh-munich"] or ship["earliest_date"] > "2024-06-04"


def test_capacity_holds_when_the_orders_selectors_cannot_be_imported(
    api_client, full_berlin, monkeypatch
):
    # What used to switch capacity off: an ImportError on the lazy import.
    monkeypatch.setitem(sys.modules, "orders.selectors", None)
    assert [f["location"] for f in _simulate(api_client)["fulfilments"]] == ["wh-munich"]
    ship = _ship_option(api_client)
    assert ship["locations"] == ["wh-munich"] or ship["earliest_date"] > "2024-06-04"


def test_without_a_registered_capacity_source_routing_refuses(monkeypatch):
    monkeypatch.setattr(capacity, "_sources", [])
    with pytest.raises(ImproperlyConfigured):
        capacity.capacity_source()
