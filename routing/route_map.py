"""A picture of a routing decision: the destination and every candidate location projected
onto a small plane, coloured by what routing made of it, with a line from each chosen
location to where its goods go (pure: plain data in, screen coordinates out; no tiles, no
network).

The projection is equirectangular around the points' mean latitude (a degree of longitude
shrinks by cos(latitude)), scaled to fit the box with its aspect kept: good enough for the
hundreds of kilometres between a retailer's locations, and free of any map data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import cos, radians

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
