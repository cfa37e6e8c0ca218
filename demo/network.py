"""The demo network's data: channels and locations (warehouses, stores, a dropship partner)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from inventory.models import Location
from oms.models import ApiKey, Channel

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
