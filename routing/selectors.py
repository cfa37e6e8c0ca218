"""Routing reads: which strategy applies, and the snapshot of candidates for the planner."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone

from inventory.errors import UnknownLocation
from inventory.models import InboundStock, Location, Product, StockLevel
from oms.models import Channel

from . import config_cache
from .errors import StrategyInvalid, StrategyNotFound, UnknownSku
from .models import RoutingStrategy, StrategyVersion
from .planner import (
    Candidate,
    Destination,
    Plan,
    PlanLine,
    RoutingRequest,
    StrategyConfig,
    plan_order,
    validate_strategy,
)
from .promising import (
    DeliveryOption,
    InboundSupply,
    PromiseItem,
    PromiseModel,
    promise_delivery_options,
)


@dataclass(frozen=True)
class ChosenStrategy:
    config: StrategyConfig
    version: StrategyVersion | None  # None: the built-in default strategy


def strategy_for_context(
    *, channel: Channel | None, country: str, delivery_type: str
) -> ChosenStrategy:
    """The active strategy version for this context: most specific match, then precedence.
    Cached per process until strategies change (routing/config_cache.py)."""
    return config_cache.cached(
        channel,
        ("strategy", country, delivery_type),
        lambda: _strategy_for_context(
            channel=channel, country=country, delivery_type=delivery_type
        ),
    )


def _strategy_for_context(
    *, channel: Channel | None, country: str, delivery_type: str
) -> ChosenStrategy:
    versions = (
        StrategyVersion.objects.filter(status=StrategyVersion.Status.ACTIVE)
        .select_related("strategy")
        .order_by("strategy__name")
    )
    best: tuple[int, int] | None = None
    chosen: StrategyVersion | None = None
    for version in versions:
        strategy: RoutingStrategy = version.strategy
        if strategy.channel_id and (channel is None or strategy.channel_id != channel.pk):
            continue
        if strategy.destination_country and strategy.destination_country != country:
            continue
        if strategy.delivery_type and strategy.delivery_type != delivery_type:
            continue
        rank = (strategy.specificity, strategy.precedence)
        if best is None or rank > best:
            best, chosen = rank, version
    if chosen is None:
        return ChosenStrategy(config=StrategyConfig(), version=None)
    return ChosenStrategy(config=chosen.to_config(), version=chosen)


@dataclass(frozen=True)
class Snapshot:
    candidates: list[Candidate]
    product_ids: dict[str, int]  # sku -> product id, for the SKUs that exist
    locations: dict[int, LocationRow]
    # (location_id, product_id) -> stock level id, so reservations need no extra lookup
    level_ids: dict[tuple[int, int], int]


@dataclass(frozen=True)
class LocationRow:
    """The location columns routing reads: plain values, no model instances (the snapshot
    is on the hot path of every order and simulate call)."""

    pk: int
    code: str
    name: str
    kind: str
    active: bool
    country: str
    latitude: float | None
    longitude: float | None
    ships: bool
    click_collect: bool
    accepts_returns: bool
    daily_capacity: int | None
    processing_days: int
    cutoff_hour: int
    base_cost: float
    cost_per_km: float
    priority: int
    tags: tuple[str, ...]
    served_countries: tuple[str, ...]

    @property
    def services(self) -> frozenset[str]:
        flags = (
            ("ship", self.ships),
            ("click_collect", self.click_collect),
            ("returns", self.accepts_returns),
        )
        return frozenset(name for name, offered in flags if offered)


_LOCATION_COLUMNS = [f for f in LocationRow.__dataclass_fields__ if f != "pk"]


def snapshot_locations(
    *, channel: Channel | None, extra_location_ids: Sequence[int] = ()
) -> tuple[dict[int, LocationRow], dict[int, frozenset[int]]]:
    """The candidate locations (those serving the channel, all when no channel, plus
    `extra_location_ids`) and the channels each serves. A channel's network is cached per
    process until locations change (routing/config_cache.py); otherwise two queries."""
    if channel is not None:
        network = config_cache.cached(
            channel, "network", lambda: _snapshot_locations(channel=channel)
        )
        if all(pk in network[0] for pk in extra_location_ids if pk):
            return network
    return _snapshot_locations(channel=channel, extra_location_ids=extra_location_ids)


def _snapshot_locations(
    *, channel: Channel | None, extra_location_ids: Sequence[int] = ()
) -> tuple[dict[int, LocationRow], dict[int, frozenset[int]]]:
    locations_qs = Location.objects.all()
    if channel is not None:
        locations_qs = locations_qs.filter(Q(channels=channel) | Q(pk__in=list(extra_location_ids)))
    locations: dict[int, LocationRow] = {}
    for row in locations_qs.distinct().order_by("pk").values_list("pk", *_LOCATION_COLUMNS):
        loc = LocationRow(*row)
        locations[loc.pk] = loc
    channels_of: dict[int, set[int]] = {pk: set() for pk in locations}
    for loc_id, ch_id in Location.channels.through.objects.filter(
        location_id__in=locations.keys()
    ).values_list("location_id", "channel_id"):
        channels_of[loc_id].add(ch_id)
    return locations, {pk: frozenset(ids) for pk, ids in channels_of.items()}


def routing_snapshot(
    *,
    skus: Sequence[str],
    channel: Channel | None,
    capacity_used: Mapping[int, int] | Callable[[], Mapping[int, int]] | None = None,
    extra_location_ids: Sequence[int] = (),
    product_ids: Mapping[str, int] | None = None,
) -> Snapshot:
    """Candidates for routing these SKUs: the locations serving the channel (all locations
    when no channel), plus `extra_location_ids` (e.g. a forced location or a pickup store,
    so the planner can say why it cannot be used). Four queries, however large the network
    (five when some location has a daily capacity: `capacity_used` is then called; three
    when the caller already resolved the SKUs and passes `product_ids`).
    """
    if product_ids is None:
        product_ids = dict(Product.objects.filter(sku__in=set(skus)).values_list("sku", "pk"))
    else:
        wanted = set(skus)
        product_ids = {sku: pk for sku, pk in product_ids.items() if sku in wanted}
    locations, channels_of = snapshot_locations(
        channel=channel, extra_location_ids=extra_location_ids
    )
    sku_of = {pk: sku for sku, pk in product_ids.items()}
    atp: dict[int, dict[str, int]] = {pk: {} for pk in locations}
    level_ids: dict[tuple[int, int], int] = {}
    if product_ids:
        for level_id, loc_id, prod_id, on_hand, reserved, safety in StockLevel.objects.filter(
            location_id__in=locations.keys(), product_id__in=product_ids.values()
        ).values_list("pk", "location_id", "product_id", "on_hand", "reserved", "safety_stock"):
            level_ids[(loc_id, prod_id)] = level_id
            available = on_hand - reserved - safety
            if available > 0:
                atp[loc_id][sku_of[prod_id]] = available
    used: Mapping[int, int] = {}
    if capacity_used is not None and any(
        loc.daily_capacity is not None for loc in locations.values()
    ):
        used = capacity_used() if callable(capacity_used) else capacity_used
    candidates = [
        Candidate(
            location_id=loc.pk,
            code=loc.code,
            name=loc.name,
            kind=loc.kind,
            active=loc.active,
            country=loc.country,
            latitude=loc.latitude,
            longitude=loc.longitude,
            services=loc.services,
            channel_ids=channels_of[loc.pk],
            atp=atp[loc.pk],
            capacity_left=(
                None if loc.daily_capacity is None else loc.daily_capacity - used.get(loc.pk, 0)
            ),
            base_cost=float(loc.base_cost),
            cost_per_km=float(loc.cost_per_km),
            priority=loc.priority,
            tags=frozenset(loc.tags or ()),
            served_countries=frozenset(loc.served_countries or ()),
            processing_days=loc.processing_days,
        )
        for loc in locations.values()
    ]
    return Snapshot(
        candidates=candidates,
        product_ids=dict(product_ids),
        locations=locations,
        level_ids=level_ids,
    )


CapacityHook = Callable[[], Mapping[int, int]]


def capacity_used(*, hook: CapacityHook | None) -> dict[int, int]:
    """Orders each location has taken today (location id -> count), from `hook`.

    Routing does not own fulfilments, so the count comes from whoever does (the orders app)
    through a hook; without one, nothing counts as used and only configured capacity applies.
    """
    if hook is None:
        return {}
    return {int(location_id): int(count) for location_id, count in hook().items()}


def _orders_capacity_hook() -> CapacityHook | None:
    try:
        from orders.selectors import fulfilments_today_by_location
    except ImportError:  # the orders app does not provide the count (yet)
        return None
    return fulfilments_today_by_location


def capacity_used_today() -> dict[int, int]:
    """Today's fulfilments per location as counted by the orders app ({} if it cannot tell)."""
    return capacity_used(hook=_orders_capacity_hook())


