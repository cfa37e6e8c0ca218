"""The demo network behind `manage.py seed_demo`: channels, locations, SKUs, stock, inbound.

Everything is deterministic (a fixed random seed) and idempotent: a second run adds only
what is missing and never counts stock again over what orders have since changed.
Stock goes in through the bulk import (`inventory.stock_import`), so the ledger explains
every unit from the start.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from inventory.models import InboundStock, Location, Product, StockLevel
from inventory.stock_import import stock_import
from oms.models import ApiKey, Channel
from oms.services import api_key_create

from .catalogue import ASSORTMENT, Variant, demo_variants
from .network import CHANNELS, DEMO_KEY_CHANNEL, DEMO_KEY_NAME, DEMO_KEY_SCOPES, LOCATIONS, SEED


@dataclass
class DemoSeedResult:
    channels_created: int = 0
    locations_created: int = 0
    products_created: int = 0
    stock_levels_created: int = 0
    stock_levels_present: int = 0
    movements: int = 0
    inbound_created: int = 0
    api_key: ApiKey | None = None
    raw_api_key: str = ""  # set only when the key was created by this run


def demo_seed(*, skus: int, new_key: bool = False) -> DemoSeedResult:
    """Create whatever of the demo network is missing (see the module docstring)."""
    result = DemoSeedResult()
    variants = demo_variants(skus)
    # About one SKU in thirty is sold out everywhere and comes back with a purchase order:
    # the demo's pre-order case.
    rng = random.Random(SEED)
    sold_out = {v.sku for v in variants if rng.random() < 1 / 30}
    with transaction.atomic():
        channels = _channels(result)
        locations = _locations(channels, result)
        products = _products(variants, result)
        _inbound(locations, products, sold_out, random.Random(SEED + 1), result)
        result.api_key, result.raw_api_key = _api_key(channels[DEMO_KEY_CHANNEL], new_key)
    # Stock last, in its own transaction: the import takes its own locks and commits.
    _stock(locations, products, sold_out, random.Random(SEED + 2), result)
    return result


def _channels(result: DemoSeedResult) -> dict[str, Channel]:
    channels = {}
    for spec in CHANNELS:
        channel, created = Channel.objects.get_or_create(
            code=spec["code"], defaults={k: v for k, v in spec.items() if k != "code"}
        )
        result.channels_created += created
        channels[channel.code] = channel
    return channels


def _locations(channels: dict[str, Channel], result: DemoSeedResult) -> list[Location]:
    locations = []
    for spec in LOCATIONS:
        fields = {k: v for k, v in spec.items() if k not in {"code", "channels"}}
        location, created = Location.objects.get_or_create(code=spec["code"], defaults=fields)
        if created:
            location.channels.set([channels[code] for code in spec["channels"]])
            result.locations_created += 1
        locations.append(location)
    return locations


def _products(variants: list[Variant], result: DemoSeedResult) -> list[tuple[Product, Variant]]:
    existing = set(
        Product.objects.filter(sku__in=[v.sku for v in variants]).values_list("sku", flat=True)
    )
    Product.objects.bulk_create(
        [
            Product(sku=v.sku, name=v.name, barcode=v.barcode)
            for v in variants
            if v.sku not in existing
        ],
        batch_size=500,
    )
    result.products_created = len(variants) - len(existing)
    by_sku = {p.sku: p for p in Product.objects.filter(sku__in=[v.sku for v in variants])}
    return [(by_sku[v.sku], v) for v in variants]


def _carries(location: Location, variant: Variant, rng: random.Random) -> bool:
    if variant.category not in ASSORTMENT[location.kind]:
        return False
    share = {Location.Kind.WAREHOUSE: 0.95, Location.Kind.STORE: 0.6, Location.Kind.SUPPLIER: 0.8}
    return rng.random() < share[location.kind]


def _stock_rows(
    locations: list[Location],
    products: list[tuple[Product, Variant]],
    sold_out: set[str],
    rng: random.Random,
) -> Iterator[tuple[str, str, int, int]]:
    """(location, sku, on_hand, safety_stock) for every SKU a location carries."""
    for product, variant in products:
        popularity = rng.choice([0.3, 0.6, 1.0, 1.0, 1.5, 2.5])
        for location in locations:
            if not _carries(location, variant, rng):
                continue
            if location.kind == Location.Kind.WAREHOUSE:
                on_hand = int(rng.randint(10, 250) * popularity)
                safety = rng.choice([0, 0, 0, 2, 5])
            elif location.kind == Location.Kind.STORE:
                on_hand = int(rng.randint(0, 8) * popularity)
                safety = 1 if on_hand and rng.random() < 0.25 else 0  # the display item
            else:
                on_hand = rng.randint(40, 400)
                safety = 0
            yield (location.code, product.sku, 0 if product.sku in sold_out else on_hand, safety)


def _stock(
    locations: list[Location],
    products: list[tuple[Product, Variant]],
    sold_out: set[str],
    rng: random.Random,
    result: DemoSeedResult,
) -> None:
    present = set(
        StockLevel.objects.filter(
            location__in=locations, product__in=[p for p, _ in products]
        ).values_list("location__code", "product__sku")
    )
    buffer = io.StringIO()
    buffer.write("location,sku,on_hand,safety_stock\n")
    for code, sku, on_hand, safety in _stock_rows(locations, products, sold_out, rng):
        # Never count again over stock that orders and feeds have moved since.
        if (code, sku) in present:
            result.stock_levels_present += 1
            continue
        buffer.write(f"{code},{sku},{on_hand},{safety}\n")
    buffer.seek(0)
    imported = stock_import(
        source=buffer, counted_at=timezone.now(), actor="system:seed_demo", reference="seed_demo"
    )
    result.stock_levels_created = imported.created
    result.movements = imported.movements


def _inbound(
    locations: list[Location],
    products: list[tuple[Product, Variant]],
    sold_out: set[str],
    rng: random.Random,
    result: DemoSeedResult,
) -> None:
    """Purchase orders arriving at the warehouses over the next five weeks; every sold-out
    SKU is on one."""
    warehouses = [loc for loc in locations if loc.kind == Location.Kind.WAREHOUSE]
    today = timezone.localdate()
    lines = []
    for number, (product, _) in enumerate(products):
        if rng.random() >= 0.12 and product.sku not in sold_out:
            continue
        week = rng.randint(0, 4)
        lines.append(
            InboundStock(
                location=warehouses[week % len(warehouses)],
                product=product,
                kind=InboundStock.Kind.PURCHASE_ORDER,
                reference=f"PO-DEMO-{week + 1:02d}",
                expected_date=today + dt.timedelta(days=3 + 7 * week + number % 4),
                quantity_expected=rng.choice([24, 48, 60, 96, 120, 240]),
            )
        )
    before = InboundStock.objects.filter(reference__startswith="PO-DEMO-").count()
    InboundStock.objects.bulk_create(lines, ignore_conflicts=True)
    result.inbound_created = (
        InboundStock.objects.filter(reference__startswith="PO-DEMO-").count() - before
    )


def _api_key(channel: Channel, new_key: bool) -> tuple[ApiKey, str]:
    existing = ApiKey.objects.filter(
        channel=channel, name=DEMO_KEY_NAME, revoked_at__isnull=True
    ).first()
    if existing is not None and not new_key:
        return existing, ""
    if existing is not None:
        existing.revoke()
    return api_key_create(
        channel=channel, name=DEMO_KEY_NAME, scopes=list(DEMO_KEY_SCOPES), created_by="seed_demo"
    )
