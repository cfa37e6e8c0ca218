"""Promising: before checkout, "can you deliver these items here, how, and by when?"

A pure function over the same ``Candidate`` snapshots the router uses, plus inbound supply
(purchase orders and transfers with an ETA). ``now`` is passed in and the clock is never read, so
an answer can be reproduced and tested. Availability checks outnumber orders by up to 700:1, so
the common case (one location holds everything) is a single pass over the candidates; the split
case reuses the exact router.

Date rules (documented here because customers see the result):

* Shipping works on working days only: Monday to Friday, minus ``PromiseModel.holidays``.
  Picking, dispatch and carrier transit all skip weekends and holidays.
* An order placed on a working day before the location's cut-off hour (local time, default 14:00)
  starts processing that day; later, or on a non-working day, the next working day. A location
  whose daily capacity is used up starts the next working day too.
* Dispatch = start day + ``processing_days`` working days; delivery = dispatch + transit working
  days, transit from distance bands (default <= 50 km: 1, <= 300 km: 2, <= 1000 km: 3, else or
  unknown distance: 5).
* Inbound goods are sellable ``receiving_days`` working days after their ETA (an ETA in the past
  counts as today); processing then starts that morning, so no cut-off applies.
* Click & collect: stores are open every day from ``store_open_hour`` to ``store_close_hour``
  (except ``store_closed_weekdays``); an order is ready ``pickup_ready_hours`` after it can be
  picked, within opening hours. Transfers into the store take ``transfer_days`` working days
  after the source's dispatch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from routing.geo import distance_km
from routing.plan_types import (
    CLICK_COLLECT,
    SERVICE_CLICK_COLLECT,
    SERVICE_SHIP,
    SHIP,
    Candidate,
    Destination,
    PlanLine,
    RoutingRequest,
    StrategyConfig,
)
from routing.planner import plan_order
from routing.promise_calendar import (
    InboundSupply,
    PromiseModel,
    add_working_days,
    is_working_day,
    next_working_day,
    pickup_ready_at,
    processing_start,
    sellable_date,
    transit_days,
)

__all__ = [
    "DeliveryOption",
    "InboundSupply",
    "PromiseItem",
    "PromiseModel",
    "add_working_days",
    "is_working_day",
    "next_working_day",
    "pickup_ready_at",
    "processing_start",
    "promise_delivery_options",
    "sellable_date",
    "transit_days",
]

SOURCE_ON_HAND = "on_hand"
SOURCE_INBOUND = "inbound"
SOURCE_TRANSFER = "transfer"


@dataclass(frozen=True)
class PromiseItem:
    """One thing the shopper wants (lines of the same SKU are added up)."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class DeliveryOption:
    """One way to get the items to the customer, as the checkout shows it.

    ``available`` means a date can be promised at all; ``in_stock_now`` tells on-hand apart from
    waiting for supply, which shops often show differently ("in stock" vs "available from").
    """

    type: str  # SHIP or CLICK_COLLECT
    location_ids: tuple[int, ...]  # where the goods come from (click & collect: store first)
    available: bool  # a date can be promised
    earliest_date: str | None  # ISO date of delivery / pickup
    source: str | None  # "on_hand" | "inbound" | "transfer"
    explanation: str
    in_stock_now: bool = False  # everything is on hand where it is needed
    distance_km: float | None = None  # ship: farthest shipping location; C&C: customer to store
    pickup_location_id: int | None = None
    ready_at: str | None = None  # click & collect: ISO local date-time ready for pickup