def strategy_version_get(*, version_id: int, channel: Channel | None) -> ChosenStrategy:
    """A strategy version by id, whatever its status (to try a draft).

    A strategy scoped to another channel is not the caller's: it is "not found" for them.
    """
    qs = StrategyVersion.objects.select_related("strategy").filter(pk=version_id)
    if channel is not None:
        qs = qs.filter(Q(strategy__channel__isnull=True) | Q(strategy__channel=channel))
    version = qs.first()
    if version is None:
        raise StrategyNotFound(details={"strategy_version": version_id})
    return ChosenStrategy(config=version.to_config(), version=version)


@dataclass(frozen=True)
class Simulation:
    plan: Plan
    strategy: ChosenStrategy
    location_codes: dict[int, str]  # location id -> code, for every candidate


def route_simulate(
    *,
    channel: Channel,
    lines: Sequence[PlanLine],
    destination: Destination,
    delivery_type: str,
    pickup_location_code: str | None = None,
    excluded_location_codes: Sequence[str] = (),
    strategy_version_id: int | None = None,
    capacity_used: Mapping[int, int] | CapacityHook | None = None,
) -> Simulation:
    """Plan an order for `channel` without reserving anything (what-if routing).

    Only locations serving the channel are candidates. Raises `UnknownLocation` (pickup store or
    excluded location not serving the channel), `StrategyNotFound`, `StrategyInvalid`,
    `UnknownSku`. Queries: pickup store (click & collect), strategy, then those of
    `routing_snapshot` (capacity included), however many locations there are.
    """
    pickup_id: int | None = None
    if pickup_location_code:
        pickup_id = (
            Location.objects.filter(code=pickup_location_code, channels=channel)
            .values_list("pk", flat=True)
            .first()
        )
        if pickup_id is None:
            raise UnknownLocation(
                "The pickup location does not exist or does not serve your channel.",
                details={"pickup_location": pickup_location_code},
            )
    if strategy_version_id is not None:
        chosen = strategy_version_get(version_id=strategy_version_id, channel=channel)
    else:
        chosen = strategy_for_context(
            channel=channel, country=destination.country, delivery_type=delivery_type
        )
    problems = validate_strategy(chosen.config)
    if problems:  # a draft saved outside the admin can be broken: say so, do not crash
        raise StrategyInvalid(details={"problems": problems})
    if capacity_used is None:
        capacity_used = capacity_used_today  # called only if some location has a capacity
    snapshot = routing_snapshot(
        skus=[line.sku for line in lines],
        channel=channel,
        capacity_used=capacity_used,
        extra_location_ids=[pickup_id] if pickup_id is not None else [],
    )
    unknown = sorted({line.sku for line in lines} - snapshot.product_ids.keys())
    if unknown:
        raise UnknownSku(details={"skus": unknown})
    id_of = {loc.code: pk for pk, loc in snapshot.locations.items()}
    missing = sorted({code for code in excluded_location_codes if code not in id_of})
    if missing:
        raise UnknownLocation(
            "Some excluded locations do not exist or do not serve your channel.",
            details={"excluded_locations": missing},
        )
    request = RoutingRequest(
        lines=tuple(lines),
        destination=destination,
        delivery_type=delivery_type,
        pickup_location_id=pickup_id,
        channel_id=channel.pk,
        excluded_location_ids=frozenset(id_of[code] for code in excluded_location_codes),
    )
    plan = plan_order(request, snapshot.candidates, chosen.config)
    return Simulation(
        plan=plan,
        strategy=chosen,
        location_codes={pk: loc.code for pk, loc in snapshot.locations.items()},
    )


