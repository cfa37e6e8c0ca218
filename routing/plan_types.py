"""The plain data the routing planner takes and returns.

Kept apart from ``planner.py`` so that ``fences.py``, ``ratings.py`` and ``search.py`` can share
these types without an import cycle; ``routing.planner`` re-exports every name here, so callers
import from there. Nothing in this module (or anywhere the planner imports) may touch Django:
routing must stay a pure function over plain data so it can be unit tested, benchmarked and
replayed against a draft strategy without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

SHIP = "ship"
CLICK_COLLECT = "click_collect"
DELIVERY_TYPES: tuple[str, ...] = (SHIP, CLICK_COLLECT)

# Services a location can offer (``Candidate.services``).
SERVICE_SHIP = "ship"
SERVICE_CLICK_COLLECT = "click_collect"
SERVICE_RETURNS = "returns"


def _default_rating_weights() -> dict[str, float]:
    # Lowest shipping cost is what a retailer without a tuned strategy expects.
    return {"shipping_cost": 1.0}


@dataclass(frozen=True)
class PlanLine:
    """An order line to route. Lines of the same SKU share stock (see ``plan_order``)."""

    line_id: str
    sku: str
    quantity: int
    unit_price: Decimal = Decimal("0")


@dataclass(frozen=True)
class Destination:
    """Where the goods go; coordinates are optional because not every address geocodes."""

    country: str  # ISO 3166-1 alpha-2
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class RoutingRequest:
    """Everything about the order that routing needs, and nothing else."""

    lines: tuple[PlanLine, ...]
    destination: Destination
    delivery_type: str = SHIP  # SHIP or CLICK_COLLECT
    pickup_location_id: int | None = None
    channel_id: int | None = None
    # Locations that rejected this order or that staff blacklisted for it (reroute).
    excluded_location_ids: frozenset[int] = frozenset()
    # Staff override: only this location may fulfil. For click & collect it names the transfer
    # source (or the pickup store itself); the pickup store stays the pickup point either way.
    forced_location_id: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A snapshot of one location, built by an ORM adapter elsewhere.

    A snapshot (not a model instance) so a plan can be reproduced from the decision log and so the
    planner cannot accidentally issue queries.
    """

    location_id: int
    code: str
    name: str
    kind: str  # "warehouse" | "store" | "supplier"
    active: bool
    country: str
    latitude: float | None
    longitude: float | None
    services: frozenset[str]  # subset of {"ship", "click_collect", "returns"}
    channel_ids: frozenset[int]  # channels this location may serve
    atp: Mapping[str, int]  # sku -> available to promise now
    capacity_left: int | None = None  # orders it can still take today; None = unlimited
    base_cost: float = 0.0  # cost per fulfilment (parcel)
    cost_per_km: float = 0.0
    priority: int = 0  # manual priority; higher is preferred
    tags: frozenset[str] = frozenset()
    served_countries: frozenset[str] = frozenset()  # empty = only its own country
    processing_days: int = 0
    # Pre-orders: a candidate standing for inbound stock expected at location `inbound_at` on
    # `available_on` (its `location_id` is then a unique negative stand-in and `atp` is the
    # sellable inbound quantity). `wait_days` (>= 1) ranks it after every on-hand candidate.
    inbound_at: int | None = None
    available_on: date | None = None
    wait_days: int = 0


@dataclass(frozen=True)
class SplitPolicy:
    """When an order may be split over several fulfilments (each one is a parcel to pay for)."""

    allowed: bool = True
    max_parts: int | None = None  # None = unlimited
    # Each part of a split must be worth at least this (sum of quantity * unit price).
    min_part_value: Decimal = Decimal("0")


@dataclass(frozen=True)
class StrategyConfig:
    """One version of a routing strategy, as plain data (the ORM model is converted elsewhere)."""

    name: str = "default"
    version: int = 1
    max_distance_km: float | None = None
    rating_weights: Mapping[str, float] = field(default_factory=_default_rating_weights)
    tag_preferences: Mapping[str, float] = field(default_factory=dict)  # tag -> bonus
    split: SplitPolicy = SplitPolicy()
    # Click & collect: may stock be transferred into the pickup store from other locations?
    allow_transfer_to_pickup: bool = False
    transfer_days: int = 2
    # Beyond this many search nodes the exact search gives up, falls back to a greedy heuristic
    # and says so (Plan.optimal=False, decision_log["search"]["mode"] == "heuristic").
    search_node_budget: int = 200_000


@dataclass(frozen=True)
class PlannedLine:
    """A quantity of one order line assigned to one fulfilment."""

    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class PlannedFulfilment:
    """One part of the plan: what one location picks and sends."""

    location_id: int
    lines: tuple[PlannedLine, ...]
    transfer_to_location_id: int | None = None  # click & collect transfer into the pickup store
    cost: float = 0.0
    distance_km: float | None = None
    # A pre-order part: the goods come from inbound stock expected on this date.
    available_on: date | None = None


@dataclass(frozen=True)
class Plan:
    """The planner's answer; a not-routable plan still carries the best partial allocation.

    Callers decide whether to reserve a partial plan or to park the order in the waiting room;
    ``reasons`` tells them why it is not (fully) routable.
    """

    routable: bool  # True when every unit is allocated
    fulfilments: tuple[PlannedFulfilment, ...]
    unallocated: Mapping[str, int]  # line_id -> quantity that could not be allocated
    reasons: tuple[str, ...]  # machine-readable reason codes when not (fully) routable
    # Builds the decision log; it is built on first read of ``decision_log`` (most of a plan's
    # cost is explaining it, and not every caller reads the explanation).
    log_builder: Callable[[], dict] = field(repr=False, compare=False)
    optimal: bool = True  # False if the search budget forced the heuristic

    @cached_property
    def decision_log(self) -> dict:
        """JSON-serialisable: only str/int/float/bool/None/list/dict. Built once, then kept."""
        return self.log_builder()
