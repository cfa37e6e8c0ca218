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
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from oms.models import ApiKey, Channel
from oms.services import api_key_create

from .models import InboundStock, Location, Product, StockLevel
from .stock_import import stock_import

SEED = 20240917
DEMO_KEY_NAME = "demo"
DEMO_KEY_CHANNEL = "web-de"
DEMO_KEY_SCOPES = [ApiKey.Scope.ORDERS, ApiKey.Scope.STOCK_WRITE, ApiKey.Scope.LOCATION]

CHANNELS: list[dict[str, Any]] = [
    {"code": "web-de", "name": "Web shop DE", "kind": Channel.Kind.WEB_SHOP},
    {
        "code": "marketplace-eu",
        "name": "Marketplace EU",
        "kind": Channel.Kind.MARKETPLACE,
        # Marketplaces punish cancellations: keep two units per SKU back from them.
        "availability_buffer": 2,
    },
    {"code": "store-pos", "name": "Store POS", "kind": Channel.Kind.STORE},
]

_WAREHOUSE = {
    "kind": Location.Kind.WAREHOUSE,
    "ships": True,
    "click_collect": False,
    "accepts_returns": True,
    "processing_days": 1,
    "cutoff_hour": 16,
    "channels": ["web-de", "marketplace-eu"],
}
# Stores ship from store too, but a parcel packed by shop staff costs more than one from a
# warehouse line, and their daily capacity is small.
_STORE = {
    "kind": Location.Kind.STORE,
    "ships": True,
    "click_collect": True,
    "accepts_returns": True,
    "processing_days": 0,
    "cutoff_hour": 12,
    "base_cost": Decimal("7.90"),
    "cost_per_km": Decimal("0.0040"),
    "priority": 0,
    "channels": ["web-de", "store-pos"],
}


def _store(
    code: str,
    city: str,
    street: str,
    postal_code: str,
    country: str,
    lat: float,
    lon: float,
    capacity: int,
    **extra: Any,
) -> dict[str, Any]:
    return {
        **_STORE,
        "code": code,
        "name": f"Store {city}",
        "city": city,
        "street": street,
        "postal_code": postal_code,
        "country": country,
        "latitude": lat,
        "longitude": lon,
        "daily_capacity": capacity,
        "tags": ["store"],
        **extra,
    }


LOCATIONS: list[dict[str, Any]] = [
    {
        **_WAREHOUSE,
        "code": "wh-erfurt",
        "name": "Central warehouse Erfurt",
        "street": "Am Kreuzchen 5",
        "postal_code": "99095",
        "city": "Erfurt",
        "country": "DE",
        "latitude": 50.9981,
        "longitude": 11.1097,
        "daily_capacity": 6000,
        "base_cost": Decimal("4.20"),
        "cost_per_km": Decimal("0.0015"),
        "priority": 10,
        "tags": ["warehouse", "hub"],
        "served_countries": ["DE", "AT", "CH", "NL", "BE", "LU", "FR", "DK", "PL", "CZ"],
    },
    {
        **_WAREHOUSE,
        "code": "wh-rotterdam",
        "name": "Warehouse Rotterdam",
        "street": "Waalhaven Zuidzijde 25",
        "postal_code": "3089 JH",
        "city": "Rotterdam",
        "country": "NL",
        "latitude": 51.8897,
        "longitude": 4.4386,
        "daily_capacity": 3500,
        "base_cost": Decimal("4.60"),
        "cost_per_km": Decimal("0.0015"),
        "priority": 5,
        "tags": ["warehouse"],
        "served_countries": ["NL", "BE", "LU", "DE", "FR", "DK"],
    },
    _store(
        "store-berlin",
        "Berlin",
        "Tauentzienstraße 9",
        "10789",
        "DE",
        52.5023,
        13.3413,
        80,
        tags=["store", "flagship"],
    ),
    _store("store-hamburg", "Hamburg", "Mönckebergstraße 7", "20095", "DE", 53.5510, 10.0005, 60),
    _store("store-munich", "Munich", "Kaufingerstraße 15", "80331", "DE", 48.1374, 11.5723, 70),
    _store("store-cologne", "Cologne", "Schildergasse 32", "50667", "DE", 50.9363, 6.9528, 55),
    _store("store-frankfurt", "Frankfurt", "Zeil 90", "60313", "DE", 50.1145, 8.6851, 50),
    _store("store-amsterdam", "Amsterdam", "Kalverstraat 92", "1012 PH", "NL", 52.3701, 4.8912, 45),
    _store("store-vienna", "Vienna", "Mariahilfer Straße 77", "1060", "AT", 48.1979, 16.3511, 50),
    _store(
        "store-zurich",
        "Zurich",
        "Bahnhofstrasse 50",
        "8001",
        "CH",
        47.3717,
        8.5390,
        40,
        base_cost=Decimal("9.50"),
    ),
    {
        "code": "dropship-milan",
        "name": "Dropship partner Milan",
        "kind": Location.Kind.SUPPLIER,
        "street": "Via Gallarate 205",
        "postal_code": "20151",
        "city": "Milan",
        "country": "IT",
        "latitude": 45.5036,
        "longitude": 9.1182,
        "ships": True,
        "click_collect": False,
        "accepts_returns": False,
        "daily_capacity": 150,
        "processing_days": 3,
        "cutoff_hour": 11,
        "base_cost": Decimal("9.00"),
        "cost_per_km": Decimal("0.0025"),
        "priority": -10,
        "tags": ["dropship"],
        "served_countries": ["IT", "DE", "AT", "CH", "FR", "NL", "BE", "ES"],
        "channels": ["web-de", "marketplace-eu"],
    },
]

