"""Data for the staff console tests (integration and browser): an order with two lines routed to
a warehouse in Berlin, a second warehouse in Munich with stock for reroutes, a pickup store."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Permission, User

from inventory.models import Location, Product
from oms.models import Channel
from orders import services
from orders.models import Order
from tests.factories import ChannelFactory, LocationFactory, ProductFactory, stock

CONSOLE_PERMISSIONS = ("edit_order", "cancel_order", "reroute_order", "transition_fulfilment")
PASSWORD = "console-pass-123"


@dataclass
class ConsoleWorld:
    channel: Channel
    berlin: Location
    munich: Location
    store: Location
    shirt: Product
    mug: Product
    order: Order


def console_world(reference: str = "WEB-1001") -> ConsoleWorld:
    channel = ChannelFactory(code="web-de", name="Web shop DE")
    berlin = LocationFactory(
        code="wh-berlin",
        name="Berlin warehouse",
        channels=[channel],
        latitude=52.52,
        longitude=13.4,
    )
    munich = LocationFactory(
        code="wh-munich",
        name="Munich warehouse",
        city="Munich",
        channels=[channel],
        latitude=48.14,
        longitude=11.58,
    )
    store = LocationFactory(
        code="store-hamburg",
        name="Hamburg store",
        city="Hamburg",
        kind=Location.Kind.STORE,
        channels=[channel],
        latitude=53.55,
        longitude=9.99,
        ships=False,
        click_collect=True,
    )
    shirt = ProductFactory(sku="SHIRT-M", name="T-shirt M")
    mug = ProductFactory(sku="MUG-1", name="Mug")
    for location in (berlin, munich, store):
        stock(location, shirt, 10)
        stock(location, mug, 10)
    order = services.order_create(
        channel=channel,
        data=services.OrderInput(
            external_reference=reference,
            currency="EUR",
            customer_email="erika@example.com",
            customer_name="Erika Mustermann",
            lines=(
                services.LineInput(sku="SHIRT-M", quantity=2, unit_price=Decimal("19.90")),
                services.LineInput(sku="MUG-1", quantity=1, unit_price=Decimal("9.50")),
            ),
            shipping_address={
                "name": "Erika Mustermann",
                "street": "Street A 1",
                "postal_code": "10115",
                "city": "Berlin",
                "country": "DE",
                "latitude": 52.53,
                "longitude": 13.38,
            },
        ),
        actor="api-key:test",
    )
    return ConsoleWorld(channel, berlin, munich, store, shirt, mug, order)


def staff_user(username: str, *codenames: str) -> User:
    """A staff member with `view_order` plus the given orders permissions."""
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="orders", codename__in=["view_order", *codenames]
        )
    )
    return user
