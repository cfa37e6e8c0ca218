"""Shipping addresses: which parts each country needs, what its postal codes look like, and the
coordinates routing uses after a change of place (resolved offline, or cleared: never stale).

One function per question, used by the API serializers, the staff console's address form and
the edit services alike, so the three cannot disagree.
"""

from __future__ import annotations

import re
from typing import Any

from django_countries import countries

from .errors import InvalidAddress
from .gazetteer import place_coordinates

COUNTRY_CODES = frozenset(code for code, _name in countries)

# Postal code formats (upper case, single spaces) of the main European markets and the US.
POSTAL_CODE_FORMATS: dict[str, tuple[str, str]] = {
    "AT": (r"\d{4}", "4 digits, e.g. 1010"),
    "BE": (r"\d{4}", "4 digits, e.g. 1000"),
    "BG": (r"\d{4}", "4 digits"),
    "CA": (r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "e.g. K1A 0B1"),
    "CH": (r"\d{4}", "4 digits, e.g. 8001"),
    "CZ": (r"\d{3} ?\d{2}", "e.g. 110 00"),
    "DE": (r"\d{5}", "5 digits, e.g. 10117"),
    "DK": (r"\d{4}", "4 digits, e.g. 1050"),
    "EE": (r"\d{5}", "5 digits"),
    "ES": (r"(?:0[1-9]|[1-4]\d|5[0-2])\d{3}", "5 digits, e.g. 28001"),
    "FI": (r"\d{5}", "5 digits, e.g. 00100"),
    "FR": (r"\d{5}", "5 digits, e.g. 75001"),
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "e.g. SW1A 1AA"),
    "GR": (r"\d{3} ?\d{2}", "e.g. 105 57"),
    "HR": (r"\d{5}", "5 digits"),
    "HU": (r"\d{4}", "4 digits"),
    "IE": (r"[A-Z]\d[\dW] ?[A-Z\d]{4}", "an Eircode, e.g. D02 X285"),
    "IT": (r"\d{5}", "5 digits, e.g. 00184"),
    "LI": (r"94(?:8[5-9]|9[0-8])", "e.g. 9490"),
    "LT": (r"(?:LT-)?\d{5}", "5 digits"),
    "LU": (r"(?:L-)?\d{4}", "4 digits, e.g. 1009"),
    "LV": (r"(?:LV-)?\d{4}", "e.g. LV-1050"),
    "NL": (r"[1-9]\d{3} ?[A-Z]{2}", "e.g. 1012 AB"),
    "NO": (r"\d{4}", "4 digits, e.g. 0150"),
    "PL": (r"\d{2}-\d{3}", "e.g. 00-950"),
    "PT": (r"\d{4}-\d{3}", "e.g. 1100-148"),
    "RO": (r"\d{6}", "6 digits"),
    "SE": (r"\d{3} ?\d{2}", "e.g. 111 22"),
    "SI": (r"\d{4}", "4 digits"),
    "SK": (r"\d{3} ?\d{2}", "e.g. 811 01"),
    "US": (r"\d{5}(?:-\d{4})?", "a ZIP code, e.g. 10001 or 10001-1234"),
}
_POSTAL_RE = {cc: re.compile(pattern) for cc, (pattern, _hint) in POSTAL_CODE_FORMATS.items()}
# Countries whose addresses need a state or province (`region`) to be delivered.
REGION_REQUIRED = frozenset({"US", "CA", "AU"})
# What locates a shipping address for routing: a change of any of these is a change of place.
PLACE_FIELDS = ("country", "postal_code", "city")  # a new street alone keeps them


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def address_problems(address: dict[str, Any], *, complete: bool) -> dict[str, str]:
    """field -> problem for one address (empty when it is fine).

    Always: a known ISO country and, where given, a postal code in the country's format.
    `complete` (an address goods are shipped to): street and city, the postal code where the
    country has a format above, and the region where the country needs one.
    """
    problems: dict[str, str] = {}
    country = _clean(address.get("country")).upper()
    if country not in COUNTRY_CODES:
        problems["country"] = "Give an ISO 3166-1 alpha-2 country code, e.g. DE."
    postal_code = _clean(address.get("postal_code")).upper()
    pattern = _POSTAL_RE.get(country)
    if postal_code and pattern is not None and not pattern.fullmatch(postal_code):
        problems["postal_code"] = (
            f"Not a postal code of {country}: {POSTAL_CODE_FORMATS[country][1]}."
        )
    if complete:
        for name in ("street", "city"):
            if not _clean(address.get(name)):
                problems[name] = f"A shipping address needs a {name.replace('_', ' ')}."
        if pattern is not None and not postal_code:
            problems["postal_code"] = f"Addresses in {country} need a postal code."
        if country in REGION_REQUIRED and not _clean(address.get("region")):
            problems["region"] = f"Addresses in {country} need a state or province."
    return problems


def address_normalise(address: dict[str, Any]) -> dict[str, Any]:
    """Whitespace collapsed, country and postal code upper case; other keys kept as given."""
    clean = dict(address)
    for name, value in address.items():
        if isinstance(value, str):
            clean[name] = _clean(value)
    if clean.get("country"):
        clean["country"] = clean["country"].upper()
    if clean.get("postal_code"):
        clean["postal_code"] = clean["postal_code"].upper()
    return clean


def shipping_address_validate(address: dict[str, Any]) -> dict[str, Any]:
    """The normalised address, or InvalidAddress with every problem in `details.fields`."""
    clean = address_normalise(address)
    problems = address_problems(clean, complete=True)
    if problems:
        raise InvalidAddress(details={"fields": problems})
    return clean


def _place(address: dict[str, Any]) -> tuple[str, ...]:
    return tuple(_clean(address.get(name)).casefold() for name in PLACE_FIELDS)


def _coordinates(address: dict[str, Any]) -> tuple[float, float] | None:
    lat, lon = address.get("latitude"), address.get("longitude")
    if lat is None or lon is None:
        return None
    return float(lat), float(lon)


def shipping_coordinates(
    *, before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """`after` with coordinates that belong to its place, and where they came from.

    Same place: the coordinates stay ("unchanged"). New place with coordinates of its own
    (different from the old ones) ("given"): they are kept. New place without them: resolved
    from the offline gazetteer ("gazetteer") or, failing that, removed ("cleared"), so routing
    goes by country instead of by a place the customer no longer lives at.
    """
    new = dict(after)
    old_coordinates = _coordinates(before)
    new_coordinates = _coordinates(new)
    if _place(before) == _place(new):
        return new, "unchanged"
    if new_coordinates is not None and new_coordinates != old_coordinates:
        return new, "given"
    resolved = place_coordinates(
        country=_clean(new.get("country")).upper(),
        postal_code=_clean(new.get("postal_code")),
        city=_clean(new.get("city")),
    )
    if resolved is None:
        new.pop("latitude", None)
        new.pop("longitude", None)
        return new, "cleared"
    new["latitude"], new["longitude"] = resolved
    return new, "gazetteer"
