"""The API's availability JSON built by PostgreSQL (inventory/availability_sql.py
`availability_json_call`) equals `availability_for_channel` rendered by `availability_as_dict`."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from django.db import connection
from django.utils import timezone

from inventory import selectors
from inventory.api.serializers import availability_as_dict
from inventory.models import InboundStock, Location, StockLevel
from tests.factories import ChannelFactory, LocationFactory, ProductFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL builds the JSON"),
]

KINDS = [Location.Kind.WAREHOUSE, Location.Kind.STORE, Location.Kind.SUPPLIER]


def _network(rng: random.Random, channel) -> list[str]:  # type: ignore[no-untyped-def]
    """Random SKUs over random locations: some serving the channel, some inactive or foreign,
    stock with reservations and safety stock above on hand, inbound of every status, dates
    around the horizons, inactive products."""
    other = ChannelFactory()
    today = timezone.localdate()
    locations = [
        LocationFactory(
            code=f"{rng.choice('abcz')}-{n}",
            kind=rng.choice(KINDS),
            active=rng.random() > 0.15,
            channels=rng.choice([[channel], [channel, other], [other], []]),
        )
        for n in range(rng.randint(1, 8))
    ]
    products = [
        ProductFactory(sku=f"S-{n}", active=rng.random() > 0.1) for n in range(rng.randint(1, 9))
    ]
    for product in products:
        for location in rng.sample(locations, rng.randint(0, len(locations))):
            on_hand = rng.randint(0, 20)
            StockLevel.objects.create(
                location=location,
                product=product,
                on_hand=on_hand,
                reserved=rng.randint(0, on_hand),
                safety_stock=rng.randint(0, 25),
            )
            for _ in range(rng.randint(0, 2)):
                expected = rng.randint(1, 12)
                received = rng.randint(0, expected)
                status = rng.choice(
                    [InboundStock.Status.OPEN] * 3 + [InboundStock.Status.CANCELLED]
                )
                is_open = status == InboundStock.Status.OPEN
                InboundStock.objects.create(
                    location=location,
                    product=product,
                    reference=f"PO-{rng.randint(1, 10**9)}",
                    expected_date=today + dt.timedelta(days=rng.randint(-3, 40)),
                    quantity_expected=expected,
                    quantity_received=received,
                    quantity_reserved=rng.randint(0, expected - received) if is_open else 0,
                    status=status,
                )
    asked = [p.sku for p in products] + ["UNKNOWN"]
    rng.shuffle(asked)
    return asked + asked[:2]  # duplicates are answered once, in the order first asked


@pytest.mark.parametrize("seed", range(12))
def test_json_equals_the_rendered_selector(seed: int) -> None:
    rng = random.Random(seed)
    channel = ChannelFactory(
        availability_buffer=rng.choice([0, 0, 2, 5]),
        sell_inbound=rng.random() > 0.4,
        inbound_horizon_days=rng.choice([0, 7, 30]),
        inbound_horizon_by_kind=rng.choice([{}, {"store": 3}, {"supplier": 60, "warehouse": 0}]),
    )
    asked = _network(rng, channel)
    for include_inbound in (True, False):
        for include_locations in (True, False):
            options = {"include_inbound": include_inbound, "include_locations": include_locations}
            text = selectors.availability_json_text(channel=channel, skus=asked, **options)
            rendered = [
                availability_as_dict(entry)
                for entry in selectors.availability_for_channel(
                    channel=channel, skus=asked, **options
                )
            ]
            assert text is not None
            assert json.loads(text) == rendered, options


def test_json_is_compact_and_in_the_documented_key_order(channel) -> None:  # type: ignore[no-untyped-def]
    product = ProductFactory(sku="A")
    StockLevel.objects.create(
        location=LocationFactory(code="wh", channels=[channel]), product=product, on_hand=3
    )
    text = selectors.availability_json_text(channel=channel, skus=["A"])
    assert text == (
        '[{"sku":"A","known":true,"available":3,"inbound_total":0,"preorder_available":0,'
        '"locations":[{"location":"wh","on_hand":3,"reserved":0,"safety_stock":0,'
        '"available":3}],"inbound":[]}]'
    )


def test_one_statement(channel, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    ProductFactory(sku="A")
    with django_assert_num_queries(1):
        selectors.availability_json_text(channel=channel, skus=["A", "B"])


def test_codes_that_need_escaping(channel) -> None:  # type: ignore[no-untyped-def]
    product = ProductFactory(sku='Q"1\\ä')
    StockLevel.objects.create(
        location=LocationFactory(code='wh"1\\ö', channels=[channel]), product=product, on_hand=2
    )
    asked = [product.sku, "näh"]
    text = selectors.availability_json_text(channel=channel, skus=asked)
    rendered = [
        availability_as_dict(entry)
        for entry in selectors.availability_for_channel(channel=channel, skus=asked)
    ]
    assert text is not None
    assert json.loads(text) == rendered
    assert rendered[0]["locations"][0]["location"] == 'wh"1\\ö'
