"""Routing reads, by topic: strategy selection (`routing.strategy_selection`), the snapshot of
candidates for the planner (`routing.snapshot`), simulate and promise (`routing.simulation`).
This module re-exports their public names for callers that read "a routing selector"."""

from routing.simulation import (
    Promise,
    Simulation,
    delivery_promise,
    inbound_supply,
    route_simulate,
)
from routing.snapshot import (
    CapacityHook,
    CapacityUsed,
    LocationRow,
    Snapshot,
    routing_snapshot,
    snapshot_locations,
    snapshot_with_inbound,
)
from routing.strategy_selection import ChosenStrategy, strategy_for_context, strategy_version_get

__all__ = [
    "CapacityHook",
    "ChosenStrategy",
    "LocationRow",
    "Promise",
    "Simulation",
    "Snapshot",
    "CapacityUsed",
    "delivery_promise",
    "inbound_supply",
    "route_simulate",
    "routing_snapshot",
    "snapshot_locations",
    "snapshot_with_inbound",
    "strategy_for_context",
    "strategy_version_get",
]
