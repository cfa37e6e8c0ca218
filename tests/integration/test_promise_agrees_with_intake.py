"""Promise and intake agree: every delivery option `POST /promise/` offers, `POST /orders/` accepts,
and every order intake would accept, promise offers. Over small random networks (Hypothesis):
locations with and without stock, safety stock, inbound (expected) stock, click & collect stores.

A channel that does not sell inbound stock: inbound stock never makes an option available.
One that does (pre-orders, ship to address): promise offers a date from inbound stock exactly
when intake accepts and reserves it, within the channel's horizon.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from inventory.models import InboundStock, Location
from oms.services import api_key_create
from routing import config_cache
from tests.factories import BERLIN, ChannelFactory, LocationFactory, ProductFactory, stock

pytestmark = pytest.mark.django_db

SKUS = ("A", "B")
# Places around Berlin: distances and transit days differ, every one ships to DE.
PLACES = [(52.52, 13.40), (53.55, 9.99), (48.14, 11.58), (51.34, 12.37)]

location_spec = st.fixed_dictionaries(
    {
        "store": st.booleans(),
        "on_hand": st.fixed_dictionaries({sku: st.integers(0, 3) for sku in SKUS}),
        "safety": st.integers(0, 1),
        "inbound": st.fixed_dictionaries({sku: st.integers(0, 4) for sku in SKUS}),
        "inbound_in_days": st.integers(0, 20),
    }
)
# Pre-orders: little stock on hand, so inbound stock decides more often.
preorder_location_spec = st.fixed_dictionaries(
    {
        "store": st.booleans(),
        "on_hand": st.fixed_dictionaries({sku: st.integers(0, 1) for sku in SKUS}),
        "safety": st.integers(0, 1),
        "inbound": st.fixed_dictionaries({sku: st.integers(0, 4) for sku in SKUS}),
        "inbound_in_days": st.integers(0, 20),
    }
)
order_spec = st.dictionaries(st.sampled_from(SKUS), st.integers(1, 4), min_size=1, max_size=2)


def _build(
    locations: list[dict], horizon: int | None = None
) -> tuple[APIClient, list[str], dict[str, str]]:
    """`horizon`: the channel sells inbound stock expected within that many days."""
    config_cache.clear()
    channel = ChannelFactory(
        code=f"shop-{uuid.uuid4().hex[:8]}",
        sell_inbound=horizon is not None,
        inbound_horizon_days=horizon or 0,
    )
    _, raw = api_key_create(channel=channel, name="prop", scopes=["orders", "location"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    products = {sku: ProductFactory(sku=f"{sku}-{channel.code}") for sku in SKUS}
    stores = []
    for index, spec in enumerate(locations):
        lat, lon = PLACES[index % len(PLACES)]
        location = LocationFactory(
            channels=[channel],
            kind=Location.Kind.STORE if spec["store"] else Location.Kind.WAREHOUSE,
            click_collect=spec["store"],
            latitude=lat,
            longitude=lon,
        )
        if spec["store"]:
            stores.append(location.code)
        for sku, product in products.items():
            stock(location, product, spec["on_hand"][sku], safety_stock=spec["safety"])
            if spec["inbound"][sku]:
                InboundStock.objects.create(
                    location=location,
                    product=product,
                    reference=f"PO-{index}",
                    expected_date=timezone.localdate() + dt.timedelta(days=spec["inbound_in_days"]),
                    quantity_expected=spec["inbound"][sku],
                )
    return client, stores, {sku: product.sku for sku, product in products.items()}


def _intake_accepts(
    client: APIClient, names: dict[str, str], lines: dict[str, int], **delivery: str
) -> bool:
    body = {
        "external_reference": f"ORD-{uuid.uuid4().hex[:10]}",
        "currency": "EUR",
        "customer": {"email": "erika@example.com", "name": "Erika Mustermann"},
        "shipping_address": dict(BERLIN),
        "lines": [
            {"sku": names[sku], "quantity": qty, "unit_price": "10.00"}
            for sku, qty in lines.items()
        ],
        **delivery,
    }
    sid = transaction.savepoint()  # each order is tried on the same stock
    response = client.post(
        "/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
    )
    if response.status_code == 201:
        # Accepted means reserved: every unit held on hand or against inbound stock.
        fulfilments = response.json()["fulfilments"]
        assert sum(fl["quantity"] for f in fulfilments for fl in f["lines"]) == sum(lines.values())
    transaction.savepoint_rollback(sid)
    assert response.status_code in (201, 409), response.json()
    if response.status_code == 409:
        assert response.json()["code"] == "out_of_stock"
    return response.status_code == 201


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(locations=st.lists(location_spec, min_size=1, max_size=3), lines=order_spec)
def test_promise_offers_exactly_what_intake_accepts(db, locations, lines):
    with transaction.atomic():
        client, stores, names = _build(locations)
        response = client.post(
            "/api/v1/promise/",
            {
                "items": [{"sku": names[sku], "quantity": qty} for sku, qty in lines.items()],
                "destination": {k: BERLIN[k] for k in ("country", "latitude", "longitude")},
                "max_pickup_stores": 3,
            },
            format="json",
        )
        assert response.status_code == 200, response.json()
        options = response.json()["options"]
        for option in options:
            assert option["source"] != "inbound"  # no pre-orders yet
            if option["delivery_type"] == "ship":
                accepted = _intake_accepts(client, names, lines)
            else:
                accepted = _intake_accepts(
                    client,
                    names,
                    lines,
                    delivery_type="click_collect",
                    pickup_location=option["pickup_location"],
                )
            assert option["available"] == accepted, (option, lines, locations)
        assert {o["pickup_location"] for o in options if o["pickup_location"]} == set(stores)
        transaction.set_rollback(True)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    locations=st.lists(preorder_location_spec, min_size=1, max_size=3),
    lines=order_spec,
    horizon=st.integers(0, 25),
)
def test_promise_offers_inbound_exactly_when_intake_takes_a_preorder(db, locations, lines, horizon):
    with transaction.atomic():
        client, stores, names = _build(locations, horizon=horizon)
        response = client.post(
            "/api/v1/promise/",
            {
                "items": [{"sku": names[sku], "quantity": qty} for sku, qty in lines.items()],
                "destination": {k: BERLIN[k] for k in ("country", "latitude", "longitude")},
                "max_pickup_stores": 3,
            },
            format="json",
        )
        assert response.status_code == 200, response.json()
        for option in response.json()["options"]:
            if option["delivery_type"] == "ship":
                accepted = _intake_accepts(client, names, lines)
            else:
                assert option["source"] != "inbound"  # click & collect: stock on hand only
                accepted = _intake_accepts(
                    client,
                    names,
                    lines,
                    delivery_type="click_collect",
                    pickup_location=option["pickup_location"],
                )
            assert option["available"] == accepted, (option, lines, locations, horizon)
            event(f"{option['delivery_type']}: {option['source'] or 'not available'}")
        transaction.set_rollback(True)


def test_inbound_within_the_horizon_is_promised_and_accepted(db):
    spec = {
        "store": False,
        "on_hand": dict.fromkeys(SKUS, 0),
        "safety": 0,
        "inbound": dict.fromkeys(SKUS, 4),
        "inbound_in_days": 3,
    }
    client, _, names = _build([spec], horizon=10)
    response = client.post(
        "/api/v1/promise/",
        {"items": [{"sku": names["A"], "quantity": 2}], "destination": BERLIN},
        format="json",
    )
    (ship,) = response.json()["options"]
    assert (ship["available"], ship["source"]) == (True, "inbound")
    assert _intake_accepts(client, names, {"A": 2})
    client, _, names = _build([spec], horizon=2)  # expected beyond the horizon
    response = client.post(
        "/api/v1/promise/",
        {"items": [{"sku": names["A"], "quantity": 2}], "destination": BERLIN},
        format="json",
    )
    assert response.json()["options"][0]["available"] is False
    assert not _intake_accepts(client, names, {"A": 2})


def test_inbound_stock_alone_is_neither_promised_nor_accepted(db):
    """The defect: promise offered a date from inbound stock that intake refused."""
    spec = {
        "store": True,
        "on_hand": dict.fromkeys(SKUS, 0),
        "safety": 0,
        "inbound": dict.fromkeys(SKUS, 4),
        "inbound_in_days": 3,
    }
    client, (store,), names = _build([spec])
    response = client.post(
        "/api/v1/promise/",
        {"items": [{"sku": names["A"], "quantity": 2}], "destination": BERLIN},
        format="json",
    )
    ship, pickup = response.json()["options"]
    assert (ship["available"], pickup["available"]) == (False, False)
    assert not _intake_accepts(client, names, {"A": 2})
    assert not _intake_accepts(
        client, names, {"A": 2}, delivery_type="click_collect", pickup_location=store
    )
