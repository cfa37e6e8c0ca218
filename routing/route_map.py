"""A picture of a routing decision: the destination and every candidate location projected
onto a small plane, coloured by what routing made of it, with a line from each chosen
location to where its goods go (pure: plain data in, screen coordinates out; no tiles, no
network).

The projection is equirectangular around the points' mean latitude (a degree of longitude
shrinks by cos(latitude)), scaled to fit the box with its aspect kept: good enough for the
hundreds of kilometres between a retailer's locations, and free of any map data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import cos, radians
from typing import Any

CHOSEN = "chosen"
FENCED = "fenced"
RATED = "rated"
DESTINATION = "destination"


@dataclass(frozen=True)
class MapPlace:
    """A location to draw: `status` is CHOSEN, FENCED or RATED; `note` is its hover text."""

    key: int
    code: str
    latitude: float | None
    longitude: float | None
    status: str
    note: str = ""


@dataclass(frozen=True)
class MapPoint:
    key: int | None
    code: str
    x: float
    y: float
    status: str
    note: str


@dataclass(frozen=True)
class MapLink:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class RouteMap:
    width: int
    height: int
    points: list[MapPoint]  # chosen ones last, so they are drawn on top
    links: list[MapLink]
    destination: MapPoint | None
    unplaced: list[str]  # codes of locations without coordinates (listed under the map)

    @property
    def chosen_codes(self) -> list[str]:
        return [p.code for p in self.points if p.status == CHOSEN]


def route_map(
    *,
    places: Sequence[MapPlace],
    destination: tuple[float, float] | None,
    links: Sequence[tuple[int, int | None]] = (),
    destination_label: str = "customer",
    width: int = 520,
    height: int = 360,
    margin: int = 28,
) -> RouteMap | None:
    """Project `places` and the destination (lat, lon) into a width x height box.

    `links`: (from location key, to location key or None for the destination), e.g. a chosen
    warehouse to the customer, or to the pickup store it transfers to. None when nothing has
    coordinates.
    """
    located: dict[MapPlace, tuple[float, float]] = {
        p: (p.latitude, p.longitude)
        for p in places
        if p.latitude is not None and p.longitude is not None
    }
    coords = list(located.values())
    if destination is not None:
        coords.append(destination)
    if not coords:
        return None
    mean_lat = sum(lat for lat, _ in coords) / len(coords)
    shrink = max(cos(radians(mean_lat)), 0.05)
    xs = [lon * shrink for _, lon in coords]
    ys = [lat for lat, _ in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 0.1)
    scale = min(width - 2 * margin, height - 2 * margin) / span
    # Centre the drawing in the box.
    x_mid = (max(xs) + min(xs)) / 2
    y_mid = (max(ys) + min(ys)) / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        x = width / 2 + (lon * shrink - x_mid) * scale
        y = height / 2 - (lat - y_mid) * scale
        return round(x, 1), round(y, 1)

    order = {FENCED: 0, RATED: 1, CHOSEN: 2}
    points = []
    for place in sorted(located, key=lambda p: (order.get(p.status, 0), p.code)):
        x, y = project(*located[place])
        points.append(MapPoint(place.key, place.code, x, y, place.status, place.note))
    dest = None
    if destination is not None:
        x, y = project(*destination)
        dest = MapPoint(None, destination_label, x, y, DESTINATION, destination_label)
    by_key = {p.key: p for p in points}
    drawn = []
    for source, target in links:
        start = by_key.get(source)
        end = dest if target is None else by_key.get(target)
        if start is not None and end is not None:
            drawn.append(MapLink(start.x, start.y, end.x, end.y))
    unplaced = sorted(p.code for p in places if p not in located)
    return RouteMap(width, height, points, drawn, dest, unplaced)


def candidate_notes(entries: Iterable[Mapping[str, Any]]) -> dict[int, tuple[bool, str]]:
    """location id -> (fenced out, hover text) from a decision log's candidates; a location
    listed in several roles counts as fenced only if every role fenced it."""
    notes: dict[int, tuple[bool, str]] = {}
    for entry in entries:
        location_id = entry.get("location_id")
        if not isinstance(location_id, int):
            continue
        fence = entry.get("eliminated_by")
        if fence:
            text = f"fenced out: {entry.get('reason') or str(fence).replace('_', ' ')}"
        else:
            parts = []
            if entry.get("distance_km") is not None:
                parts.append(f"{entry['distance_km']:.0f} km")
            if entry.get("cost") is not None:
                parts.append(f"cost {entry['cost']:.2f}")
            if entry.get("total_penalty") is not None:
                parts.append(f"penalty {entry['total_penalty']:.3f}")
            text = "rated: " + (", ".join(parts) or "eligible")
        before = notes.get(location_id)
        if before is None or (before[0] and not fence):
            notes[location_id] = (bool(fence), text)
    return notes


def decision_route_map(
    *,
    log: Mapping[str, Any] | None,
    fulfilments: Iterable[tuple[int, int | None]],
    destination: tuple[float, float] | None,
    destination_label: str,
    locations: Mapping[int, tuple[str, float | None, float | None]],
) -> RouteMap | None:
    """The map for one decision log, with `fulfilments` ((location id, transfer target id))
    marked chosen; `locations`: id -> (code, latitude, longitude)."""
    notes = candidate_notes((log or {}).get("candidates") or ())
    live = list(fulfilments)
    chosen = {location_id for location_id, _ in live}
    places = []
    for location_id in sorted(set(notes) | chosen | {t for _, t in live if t}):
        if location_id not in locations:
            continue
        code, latitude, longitude = locations[location_id]
        fenced, note = notes.get(location_id, (False, ""))
        if location_id in chosen:
            status, note = CHOSEN, "fulfils this order" + (f" ({note})" if note else "")
        else:
            status = FENCED if fenced else RATED
        places.append(MapPlace(location_id, code, latitude, longitude, status, note))
    return route_map(
        places=places,
        destination=destination,
        links=live,
        destination_label=destination_label,
    )
