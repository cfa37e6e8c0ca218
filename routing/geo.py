"""Great-circle distance, the only geography routing needs.

Haversine (a sphere) rather than Vincenty (an ellipsoid): ratings compare locations with each
other, so the ~0.5 % error cancels out, and haversine is cheap enough to run for every candidate
of every order.
"""

from __future__ import annotations

from collections.abc import Callable
from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km along the earth's surface between two points given in degrees."""
    phi1 = radians(lat1)
    phi2 = radians(lat2)
    half_dphi = (phi2 - phi1) * 0.5
    half_dlambda = radians(lon2 - lon1) * 0.5
    a = sin(half_dphi) ** 2 + cos(phi1) * cos(phi2) * sin(half_dlambda) ** 2
    # min() guards against a > 1 from rounding for antipodal points.
    return 2.0 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(a)))


def distance_km(
    lat1: float | None, lon1: float | None, lat2: float | None, lon2: float | None
) -> float | None:
    """Haversine distance, or None when either point has no coordinates."""
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    return haversine_km(lat1, lon1, lat2, lon2)


def distance_from(lat: float, lon: float) -> Callable[[float, float], float]:
    """``haversine_km`` with one end fixed: the destination's trigonometry is computed once.

    Routing measures every candidate against the same destination; this halves the work per call.
    """
    phi2 = radians(lat)
    cos_phi2 = cos(phi2)
    lambda2 = radians(lon)
    diameter = 2.0 * EARTH_RADIUS_KM

    def km_to(lat1: float, lon1: float) -> float:
        phi1 = radians(lat1)
        a = (
            sin((phi2 - phi1) * 0.5) ** 2
            + cos(phi1) * cos_phi2 * sin((lambda2 - radians(lon1)) * 0.5) ** 2
        )
        return diameter * asin(min(1.0, sqrt(a)))

    return km_to
