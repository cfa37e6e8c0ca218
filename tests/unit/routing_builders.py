"""Builders for routing unit tests: candidates and requests with sensible defaults.

Every test states only what matters to it; everything else is a location in Frankfurt that ships
to Germany, serves channel 1 and has no stock.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from routing.planner import (
    CLICK_COLLECT,
    SHIP,
    Candidate,
    Destination,
    PlanLine,
    RoutingRequest,
)

FRANKFURT = (50.1109, 8.6821)
BERLIN = (52.5200, 13.4050)
MUNICH = (48.1351, 11.5820)
HAMBURG = (53.5511, 9.9937)


def candidate(
    location_id: int, atp: Mapping[str, int] | None = None, **overrides: Any
) -> Candidate:
    fields: dict[str, Any] = {
        "location_id": location_id,
        "code": f"LOC-{location_id}",
        "name": f"Location {location_id}",
        "kind": "warehouse",
        "active": True,
        "country": "DE",
        "latitude": FRANKFURT[0],
        "longitude": FRANKFURT[1],
        "services": frozenset({"ship", "click_collect"}),
        "channel_ids": frozenset({1}),
        "atp": dict(atp or {}),
    }
    fields.update(overrides)
    return Candidate(**fields)


def line(line_id: str, sku: str, quantity: int, price: str = "10") -> PlanLine:
    return PlanLine(line_id=line_id, sku=sku, quantity=quantity, unit_price=Decimal(price))


def request(
    *lines: PlanLine,
    at: tuple[float, float] | None = FRANKFURT,
    country: str = "DE",
    **overrides: Any,
) -> RoutingRequest:
    dest = Destination(country, at[0], at[1]) if at else Destination(country)
    fields: dict[str, Any] = {
        "lines": lines or (line("l1", "A", 1),),
        "destination": dest,
        "delivery_type": SHIP,
        "channel_id": 1,
    }
    fields.update(overrides)
    return RoutingRequest(**fields)


def pickup_request(store_id: int, *lines: PlanLine, **overrides: Any) -> RoutingRequest:
    return request(*lines, delivery_type=CLICK_COLLECT, pickup_location_id=store_id, **overrides)


def entry(plan_log: dict, location_id: int) -> dict:
    """The decision-log entry of one candidate."""
    return next(e for e in plan_log["candidates"] if e["location_id"] == location_id)


def allocation(plan: Any) -> dict[int, dict[str, int]]:
    """{location_id: {line_id: quantity}} for easy assertions."""
    out: dict[int, dict[str, int]] = {}
    for f in plan.fulfilments:
        for pl in f.lines:
            out.setdefault(f.location_id, {})[pl.line_id] = pl.quantity
    return out