def promise_delivery_options(
    *,
    items: Sequence[PromiseItem],
    destination: Destination,
    candidates: Sequence[Candidate],
    now: datetime,
    model: PromiseModel | None = None,
    inbound: Mapping[int, Sequence[InboundSupply]] | None = None,
    channel_id: int | None = None,
    preorder: Sequence[Candidate] = (),
) -> tuple[DeliveryOption, ...]:
    """Delivery options for ``items``: ship to the address, then click & collect at the nearest
    stores. Each option says whether a date can be promised, the date, and why.

    ``preorder``: the inbound stand-ins of a channel that sells inbound stock (routing
    snapshot); the ship option then falls back to the plan intake would make over on-hand and
    inbound stock, so a date from inbound stock is offered exactly when intake accepts."""
    model = model or PromiseModel()
    inbound = inbound or {}
    demand: dict[str, int] = {}
    for item in items:
        if item.quantity > 0:
            demand[item.sku] = demand.get(item.sku, 0) + item.quantity
    if not demand:
        raise ValueError("nothing to promise: no item with a positive quantity")
    usable = [
        c for c in candidates if c.active and (channel_id is None or channel_id in c.channel_ids)
    ]
    ctx = _Context(demand, destination, model, now, inbound, channel_id, preorder)
    return (_ship_option(ctx, usable), *_pickup_options(ctx, usable))


@dataclass
class _Context:
    demand: dict[str, int]
    destination: Destination
    model: PromiseModel
    now: datetime
    inbound: Mapping[int, Sequence[InboundSupply]]
    channel_id: int | None
    preorder: Sequence[Candidate] = ()

    def local_now(self, location_id: int) -> datetime:
        tz = self.model.timezones.get(location_id)
        if tz is not None and self.now.tzinfo is not None:
            return self.now.astimezone(tz)
        return self.now

    def covers(self, c: Candidate, demand: Mapping[str, int] | None = None) -> bool:
        wanted = self.demand if demand is None else demand
        return all(c.atp.get(sku, 0) >= qty for sku, qty in wanted.items())

    def dispatch(self, c: Candidate, start: date | None = None) -> tuple[date, str]:
        """Dispatch date of ``c`` for on-hand stock (or stock sellable on ``start``)."""
        model = self.model
        if start is None:
            cutoff = model.cutoff_hour_by_location.get(c.location_id, model.cutoff_hour)
            now_local = self.local_now(c.location_id)
            full = c.capacity_left is not None and c.capacity_left <= 0
            start = processing_start(now_local, cutoff, model.holidays, full)
            if start == now_local.date():
                why = f"ordered before the {cutoff}:00 cut-off"
            elif full:
                why = "daily capacity reached, starts the next working day"
            else:
                why = f"after the {cutoff}:00 cut-off or on a non-working day"
        else:
            if not is_working_day(start, model.holidays):
                start = next_working_day(start, model.holidays)
            why = "once the inbound stock is received"
        dispatch = add_working_days(start, c.processing_days, model.holidays)
        return dispatch, f"{why}, {c.processing_days} processing day(s)"


def _ships_here(c: Candidate, country: str) -> bool:
    if SERVICE_SHIP not in c.services:
        return False
    served = c.served_countries
    return country in served if served else country == c.country


def _km(c: Candidate, dest: Destination) -> float | None:
    return distance_km(c.latitude, c.longitude, dest.latitude, dest.longitude)


def _ship_option(ctx: _Context, usable: Sequence[Candidate]) -> DeliveryOption:
    dest, model = ctx.destination, ctx.model
    shippers = [c for c in usable if _ships_here(c, dest.country)]
    best: tuple[date, float, int, Candidate, float | None, str] | None = None
    for c in shippers:
        if not ctx.covers(c):
            continue
        km = _km(c, dest)
        dispatch, why = ctx.dispatch(c)
        days = transit_days(km, model)
        arrival = add_working_days(dispatch, days, model.holidays)
        key = (arrival, km if km is not None else float("inf"), c.location_id)
        if best is None or key < best[:3]:
            best = (*key, c, km, f"{why}, {days} day(s) in transit")
    if best is not None:
        arrival, _, _, c, km, why = best
        return DeliveryOption(
            type=SHIP,
            location_ids=(c.location_id,),
            available=True,
            earliest_date=arrival.isoformat(),
            source=SOURCE_ON_HAND,
            explanation=f"In stock at {c.code}: delivered {arrival.isoformat()} ({why}).",
            in_stock_now=True,
            distance_km=km,
        )
    from_inbound = _ship_inbound(ctx, shippers) if model.sell_inbound else None
    options = [o for o in (_ship_split(ctx, shippers), from_inbound) if o]
    if not options and ctx.preorder:
        # Pre-orders: the plan intake would make over on-hand and inbound stand-ins.
        options = [o for o in (_ship_split(ctx, shippers, preorder=True),) if o]
    if not options:
        return DeliveryOption(
            type=SHIP,
            location_ids=(),
            available=False,
            earliest_date=None,
            source=None,
            explanation="Not enough stock or expected supply at locations that ship here.",
        )
    # Earliest date wins; on a tie the on-hand split (already in stock) beats waiting for supply.
    return min(options, key=lambda o: (o.earliest_date, o.source != SOURCE_ON_HAND))


