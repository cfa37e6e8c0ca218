"""The ORM adapter for the planner: a snapshot of the candidate locations, their stock (ATP)
and capacity left, as plain dataclasses (the planner never sees a model)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from inventory.models import InboundStock, Location, Product, StockLevel
from oms.db import array_param
from oms.models import Channel
from routing import config_cache
from routing.planner import Candidate

# Today's capacity use per location (location id -> fulfilments), or a function returning it
# (called only when some candidate has a daily capacity). Routing does not own fulfilments:
# the orders app passes its count in (routing/capacity.py).
CapacityHook = Callable[[], Mapping[int, int]]
CapacityUsed = Mapping[int, int] | CapacityHook


@dataclass(frozen=True)
class Snapshot:
    candidates: list[Candidate]
    product_ids: dict[str, int]  # sku -> product id, for the SKUs that exist
    locations: dict[int, LocationRow]
    # (location_id, product_id) -> stock level id, so reservations need no extra lookup
    level_ids: dict[tuple[int, int], int]
    # Pre-orders (channels that sell inbound stock): one stand-in candidate per location and
    # expected date, and per stand-in id and SKU its inbound lines [(inbound id, sellable)].
    inbound: list[Candidate] = field(default_factory=list)
    inbound_lines: dict[int, dict[str, list[tuple[int, int]]]] = field(default_factory=dict)


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
    capacity_used: CapacityUsed,
    extra_location_ids: Sequence[int] = (),
    product_ids: Mapping[str, int] | None = None,
    with_inbound: bool = True,
) -> Snapshot:
    """Candidates for routing these SKUs: the locations serving the channel (all locations
    when no channel), plus `extra_location_ids` (e.g. a forced location or a pickup store,
    so the planner can say why it cannot be used). Four queries, however large the network
    (five when some location has a daily capacity: `capacity_used` is then called; three
    when the caller already resolved the SKUs and passes `product_ids`); one more for the
    pre-order stand-ins of a channel selling inbound stock, unless `with_inbound` is off
    (then `snapshot_with_inbound` adds them when needed).
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
        for level_id, loc_id, prod_id, on_hand, reserved, safety in stock_rows(
            location_ids=list(locations), product_ids=list(product_ids.values())
        ):
            level_ids[(loc_id, prod_id)] = level_id
            available = on_hand - reserved - safety
            if available > 0:
                atp[loc_id][sku_of[prod_id]] = available
    used: Mapping[int, int] = {}
    if any(loc.daily_capacity is not None for loc in locations.values()):
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
    snapshot = Snapshot(
        candidates=candidates,
        product_ids=dict(product_ids),
        locations=locations,
        level_ids=level_ids,
    )
    if with_inbound and channel is not None:
        return snapshot_with_inbound(snapshot, channel=channel)
    return snapshot


def snapshot_with_inbound(snapshot: Snapshot, *, channel: Channel) -> Snapshot:
    """The snapshot plus the channel's pre-order stand-ins (one query; nothing when the
    channel does not sell inbound stock). Intake asks only when on-hand stock cannot route
    the order, so orders that stock on hand covers pay nothing for pre-orders."""
    if not channel.sell_inbound or not snapshot.product_ids or snapshot.inbound_lines:
        return snapshot
    sku_of = {pk: sku for sku, pk in snapshot.product_ids.items()}
    inbound, lines = _inbound_candidates(channel, snapshot.candidates, snapshot.locations, sku_of)
    return replace(snapshot, inbound=inbound, inbound_lines=lines)


# The statement is the PL/pgSQL function `oms_stock_rows` of migration
# inventory/0006_reservation_functions: one generic plan per connection (as a plain prepared
# statement it was planned again on every call). Its `location_id + 0` keeps the location
# condition a filter: the generic plan cannot see the array sizes, and once scanned every
# level of the 50 locations through the location index (2.6 ms) instead of the few SKUs'
# levels through the product index (0.3 ms).
_STOCK_SQL = "SELECT * FROM oms_stock_rows(%s::bigint[], %s::bigint[])"


def stock_rows(
    *, location_ids: list[int], product_ids: list[int]
) -> list[tuple[int, int, int, int, int, int]]:
    """(level id, location id, product id, on hand, reserved, safety stock) of these
    locations x products. On PostgreSQL one prepared statement whatever the counts (arrays,
    not IN lists: the ORM's compilation cost about twice the query); the ORM elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_STOCK_SQL, [array_param(product_ids), array_param(location_ids)])
            return cursor.fetchall()
    return stock_rows_orm(location_ids=location_ids, product_ids=product_ids)


def stock_rows_orm(
    *, location_ids: list[int], product_ids: list[int]
) -> list[tuple[int, int, int, int, int, int]]:
    """`stock_rows` through the ORM (SQLite; tests hold the two equal)."""
    return list(
        StockLevel.objects.filter(
            location_id__in=location_ids, product_id__in=product_ids
        ).values_list("pk", "location_id", "product_id", "on_hand", "reserved", "safety_stock")
    )


def _inbound_candidates(
    channel: Channel,
    candidates: list[Candidate],
    locations: Mapping[int, LocationRow],
    sku_of: Mapping[int, str],
) -> tuple[list[Candidate], dict[int, dict[str, list[tuple[int, int]]]]]:
    """Sellable inbound stock (expected - received - reserved) within the channel's horizon,
    as one stand-in candidate per location and expected date (one query)."""
    today = timezone.localdate()
    horizons = {pk: channel.inbound_horizon_for(loc.kind) for pk, loc in locations.items()}
    if not horizons:
        return [], {}
    latest = today + dt.timedelta(days=max(horizons.values()))
    rows = (
        InboundStock.objects.filter(
            status=InboundStock.Status.OPEN,
            location_id__in=list(locations),
            product_id__in=list(sku_of),
            expected_date__lte=latest,
        )
        .order_by("location_id", "expected_date", "pk")
        .values_list(
            "pk",
            "location_id",
            "product_id",
            "expected_date",
            "quantity_expected",
            "quantity_received",
            "quantity_reserved",
        )
    )
    grouped: dict[tuple[int, dt.date], dict[str, list[tuple[int, int]]]] = {}
    for pk, loc_id, prod_id, expected, quantity, received, reserved in rows:
        sellable = quantity - received - reserved
        if sellable <= 0 or expected > today + dt.timedelta(days=horizons[loc_id]):
            continue
        on = max(expected, today)
        grouped.setdefault((loc_id, on), {}).setdefault(sku_of[prod_id], []).append((pk, sellable))
    by_id = {c.location_id: c for c in candidates}
    twins: list[Candidate] = []
    lines: dict[int, dict[str, list[tuple[int, int]]]] = {}
    for index, ((loc_id, on), per_sku) in enumerate(sorted(grouped.items())):
        twin_id = -(index + 1)
        base = by_id[loc_id]
        twins.append(
            replace(
                base,
                location_id=twin_id,
                code=f"{base.code}@{on.isoformat()}",
                atp={sku: sum(q for _, q in found) for sku, found in per_sku.items()},
                inbound_at=loc_id,
                available_on=on,
                wait_days=max(1, (on - today).days),
            )
        )
        lines[twin_id] = per_sku
    return twins, lines
