"""A location system's key with the `orders` scope sees only the orders that have a fulfilment
at its location: list, detail, events and order actions answer as if the others did not exist."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import (
    BERLIN,
    MUNICH,
    LocationFactory,
    ProductFactory,
    api_client_for,
    place_order,
    raw_api_key,
    stock,
)

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


@pytest.fixture
def two_orders(channel):  # type: ignore[no-untyped-def]
    """One order routed to Berlin, one to Munich; returns (berlin, munich_order, berlin_order)."""
    berlin, munich = (
        LocationFactory(
            code=code,
            channels=[channel],
            cost_per_km=Decimal("0.1"),
            latitude=place["latitude"],
            longitude=place["longitude"],
        )
        for code, place in (("wh-berlin", BERLIN), ("wh-munich", MUNICH))
    )
    shirt = ProductFactory(sku="SHIRT")
    stock(berlin, shirt, 10)
    stock(munich, shirt, 10)
    at_berlin = place_order(channel, ("SHIRT", 1), address=BERLIN)
    at_munich = place_order(channel, ("SHIRT", 1), address=MUNICH)
    assert at_berlin.fulfilments.get().location == berlin
    assert at_munich.fulfilments.get().location == munich
    return berlin, at_munich, at_berlin


def test_a_location_key_sees_only_orders_at_its_location(channel, two_orders) -> None:  # type: ignore[no-untyped-def]
    berlin, at_munich, at_berlin = two_orders
    location_key = api_client_for(raw_api_key(channel, ["orders", "location"], location=berlin))

    listed = location_key.get(ORDERS).json()
    assert [o["id"] for o in listed["results"]] == [at_berlin.pk]
    assert listed["count"] == 1
    assert location_key.get(f"{ORDERS}{at_berlin.pk}/").status_code == 200
    assert location_key.get(f"{ORDERS}{at_berlin.pk}/events/").status_code == 200

    for response in (
        location_key.get(f"{ORDERS}{at_munich.pk}/"),
        location_key.get(f"{ORDERS}{at_munich.pk}/events/"),
        location_key.get(f"{ORDERS}{at_munich.pk}/payments/"),
        location_key.post(
            f"{ORDERS}{at_munich.pk}/cancel/", {}, format="json", HTTP_IF_MATCH=at_munich.etag
        ),
    ):
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "order_not_found"
    at_munich.refresh_from_db()
    assert at_munich.state != "cancelled"


def test_a_channel_key_still_sees_every_order_of_its_channel(channel, two_orders) -> None:  # type: ignore[no-untyped-def]
    _, at_munich, at_berlin = two_orders
    channel_key = api_client_for(raw_api_key(channel, ["orders"]))

    listed = channel_key.get(ORDERS).json()
    assert sorted(o["id"] for o in listed["results"]) == sorted([at_berlin.pk, at_munich.pk])
    assert channel_key.get(f"{ORDERS}{at_munich.pk}/").status_code == 200