def _ship_split(
    ctx: _Context, shippers: Sequence[Candidate], preorder: bool = False
) -> DeliveryOption | None:
    """Several parcels from on-hand stock: the router finds the fewest parts, nearest first.
    With `preorder`, the router may also use the inbound stand-ins (as intake does)."""
    dest, model = ctx.destination, ctx.model
    lines = tuple(PlanLine(f"item-{sku}", sku, qty) for sku, qty in ctx.demand.items())
    request = RoutingRequest(lines=lines, destination=dest, channel_id=ctx.channel_id)
    # Capacity only delays a promise (dispatch moves to the next working day); it must not
    # remove a location from it.
    snapshot = [replace(c, capacity_left=None) for c in shippers]
    ships = {c.location_id for c in shippers}
    stand_ins = ctx.preorder if preorder else ()
    inbound = [replace(c, capacity_left=None) for c in stand_ins if c.inbound_at in ships]
    strategy = StrategyConfig(name="promise", rating_weights={"geodistance": 1.0})
    plan = plan_order(request, snapshot, strategy, inbound)
    if not plan.routable:
        return None
    by_id = {c.location_id: c for c in shippers}
    latest: date | None = None
    farthest: float | None = None
    for f in plan.fulfilments:
        c = by_id[f.location_id]
        on = f.available_on  # pre-order part: sellable receiving_days after it arrives
        start = add_working_days(on, model.receiving_days, model.holidays) if on else None
        dispatch, _ = ctx.dispatch(c, start=start)
        arrival = add_working_days(dispatch, transit_days(f.distance_km, model), model.holidays)
        latest = arrival if latest is None else max(latest, arrival)
        if f.distance_km is not None:
            farthest = f.distance_km if farthest is None else max(farthest, f.distance_km)
    assert latest is not None
    codes = ", ".join(by_id[f.location_id].code for f in plan.fulfilments)
    waiting = any(f.available_on is not None for f in plan.fulfilments)
    return DeliveryOption(
        type=SHIP,
        location_ids=tuple(f.location_id for f in plan.fulfilments),
        available=True,
        earliest_date=latest.isoformat(),
        source=SOURCE_INBOUND if waiting else SOURCE_ON_HAND,
        explanation=(
            f"Pre-order: {len(plan.fulfilments)} parcel(s) from {codes}, partly from expected "
            f"stock, the last delivered {latest.isoformat()}."
            if waiting
            else f"No single location holds everything: {len(plan.fulfilments)} parcels from "
            f"{codes}, the last delivered {latest.isoformat()}."
        ),
        in_stock_now=not waiting,
        distance_km=farthest,
    )


def _ship_inbound(ctx: _Context, shippers: Sequence[Candidate]) -> DeliveryOption | None:
    """One location once its expected supply has arrived (no mixing of supply across locations)."""
    dest, model = ctx.destination, ctx.model
    best: tuple[date, float, int, Candidate, float | None, date] | None = None
    for c in shippers:
        supply = ctx.inbound.get(c.location_id, ())
        if not supply:
            continue
        today = ctx.local_now(c.location_id).date()
        ready = sellable_date(c.atp, supply, ctx.demand, today, model)
        if ready is None:
            continue
        dispatch, _ = ctx.dispatch(c, start=ready)
        km = _km(c, dest)
        arrival = add_working_days(dispatch, transit_days(km, model), model.holidays)
        key = (arrival, km if km is not None else float("inf"), c.location_id)
        if best is None or key < best[:3]:
            best = (*key, c, km, ready)
    if best is None:
        return None
    arrival, _, _, c, km, ready = best
    return DeliveryOption(
        type=SHIP,
        location_ids=(c.location_id,),
        available=True,
        earliest_date=arrival.isoformat(),
        source=SOURCE_INBOUND,
        explanation=(
            f"Expected at {c.code}: sellable {ready.isoformat()}, delivered {arrival.isoformat()}."
        ),
        distance_km=km,
    )