def inbound_supply(
    *, location_ids: Iterable[int], product_ids: Mapping[str, int]
) -> dict[int, list[InboundSupply]]:
    """Open inbound stock (outstanding units) per location for these products, in one query."""
    sku_of = {pk: sku for sku, pk in product_ids.items()}
    supply: dict[int, list[InboundSupply]] = {}
    if not sku_of:
        return supply
    rows = (
        InboundStock.objects.filter(
            status=InboundStock.Status.OPEN,
            location_id__in=list(location_ids),
            product_id__in=sku_of.keys(),
        )
        .annotate(outstanding=F("quantity_expected") - F("quantity_received"))
        .filter(outstanding__gt=0)
        .order_by("expected_date", "pk")
        .values_list("location_id", "product_id", "outstanding", "expected_date")
    )
    for location_id, product_id, outstanding, expected_date in rows:
        supply.setdefault(location_id, []).append(
            InboundSupply(sku=sku_of[product_id], quantity=outstanding, expected_date=expected_date)
        )
    return supply


@dataclass(frozen=True)
class Promise:
    options: tuple[DeliveryOption, ...]
    location_codes: dict[int, str]
    now: datetime


def delivery_promise(
    *,
    channel: Channel,
    items: Sequence[PromiseItem],
    destination: Destination,
    max_pickup_stores: int = 3,
    now: datetime | None = None,
    capacity_used: Mapping[int, int] | CapacityHook | None = None,
) -> Promise:
    """Delivery options (ship; click & collect at the nearest stores) with earliest dates.

    From on-hand stock and open inbound stock at the locations serving the channel. Dates use
    each location's cut-off hour and processing days in the server's time zone; whether a
    pickup store may receive transfers comes from the channel's click & collect strategy.
    Raises `UnknownSku`. Queries: strategy, the snapshot's, inbound stock.
    """
    now = timezone.localtime(now or timezone.now())
    skus = [item.sku for item in items]
    pickup_strategy = strategy_for_context(
        channel=channel, country=destination.country, delivery_type="click_collect"
    ).config
    snapshot = routing_snapshot(
        skus=skus,
        channel=channel,
        capacity_used=capacity_used_today if capacity_used is None else capacity_used,
    )
    unknown = sorted(set(skus) - snapshot.product_ids.keys())
    if unknown:
        raise UnknownSku(details={"skus": unknown})
    model = PromiseModel(
        cutoff_hour_by_location={pk: loc.cutoff_hour for pk, loc in snapshot.locations.items()},
        pickup_store_count=max_pickup_stores,
        allow_transfer_to_pickup=pickup_strategy.allow_transfer_to_pickup,
        transfer_days=pickup_strategy.transfer_days,
    )
    options = promise_delivery_options(
        items=items,
        destination=destination,
        candidates=snapshot.candidates,
        now=now,
        model=model,
        inbound=inbound_supply(
            location_ids=snapshot.locations.keys(), product_ids=snapshot.product_ids
        ),
        channel_id=channel.pk,
    )
    return Promise(
        options=options,
        location_codes={pk: loc.code for pk, loc in snapshot.locations.items()},
        now=now,
    )
