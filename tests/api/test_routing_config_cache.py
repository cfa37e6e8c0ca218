"""The per-process routing configuration cache (routing/config_cache.py) never routes on a
stale network or strategy: every change gives the channels a new stamp, and the API reads
the channel fresh with its key on every request."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oms.models import Channel
from routing.models import RoutingStrategy, StrategyVersion
from routing.services import strategy_draft_create, strategy_version_activate
from tests.factories import BERLIN, MUNICH, LocationFactory, ProductFactory, stock

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def place(client, ref: str, qty: int = 1):  # type: ignore[no-untyped-def]
    body = {
        "external_reference": ref,
        "currency": "EUR",
        "shipping_address": dict(BERLIN),
        "lines": [{"sku": "CACHE-SKU", "quantity": qty, "unit_price": "5.00"}],
    }
    response = client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY=f"key-{ref}")
    return response


@pytest.fixture
def shop(channel):  # type: ignore[no-untyped-def]
    berlin = LocationFactory(
        code="c-berlin", channels=[channel], cost_per_km=Decimal("0.1"), **_at(BERLIN)
    )
    munich = LocationFactory(
        code="c-munich", channels=[channel], cost_per_km=Decimal("0.1"), **_at(MUNICH)
    )
    product = ProductFactory(sku="CACHE-SKU")
    stock(berlin, product, 100)
    stock(munich, product, 100)
    return berlin, munich, product


def _at(point: dict) -> dict:  # type: ignore[type-arg]
    return {"latitude": point["latitude"], "longitude": point["longitude"]}


def _locations(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 201, response.content
    return [f["location"] for f in response.json()["fulfilments"]]


def test_warm_intake_reads_no_locations_or_strategies(api_client, shop):  # type: ignore[no-untyped-def]
    assert _locations(place(api_client, "W-1")) == ["c-berlin"]

    with CaptureQueriesContext(connection) as warm:
        assert _locations(place(api_client, "W-2")) == ["c-berlin"]

    tables = " ".join(q["sql"] for q in warm.captured_queries)
    assert "inventory_location" not in tables.replace("inventory_location_id", "")
    assert "routing_strategyversion" not in tables


def test_a_deactivated_location_is_not_used_by_the_next_order(api_client, shop):  # type: ignore[no-untyped-def]
    berlin, _, _ = shop
    assert _locations(place(api_client, "D-1")) == ["c-berlin"]  # cached now

    berlin.active = False
    berlin.save()

    assert _locations(place(api_client, "D-2")) == ["c-munich"]


def test_a_location_added_to_the_channel_is_used_by_the_next_order(api_client, channel, shop):  # type: ignore[no-untyped-def]
    _, _, product = shop
    assert _locations(place(api_client, "A-1", qty=150)) == ["c-berlin", "c-munich"]
    hamburg = LocationFactory(code="c-hamburg", latitude=53.55, longitude=9.99)
    stock(hamburg, product, 500)
    # Not serving the channel yet: 50 units left in Berlin and Munich, Hamburg not counted.
    assert place(api_client, "A-2", qty=200).json()["code"] == "out_of_stock"

    hamburg.channels.add(channel)

    assert _locations(place(api_client, "A-3", qty=300)) == ["c-hamburg"]


def test_a_location_removed_from_the_channel_is_not_used(api_client, channel, shop):  # type: ignore[no-untyped-def]
    berlin, _, _ = shop
    assert _locations(place(api_client, "R-1")) == ["c-berlin"]

    berlin.channels.remove(channel)

    assert _locations(place(api_client, "R-2")) == ["c-munich"]


def test_an_activated_strategy_routes_the_next_order(api_client, shop):  # type: ignore[no-untyped-def]
    berlin, munich, product = shop
    stock(munich, product, 400)  # Munich is deeper: a stock-depth strategy picks it
    assert _locations(place(api_client, "S-1")) == ["c-berlin"]
    strategy = RoutingStrategy.objects.create(name="depth", destination_country="DE")
    draft = strategy_draft_create(strategy=strategy, actor="staff")
    draft.rating_weights = {"stock_depth": 1.0}
    draft.save()

    strategy_version_activate(version=draft, actor="staff")

    response = place(api_client, "S-2")
    assert _locations(response) == ["c-munich"]
    assert response.json()["strategy_name"] == "depth v1"
    assert StrategyVersion.objects.get().status == StrategyVersion.Status.ACTIVE


def test_every_change_gives_every_channel_a_new_stamp(channel, shop):  # type: ignore[no-untyped-def]
    berlin, _, _ = shop
    other = Channel.objects.create(code="other", name="Other")
    before = dict(Channel.objects.values_list("pk", "routing_stamp"))

    berlin.cost_per_km = Decimal("0.2")
    berlin.save()

    after = dict(Channel.objects.values_list("pk", "routing_stamp"))
    assert after[channel.pk] != before[channel.pk]
    assert after[other.pk] != before[other.pk]