def _pickup_options(ctx: _Context, usable: Sequence[Candidate]) -> list[DeliveryOption]:
    dest, model = ctx.destination, ctx.model
    stores = [c for c in usable if SERVICE_CLICK_COLLECT in c.services]
    measured = [(_km(c, dest), c) for c in stores]
    measured.sort(key=lambda kc: (kc[0] is None, kc[0] or 0.0, kc[1].location_id))
    shippers = [c for c in usable if SERVICE_SHIP in c.services]
    return [
        _pickup_option(ctx, store, km, shippers)
        for km, store in measured[: model.pickup_store_count]
    ]


def _pickup_option(
    ctx: _Context, store: Candidate, km: float | None, shippers: Sequence[Candidate]
) -> DeliveryOption:
    model = ctx.model
    now_local = ctx.local_now(store.location_id)
    common: dict[str, Any] = {  # the fields every pickup option shares
        "type": CLICK_COLLECT,
        "distance_km": km,
        "pickup_location_id": store.location_id,
    }
    if ctx.covers(store):
        ready = pickup_ready_at(now_local, model)
        return DeliveryOption(
            location_ids=(store.location_id,),
            available=True,
            earliest_date=ready.date().isoformat(),
            source=SOURCE_ON_HAND,
            explanation=f"In stock at {store.code}: ready for pickup {ready:%Y-%m-%d %H:%M}.",
            in_stock_now=True,
            ready_at=ready.isoformat(),
            **common,
        )
    choices: list[tuple[datetime, str, tuple[int, ...], str]] = []
    supply = ctx.inbound.get(store.location_id, ()) if model.sell_inbound else ()
    sellable = sellable_date(store.atp, supply, ctx.demand, now_local.date(), model)
    if sellable is not None:
        opens = datetime.combine(sellable, time(model.store_open_hour), now_local.tzinfo)
        ready = pickup_ready_at(max(opens, now_local), model)
        text = f"Expected at {store.code}: ready for pickup {ready:%Y-%m-%d %H:%M}."
        choices.append((ready, SOURCE_INBOUND, (store.location_id,), text))
    if model.allow_transfer_to_pickup:
        missing = {
            sku: qty - max(0, store.atp.get(sku, 0))
            for sku, qty in ctx.demand.items()
            if qty > store.atp.get(sku, 0)
        }
        for source in shippers:
            if source.location_id == store.location_id or not ctx.covers(source, missing):
                continue
            dispatch, _ = ctx.dispatch(source)
            arrives = add_working_days(dispatch, model.transfer_days, model.holidays)
            opens = datetime.combine(arrives, time(model.store_open_hour), now_local.tzinfo)
            ready = pickup_ready_at(max(opens, now_local), model)
            text = (
                f"Transferred from {source.code} to {store.code}:"
                f" ready for pickup {ready:%Y-%m-%d %H:%M}."
            )
            choices.append((ready, SOURCE_TRANSFER, (store.location_id, source.location_id), text))
    if not choices:
        return DeliveryOption(
            location_ids=(store.location_id,),
            available=False,
            earliest_date=None,
            source=None,
            explanation=f"Not in stock at {store.code} and no supply or transfer is expected.",
            **common,
        )
    ready, source_kind, ids, text = min(choices, key=lambda ch: (ch[0], ch[2]))
    return DeliveryOption(
        location_ids=ids,
        available=True,
        earliest_date=ready.date().isoformat(),
        source=source_kind,
        explanation=text,
        ready_at=ready.isoformat(),
        **common,
    )
