"""What-if routing and delivery promises over the snapshot: plan or promise, reserve nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from inventory.errors import UnknownLocation
from inventory.models import InboundStock, Location
from oms.models import Channel
from routing.errors import StrategyInvalid, UnknownSku
from routing.planner import (
    Destination,
    Plan,
    PlanLine,
    RoutingRequest,
    plan_order,
    validate_strategy,
)
from routing.promising import (
    DeliveryOption,
    InboundSupply,
    PromiseItem,
    PromiseModel,
    promise_delivery_options,
)
from routing.snapshot import CapacityUsed, routing_snapshot
from routing.strategy_selection import ChosenStrategy, strategy_for_context, strategy_version_get


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
    capacity_used: CapacityUsed,
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
    plan = plan_order(request, snapshot.candidates, chosen.config, snapshot.inbound)
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
    capacity_used: CapacityUsed,
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
        capacity_used=capacity_used,
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
        preorder=snapshot.inbound,
    )
    return Promise(
        options=options,
        location_codes={pk: loc.code for pk, loc in snapshot.locations.items()},
        now=now,
    )
