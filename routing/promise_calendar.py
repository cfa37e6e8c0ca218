"""Working-day calendar and lead-time arithmetic behind delivery promises.

Split from ``routing.promising`` so the date rules (which customers see as promised dates) can be
read and tested on their own; the rules themselves are described in ``routing.promising``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo


@dataclass(frozen=True)
class InboundSupply:
    """Stock expected at a location (purchase order or transfer) on ``expected_date``."""

    sku: str
    quantity: int
    expected_date: date


@dataclass(frozen=True)
class PromiseModel:
    """How dates are promised; the rules are described in ``routing.promising``."""

    cutoff_hour: int = 14
    cutoff_hour_by_location: Mapping[int, int] = field(default_factory=dict)
    # (up to km, working days in transit), ascending.
    transit_bands: tuple[tuple[float, int], ...] = ((50.0, 1), (300.0, 2), (1000.0, 3))
    transit_days_beyond: int = 5  # beyond the last band, or distance unknown
    receiving_days: int = 1
    pickup_ready_hours: int = 2
    store_open_hour: int = 9
    store_close_hour: int = 20
    store_closed_weekdays: frozenset[int] = frozenset()  # 0 = Monday ... 6 = Sunday
    pickup_store_count: int = 3  # click & collect options at the N nearest stores
    allow_transfer_to_pickup: bool = False
    transfer_days: int = 2
    # Offer dates from inbound (expected) stock. Off while intake reserves only stock on hand:
    # a promise must not offer what an order would be refused for (pre-orders will turn it on).
    sell_inbound: bool = False
    holidays: frozenset[date] = frozenset()
    # location_id -> its time zone; an aware ``now`` is converted, a naive one is taken as local.
    timezones: Mapping[int, tzinfo] = field(default_factory=dict)


def is_working_day(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def next_working_day(day: date, holidays: frozenset[date] = frozenset()) -> date:
    """The first working day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, days: int, holidays: frozenset[date] = frozenset()) -> date:
    """``days`` working days after ``day`` (0 = ``day`` itself, even if it is not one)."""
    for _ in range(days):
        day = next_working_day(day, holidays)
    return day


def processing_start(
    now_local: datetime,
    cutoff_hour: int,
    holidays: frozenset[date] = frozenset(),
    capacity_reached: bool = False,
) -> date:
    """The working day a location starts on an order placed at ``now_local``."""
    today = now_local.date()
    if (
        is_working_day(today, holidays)
        and now_local.time() < time(cutoff_hour)
        and not capacity_reached
    ):
        return today
    return next_working_day(today, holidays)


def transit_days(km: float | None, model: PromiseModel) -> int:
    if km is not None:
        for limit, days in model.transit_bands:
            if km <= limit:
                return days
    return model.transit_days_beyond


def pickup_ready_at(earliest: datetime, model: PromiseModel) -> datetime:
    """When a store can hand over an order it can start picking at ``earliest`` (local time)."""
    day = earliest.date()
    ready_hours = timedelta(hours=model.pickup_ready_hours)
    opens = datetime.combine(day, time(model.store_open_hour), earliest.tzinfo)
    closes = datetime.combine(day, time(model.store_close_hour), earliest.tzinfo)
    if day.weekday() not in model.store_closed_weekdays:
        start = max(earliest, opens)
        if start + ready_hours <= closes:
            return start + ready_hours
    for _ in range(7):
        day += timedelta(days=1)
        if day.weekday() not in model.store_closed_weekdays:
            break
    return datetime.combine(day, time(model.store_open_hour), earliest.tzinfo) + ready_hours


def sellable_date(
    on_hand: Mapping[str, int],
    inbound: Sequence[InboundSupply],
    demand: Mapping[str, int],
    today: date,
    model: PromiseModel,
) -> date | None:
    """First day on-hand plus inbound stock covers ``demand`` (None: never, as far as we know).

    ``today`` when on-hand stock covers everything; otherwise ``receiving_days`` working days
    after the last needed delivery arrives (an overdue ETA counts as arriving today).
    """
    latest: date | None = None
    for sku, qty in demand.items():
        missing = qty - max(0, on_hand.get(sku, 0))
        if missing <= 0:
            continue
        arrived = None
        for supply in sorted((s for s in inbound if s.sku == sku), key=lambda s: s.expected_date):
            missing -= supply.quantity
            if missing <= 0:
                arrived = max(supply.expected_date, today)
                break
        if arrived is None:
            return None
        latest = arrived if latest is None else max(latest, arrived)
    if latest is None:
        return today
    return add_working_days(latest, model.receiving_days, model.holidays)
