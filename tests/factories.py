"""factory-boy factories shared by the integration, API and concurrency tests."""

from __future__ import annotations

import factory

from inventory.models import Location, Product, StockLevel, StockMovement
from oms.models import Channel


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    code = factory.Sequence(lambda n: f"shop-{n}")
    name = factory.Sequence(lambda n: f"Shop {n}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

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
    "LocationFactory",
    "ProductFactory",
    "StockMovement",
    "stock",
]
