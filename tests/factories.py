"""factory-boy factories shared by the integration, API and concurrency tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import factory

from inventory.models import InboundStock, Location, Product, StockLevel, StockMovement
from oms.models import Channel


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    code = factory.Sequence(lambda n: f"shop-{n}")
    name = factory.Sequence(lambda n: f"Shop {n}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        skip_postgeneration_save = True  # the channels hook saves through the M2M manager

    code = factory.Sequence(lambda n: f"loc-{n}")
    name = factory.Sequence(lambda n: f"Location {n}")
    kind = Location.Kind.WAREHOUSE
    country = "DE"
    city = "Berlin"
    latitude = 52.52
    longitude = 13.405
    ships = True

    @factory.post_generation
    def channels(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.channels.set(extracted)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")


class InboundStockFactory(factory.django.DjangoModelFactory):
    """An open purchase order line, expected in a week, nothing received yet."""

    class Meta:
        model = InboundStock

    location = factory.SubFactory(LocationFactory)
    product = factory.SubFactory(ProductFactory)
    kind = InboundStock.Kind.PURCHASE_ORDER
    reference = factory.Sequence(lambda n: f"PO-{n:05d}")
    expected_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=7))
    quantity_expected = 10
    quantity_received = 0
    status = InboundStock.Status.OPEN


def stock(location: Location, product: Product, on_hand: int, safety_stock: int = 0) -> StockLevel:
    """A stock level created through the ledger, so the ledger equation holds from the start."""
    from inventory.services import stock_adjust, stock_set_safety

    level = None
    if on_hand:
        level = stock_adjust(
            location=location, product=product, delta=on_hand, reason="test stock", actor="test"
        )
    if safety_stock:
        level = stock_set_safety(
            location=location, product=product, safety_stock=safety_stock, actor="test"
        )
    if level is None:
        level, _ = StockLevel.objects.get_or_create(location=location, product=product)
    level.refresh_from_db()
    return level


__all__ = [
    "ChannelFactory",
    "InboundStockFactory",
    "LocationFactory",
    "ProductFactory",
    "StockMovement",
    "stock",
]


# --- Orders: inputs, placing, API keys (shared by the order integration and API tests) ---

BERLIN = {
    "street": "Alexanderplatz 1",
    "postal_code": "10178",
    "city": "Berlin",
    "country": "DE",
    "latitude": 52.52,
    "longitude": 13.405,
}
MUNICH = {
    "street": "Marienplatz 1",
    "postal_code": "80331",
    "city": "München",
    "country": "DE",
    "latitude": 48.137,
    "longitude": 11.575,
}
PARIS = {
    "street": "Rue de Rivoli 1",
    "postal_code": "75001",
    "city": "Paris",
    "country": "FR",
    "latitude": 48.857,
    "longitude": 2.352,
}


def order_network(channel: Channel, *, with_paris: bool = False) -> SimpleNamespace:
    """The order tests' network, without stock: warehouses in Berlin and Munich (and Paris)
    whose shipping costs per km - the nearest is the cheapest -, a Berlin pickup store that
    does not ship, and the SKUs SHIRT and MUG."""

    def warehouse(code: str, address: dict) -> Location:
        return LocationFactory(
            code=code,
            channels=[channel],
            cost_per_km=Decimal("0.10"),
            country=address["country"],
            latitude=address["latitude"],
            longitude=address["longitude"],
        )

    net = SimpleNamespace(
        channel=channel,
        berlin=warehouse("wh-berlin", BERLIN),
        munich=warehouse("wh-munich", MUNICH),
        store=LocationFactory(
            code="store-berlin",
            kind=Location.Kind.STORE,
            channels=[channel],
            ships=False,
            click_collect=True,
            latitude=52.50,
            longitude=13.40,
        ),
        shirt=ProductFactory(sku="SHIRT"),
        mug=ProductFactory(sku="MUG"),
    )
    if with_paris:
        net.paris = warehouse("wh-paris", PARIS)
    return net


_order_refs = iter(range(1, 10**9))


def order_input(*lines, ref: str | None = None, address: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
    """An OrderInput; `lines` are (sku, quantity) or (sku, quantity, unit price) tuples."""
    from decimal import Decimal

    from orders.services import LineInput, OrderInput

    return OrderInput(
        external_reference=ref or f"ORD-{next(_order_refs):06d}",
        currency=kwargs.pop("currency", "EUR"),
        lines=tuple(
            LineInput(
                sku=ln[0],
                quantity=ln[1],
                unit_price=Decimal(str(ln[2] if len(ln) > 2 else "10.00")),
            )
            for ln in lines
        ),
        shipping_address=dict(BERLIN if address is None else address),
        **kwargs,
    )


# What a location sends when it ships a parcel (carrier and tracking number are required).
TRACKING = {"ship": {"carrier": "DHL", "tracking_number": "00340434161234567890"}}


def place_order(channel: Channel, *lines, actor: str = "test", **kwargs):  # type: ignore[no-untyped-def]
    """Place an order through orders.services.order_create (see order_input for `lines`)."""
    from orders.services import order_create

    return order_create(channel=channel, data=order_input(*lines, **kwargs), actor=actor)


def level_of(location: Location, product: Product) -> StockLevel:
    """The stock level, fresh from the database."""
    return StockLevel.objects.get(location=location, product=product)


def raw_api_key(channel: Channel, scopes: list[str], location: Location | None = None) -> str:
    """A new API key for `channel` (optionally a location system's key); returns the secret."""
    from inventory.api_keys import api_key_location_bind
    from oms.services import api_key_create

    key, raw = api_key_create(channel=channel, name=f"key-{next(_order_refs)}", scopes=scopes)
    if location is not None:
        api_key_location_bind(key=key, location_code=location.code)
    return raw


def api_client_for(raw_key: str):  # type: ignore[no-untyped-def]
    """DRF's test client with the key, its requests through API_MIDDLEWARE as oms.wsgi serves
    /api/v1/ (not the site's MIDDLEWARE): for API paths only."""
    from django.conf import settings
    from rest_framework.test import APIClient, ForceAuthClientHandler

    from oms.wsgi import middleware_setting

    class ApiHandler(ForceAuthClientHandler):
        def load_middleware(self, is_async: bool = False) -> None:
            with middleware_setting(settings.API_MIDDLEWARE):
                super().load_middleware(is_async)

    client = APIClient()
    client.handler = ApiHandler(enforce_csrf_checks=False)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


__all__ += [
    "BERLIN",
    "MUNICH",
    "PARIS",
    "api_client_for",
    "level_of",
    "order_input",
    "place_order",
    "raw_api_key",
]