COLORS = [
    ("BLU", "blue"),
    ("BLK", "black"),
    ("GRY", "grey"),
    ("NAV", "navy"),
    ("GRN", "green"),
    ("RED", "red"),
    ("WHT", "white"),
    ("SND", "sand"),
    ("OLV", "olive"),
    ("ORG", "orange"),
]
_SHOES = [str(size) for size in range(38, 47)]
_APPAREL = ["XS", "S", "M", "L", "XL", "XXL"]


@dataclass(frozen=True)
class Article:
    code: str
    name: str
    category: str  # shoes, apparel, gear, home: which locations carry it
    sizes: tuple[str, ...] = ("",)


ARTICLES = [
    Article("TRL-RUN", "Trail running shoe", "shoes", tuple(_SHOES)),
    Article("RD-RUN", "Road running shoe", "shoes", tuple(_SHOES)),
    Article("HIK-BOOT", "Hiking boot, waterproof", "shoes", tuple(_SHOES)),
    Article("CRT-SNK", "Court sneaker", "shoes", tuple(_SHOES)),
    Article("TEC-TEE", "Technical running tee", "apparel", tuple(_APPAREL)),
    Article("MER-LS", "Merino long-sleeve base layer", "apparel", tuple(_APPAREL)),
    Article("RAIN-JKT", "Rain jacket, 2.5-layer", "apparel", tuple(_APPAREL)),
    Article("FLC-HOOD", "Fleece hoodie", "apparel", tuple(_APPAREL)),
    Article("RUN-SHRT", "Running shorts, 5 inch", "apparel", tuple(_APPAREL)),
    Article("TRK-PANT", "Trekking trousers, zip-off", "apparel", tuple(_APPAREL)),
    Article("DWN-VEST", "Down vest", "apparel", tuple(_APPAREL)),
    Article("CMP-SOCK", "Compression socks", "apparel", ("S", "M", "L")),
    Article("YOGA-MAT", "Yoga mat, 4 mm", "gear"),
    Article("BOTL-750", "Insulated bottle, 750 ml", "gear"),
    Article("DAYPK-22", "Daypack, 22 l", "gear"),
    Article("HDLAMP", "Headlamp, 400 lm", "gear"),
    Article("TNS-RKT", "Tennis racket", "gear", ("L1", "L2", "L3", "L4")),
    Article("RES-BAND", "Resistance band set", "gear", ("light", "medium", "heavy")),
    Article("LIN-DUV", "Linen duvet cover", "home", ("135x200", "155x220", "200x200")),
    Article("CTN-TWL", "Cotton bath towel", "home", ("50x100", "70x140")),
    Article("WOOL-THR", "Wool throw blanket", "home"),
    Article("STW-MUG", "Stoneware mug, 350 ml", "home"),
    Article("CST-PAN", "Cast-iron pan, 28 cm", "home", ("24 cm", "28 cm")),
    Article("SCN-CNDL", "Scented candle, cedar", "home"),
]

