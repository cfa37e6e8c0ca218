"""Promising: date arithmetic (cut-off, weekends, holidays, inbound ETA) and delivery options."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from routing.planner import Destination
from routing.promising import (
    DeliveryOption,
    InboundSupply,
    PromiseItem,
    PromiseModel,
    add_working_days,
    is_working_day,
    next_working_day,
    pickup_ready_at,
    processing_start,
    promise_delivery_options,
    sellable_date,
    transit_days,
)
from tests.unit.routing_builders import FRANKFURT, HAMBURG, MUNICH, candidate

MON = date(2024, 6, 3)
TUE, WED, THU, FRI, SAT, SUN = (MON + timedelta(days=i) for i in range(1, 7))
NEXT_MON, NEXT_TUE = MON + timedelta(days=7), MON + timedelta(days=8)
MODEL = PromiseModel()
PREORDERS = PromiseModel(sell_inbound=True)  # what pre-orders will need: dates from inbound
NEAR_FRANKFURT = (50.30, 8.70)  # ~21 km north of Frankfurt: 1 day in transit
HOME = Destination("DE", *FRANKFURT)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def options(items, cands, now, **kwargs) -> tuple[DeliveryOption, ...]:
    return promise_delivery_options(
        items=[PromiseItem(sku, qty) for sku, qty in items],
        destination=kwargs.pop("destination", HOME),
        candidates=cands,
        now=now,
        **kwargs,
    )


# -- date arithmetic --------------------------------------------------------------------------


def test_working_days_skip_weekends_and_holidays():
    assert is_working_day(FRI) and not is_working_day(SAT) and not is_working_day(SUN)
    assert not is_working_day(WED, frozenset({WED}))
    assert next_working_day(FRI) == NEXT_MON
    assert add_working_days(THU, 2) == NEXT_MON
    assert add_working_days(MON, 0) == MON
    assert add_working_days(SAT, 0) == SAT
    assert add_working_days(MON, 2, frozenset({TUE})) == THU


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(MON, 9), MON),
        (at(MON, 13, 59), MON),
        (at(MON, 14, 0), TUE),  # at the cut-off is after it
        (at(FRI, 15), NEXT_MON),
        (at(SAT, 10), NEXT_MON),
        (at(SUN, 23), NEXT_MON),
    ],
)
def test_processing_start_honours_the_cut_off(now, expected):
    assert processing_start(now, 14) == expected


def test_processing_start_on_a_holiday_and_when_capacity_is_used_up():
    assert processing_start(at(MON, 9), 14, frozenset({MON})) == TUE
    assert processing_start(at(MON, 9), 14, capacity_reached=True) == TUE
    assert processing_start(at(FRI, 9), 14, capacity_reached=True) == NEXT_MON


@pytest.mark.parametrize(
    ("km", "days"),
    [(0, 1), (50, 1), (50.1, 2), (300, 2), (999, 3), (1000, 3), (1500, 5), (None, 5)],
)
def test_transit_days_by_distance_band(km, days):
    assert transit_days(km, MODEL) == days


def test_pickup_ready_within_opening_hours():
    assert pickup_ready_at(at(MON, 10), MODEL) == at(MON, 12)
    assert pickup_ready_at(at(MON, 7), MODEL) == at(MON, 11)  # opens at 9
    assert pickup_ready_at(at(MON, 18), MODEL) == at(MON, 20)
    assert pickup_ready_at(at(MON, 18, 1), MODEL) == at(TUE, 11)  # would be after closing
    assert pickup_ready_at(at(SAT, 10), MODEL) == at(SAT, 12)  # stores open on Saturday
    closed_sundays = PromiseModel(store_closed_weekdays=frozenset({6}))
    assert pickup_ready_at(at(SAT, 19), closed_sundays) == at(NEXT_MON, 11)
    assert pickup_ready_at(at(SUN, 10), closed_sundays) == at(NEXT_MON, 11)


def test_sellable_date_from_on_hand_and_inbound():
    inbound = [
        InboundSupply("A", 2, THU),
        InboundSupply("A", 3, WED),
        InboundSupply("B", 5, FRI),
    ]
    assert sellable_date({"A": 1}, inbound, {"A": 1}, MON, MODEL) == MON  # on hand
    assert sellable_date({"A": 1}, inbound, {"A": 4}, MON, MODEL) == THU  # Wed + 1 receiving
    assert sellable_date({}, inbound, {"A": 5}, MON, MODEL) == FRI  # needs Thursday's too
    assert sellable_date({}, inbound, {"A": 1, "B": 1}, MON, MODEL) == NEXT_MON  # Fri + 1
    assert sellable_date({}, inbound, {"A": 6}, MON, MODEL) is None
    overdue = [InboundSupply("A", 1, MON - timedelta(days=10))]
    assert sellable_date({}, overdue, {"A": 1}, WED, MODEL) == THU
    slow = PromiseModel(receiving_days=2, holidays=frozenset({FRI}))
    assert sellable_date({}, inbound, {"A": 3}, MON, slow) == NEXT_MON  # Wed + Thu, (Fri)


# -- ship to address --------------------------------------------------------------------------


def shipper(location_id, atp, where=NEAR_FRANKFURT, **overrides):
    return candidate(
        location_id,
        atp,
        latitude=where[0],
        longitude=where[1],
        services=frozenset({"ship"}),
        **overrides,
    )


@pytest.mark.parametrize(
    ("now", "delivered"),
    [(at(MON, 10), TUE), (at(MON, 15), WED), (at(FRI, 15), NEXT_TUE), (at(SAT, 9), NEXT_TUE)],
)
def test_ship_from_on_hand(now, delivered):
    (ship,) = options([("A", 1)], [shipper(1, {"A": 3})], now)
    assert ship.type == "ship" and ship.available and ship.in_stock_now
    assert ship.source == "on_hand"
    assert ship.earliest_date == delivered.isoformat()
    assert ship.location_ids == (1,)
    assert ship.distance_km == pytest.approx(21.2, abs=0.5)


def test_ship_counts_processing_days_and_distance():
    far = shipper(1, {"A": 3}, where=MUNICH, processing_days=1)  # ~300 km from Frankfurt: 3 days
    (ship,) = options([("A", 1)], [far], at(MON, 10))
    assert transit_days(ship.distance_km, MODEL) == 3
    assert ship.earliest_date == FRI.isoformat()  # dispatch Tue, + 3 working days


def test_ship_picks_the_earliest_location():
    slow = shipper(1, {"A": 3}, processing_days=3)
    full = shipper(2, {"A": 3}, capacity_left=0)  # starts Tuesday
    far = shipper(3, {"A": 3}, where=HAMBURG)
    (ship,) = options([("A", 1)], [slow, full, far], at(MON, 10))
    # slow: Thu dispatch, Fri; full: Tue dispatch, Wed; far (~390 km): Mon + 3 = Thu.
    assert ship.location_ids == (2,)
    assert ship.earliest_date == WED.isoformat()


def test_ship_split_over_locations_from_on_hand():
    cands = [shipper(1, {"A": 1}), shipper(2, {"B": 1}, where=HAMBURG)]
    (ship,) = options([("A", 1), ("B", 1)], cands, at(MON, 10))
    assert ship.available and ship.source == "on_hand"
    assert sorted(ship.location_ids) == [1, 2]
    assert ship.earliest_date == THU.isoformat()  # the Hamburg parcel: 3 days
    assert "2 parcels" in ship.explanation


def test_ship_from_inbound():
    inbound = {1: [InboundSupply("A", 5, WED)]}
    (ship,) = options(
        [("A", 2)], [shipper(1, {"A": 1})], at(MON, 10), inbound=inbound, model=PREORDERS
    )
    assert ship.available and ship.source == "inbound" and not ship.in_stock_now
    assert ship.earliest_date == FRI.isoformat()  # sellable Thu, dispatched Thu, 1 day


def test_ship_not_available():
    cands = [shipper(1, {"A": 1}), shipper(2, {"A": 5}, active=False)]
    (ship,) = options([("A", 2)], cands, at(MON, 10))
    assert not ship.available and ship.earliest_date is None and ship.source is None
    assert ship.explanation


def test_ship_ignores_locations_not_shipping_here():
    cands = [
        shipper(1, {"A": 5}, country="FR"),
        shipper(2, {"A": 5}, channel_ids=frozenset({2})),
        candidate(3, {"A": 5}, services=frozenset({"click_collect"})),
    ]
    (ship, *_pickups) = options([("A", 1)], cands, at(MON, 10), channel_id=1)
    assert not ship.available


def test_cut_off_in_the_location_time_zone():
    plus3 = timezone(timedelta(hours=3))
    model = PromiseModel(timezones={1: plus3})
    now = datetime(2024, 6, 3, 10, 30, tzinfo=UTC)  # 13:30 at the location
    (ship,) = options([("A", 1)], [shipper(1, {"A": 1})], now, model=model)
    assert ship.earliest_date == TUE.isoformat()
    now = datetime(2024, 6, 3, 11, 30, tzinfo=UTC)  # 14:30 there: after the cut-off
    (ship,) = options([("A", 1)], [shipper(1, {"A": 1})], now, model=model)
    assert ship.earliest_date == WED.isoformat()


def test_per_location_cut_off():
    model = PromiseModel(cutoff_hour_by_location={1: 11})
    (ship,) = options([("A", 1)], [shipper(1, {"A": 1})], at(MON, 12), model=model)
    assert ship.earliest_date == WED.isoformat()


def test_nothing_to_promise():
    with pytest.raises(ValueError):
        options([("A", 0)], [], at(MON, 10))


# -- click & collect --------------------------------------------------------------------------


def store(location_id, atp, where, **overrides):
    return candidate(
        location_id,
        atp,
        kind="store",
        latitude=where[0],
        longitude=where[1],
        services=frozenset({"click_collect"}),
        code=f"STORE-{location_id}",
        **overrides,
    )


def test_pickup_at_the_nearest_stores():
    cands = [
        store(1, {"A": 1}, HAMBURG),
        store(2, {"A": 1}, NEAR_FRANKFURT),
        store(3, {}, MUNICH),
        store(4, {"A": 1}, (50.2, 8.7)),
    ]
    ship, *pickups = options(
        [("A", 1)], cands, at(MON, 10), model=PromiseModel(pickup_store_count=3)
    )
    assert not ship.available  # stores that do not ship
    assert [p.pickup_location_id for p in pickups] == [4, 2, 3]
    assert [p.available for p in pickups] == [True, True, False]
    nearest = pickups[0]
    assert nearest.type == "click_collect" and nearest.in_stock_now
    assert nearest.ready_at == at(MON, 12).isoformat()
    assert nearest.earliest_date == MON.isoformat()
    assert nearest.distance_km == pytest.approx(10.1, abs=0.5)
    assert pickups[2].earliest_date is None and "STORE-3" in pickups[2].explanation


def test_pickup_from_inbound_supply():
    inbound = {1: [InboundSupply("A", 2, WED)]}
    _, pickup = options(
        [("A", 1)], [store(1, {}, NEAR_FRANKFURT)], at(MON, 10), inbound=inbound, model=PREORDERS
    )
    assert pickup.available and pickup.source == "inbound" and not pickup.in_stock_now
    assert pickup.ready_at == at(THU, 11).isoformat()  # sellable Thursday, opens 9 + 2 h


def test_pickup_by_transfer_when_allowed():
    cands = [store(1, {"A": 1}, NEAR_FRANKFURT), shipper(2, {"B": 4}, where=HAMBURG)]
    items = [("A", 1), ("B", 1)]
    _, pickup = options(items, cands, at(MON, 10))
    assert not pickup.available
    model = PromiseModel(allow_transfer_to_pickup=True, transfer_days=2)
    _, pickup = options(items, cands, at(MON, 10), model=model)
    assert pickup.available and pickup.source == "transfer"
    assert pickup.location_ids == (1, 2)
    assert pickup.ready_at == at(WED, 11).isoformat()  # dispatched Mon, +2 working days


def test_pickup_after_closing_is_ready_the_next_day():
    _, pickup = options([("A", 1)], [store(1, {"A": 1}, NEAR_FRANKFURT)], at(MON, 19))
    assert pickup.ready_at == at(TUE, 11).isoformat()
    assert pickup.earliest_date == TUE.isoformat()


def test_inbound_supply_is_not_promised_until_pre_orders_exist():
    """Intake reserves only stock on hand: promise offers no date it would refuse."""
    inbound = {1: [InboundSupply("A", 5, WED)], 2: [InboundSupply("A", 5, WED)]}
    ship, pickup = options(
        [("A", 2)],
        [shipper(1, {"A": 1}), store(2, {"A": 1}, NEAR_FRANKFURT)],
        at(MON, 10),
        inbound=inbound,
    )
    assert (ship.available, ship.earliest_date, ship.source) == (False, None, None)
    assert (pickup.available, pickup.earliest_date, pickup.source) == (False, None, None)