# Which categories each kind of location carries, and how much of it.
_ASSORTMENT = {
    Location.Kind.WAREHOUSE: {"shoes", "apparel", "gear", "home"},
    Location.Kind.STORE: {"shoes", "apparel", "gear"},
    Location.Kind.SUPPLIER: {"gear", "home"},
}


@dataclass(frozen=True)
class Variant:
    sku: str
    name: str
    barcode: str
    category: str


def _ean13(number: int) -> str:
    digits = f"400{number:09d}"  # 400-440: GS1 Germany
    checksum = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - checksum % 10) % 10)


def _variants() -> Iterator[Variant]:
    """Every demo SKU in a fixed order that mixes articles, so any prefix looks like a shop:
    round robin over the articles, one colour (all its sizes) at a time."""
    rng = random.Random(SEED)
    per_article: list[list[list[tuple[str, str]]]] = []  # article -> colour -> (sku, name)
    for article in ARTICLES:
        colors = COLORS[:]
        rng.shuffle(colors)
        per_article.append(
            [
                [
                    (
                        "-".join(p for p in (article.code, code, size.replace(" ", "")) if p),
                        ", ".join(p for p in (article.name, color, size) if p),
                    )
                    for size in article.sizes
                ]
                for code, color in colors
            ]
        )
    number = 0
    for color_round in range(len(COLORS)):
        for article, groups in zip(ARTICLES, per_article, strict=True):
            for sku, name in groups[color_round]:
                number += 1
                yield Variant(sku.upper(), name, _ean13(number), article.category)


def demo_variants(count: int) -> list[Variant]:
    variants = []
    for variant in _variants():
        if len(variants) >= count:
            break
        variants.append(variant)
    return variants


def all_demo_skus() -> list[str]:
    return [v.sku for v in _variants()]


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
    if variant.category not in _ASSORTMENT[location.kind]:
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


def demo_reset() -> dict[str, int]:
    """Delete the demo channels, locations and SKUs and everything that refers to them.

    Orders, stock levels, the ledger, inbound stock and API keys of the demo go too: this is
    the one place that deletes ledger rows, because the levels they explain are deleted.
    """
    from django.apps import apps

    deleted: dict[str, int] = {}
    channel_codes = [spec["code"] for spec in CHANNELS]
    with transaction.atomic():
        # Orders first: their fulfilment lines protect the reservations below.
        order_model = apps.get_model("orders", "Order")
        _purge(order_model.objects.filter(channel__code__in=channel_codes), deleted)
        _purge(Location.objects.filter(code__in=[spec["code"] for spec in LOCATIONS]), deleted)
        _purge(Product.objects.filter(sku__in=all_demo_skus()), deleted)
        _purge(Channel.objects.filter(code__in=[spec["code"] for spec in CHANNELS]), deleted)
    return deleted


def _purge(queryset: models.QuerySet, deleted: dict[str, int], path: tuple = ()) -> None:
    """Delete rows and, first, every row that refers to them (PROTECT included)."""
    model = queryset.model
    if model in path:  # a cycle: let the database's cascades settle it
        return
    for relation in model._meta.related_objects:
        if relation.many_to_many:  # auto-created link rows go with the row itself
            continue
        dependents = relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": queryset}
        )
        _purge(dependents, deleted, (*path, model))
    _, counts = queryset.delete()
    for label, count in counts.items():
        if count:
            deleted[label] = deleted.get(label, 0) + count
