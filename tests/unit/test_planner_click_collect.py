"""Click & collect: the pickup store first, transfers into it only when the strategy allows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from routing.geo import haversine_km
from routing.planner import SplitPolicy, StrategyConfig, plan_order
from tests.unit.routing_builders import (
    BERLIN,
    HAMBURG,
    MUNICH,
    allocation,
    candidate,
    entry,
    line,
    pickup_request,
    request,
)

STORE = 10
AB = (line("l1", "A", 2), line("l2", "B", 1))
TRANSFERS = StrategyConfig(allow_transfer_to_pickup=True)


def store(atp, **overrides):
    fields = {
        "kind": "store",
        "latitude": BERLIN[0],
        "longitude": BERLIN[1],
        "services": frozenset({"click_collect"}),
        "code": "STORE-BER",
    }
    fields.update(overrides)
    return candidate(STORE, atp, **fields)


def test_store_holds_everything():
    cands = [store({"A": 2, "B": 1}), candidate(1, {"A": 9, "B": 9}, base_cost=0.0)]
    plan = plan_order(pickup_request(STORE, *AB), cands, StrategyConfig())
    assert plan.routable
    assert allocation(plan) == {STORE: {"l1": 2, "l2": 1}}
    assert plan.fulfilments[0].transfer_to_location_id is None
    assert plan.decision_log["why"] == "Pickup store STORE-BER holds all 3 units."
    assert entry(plan.decision_log, STORE)["role"] == "pickup_store"


def test_store_short_and_no_transfers():
    cands = [store({"A": 2}), candidate(1, {"B": 9})]
    plan = plan_order(pickup_request(STORE, *AB), cands, StrategyConfig())
    assert not plan.routable
    assert plan.reasons == ("pickup_store_insufficient_stock",)
    assert allocation(plan) == {STORE: {"l1": 2}}
    assert plan.unallocated == {"l2": 1}
    assert entry(plan.decision_log, 1)["eliminated_by"] == "transfer_not_allowed"


def test_missing_units_are_transferred_in():
    near = candidate(1, {"B": 1}, latitude=HAMBURG[0], longitude=HAMBURG[1], cost_per_km=0.01)
    far = candidate(2, {"B": 1}, latitude=MUNICH[0], longitude=MUNICH[1], cost_per_km=0.01)
    plan = plan_order(pickup_request(STORE, *AB), [store({"A": 2}), far, near], TRANSFERS)
    assert plan.routable
    assert allocation(plan) == {STORE: {"l1": 2}, 1: {"l2": 1}}
    by_location = {f.location_id: f for f in plan.fulfilments}
    assert by_location[STORE].transfer_to_location_id is None
    assert by_location[1].transfer_to_location_id == STORE
    # Distance and cost are measured to the store, not to the customer's address.
    assert by_location[1].distance_km == pytest.approx(haversine_km(*HAMBURG, *BERLIN))
    assert entry(plan.decision_log, 1)["role"] == "transfer_source"
    assert "transfers the remaining 1 into it" in plan.decision_log["why"]


def test_transfer_sources_need_the_ship_service_and_respect_max_distance():
    cands = [
        store({"A": 2}),
        candidate(1, {"B": 1}, services=frozenset({"click_collect"})),
        candidate(2, {"B": 1}, latitude=MUNICH[0], longitude=MUNICH[1]),
    ]
    strategy = StrategyConfig(allow_transfer_to_pickup=True, max_distance_km=300)
    plan = plan_order(pickup_request(STORE, *AB), cands, strategy)
    assert not plan.routable
    assert entry(plan.decision_log, 1)["eliminated_by"] == "service_not_offered"
    assert entry(plan.decision_log, 2)["eliminated_by"] == "too_far"  # Munich-Berlin ~500 km
    assert plan.reasons == ("pickup_store_insufficient_stock", "no_candidate")


def test_whole_order_transferred_when_the_store_is_empty():
    cands = [store({}), candidate(1, {"A": 2}), candidate(2, {"A": 2, "B": 1})]
    strategy = StrategyConfig(allow_transfer_to_pickup=True, split=SplitPolicy(allowed=False))
    plan = plan_order(pickup_request(STORE, *AB), cands, strategy)
    assert plan.routable
    assert allocation(plan) == {2: {"l1": 2, "l2": 1}}
    assert plan.fulfilments[0].transfer_to_location_id == STORE
    assert entry(plan.decision_log, 1)["eliminated_by"] == "incomplete_stock"


def test_store_part_plus_transfer_is_a_split():
    cands = [store({"A": 2}), candidate(1, {"B": 1})]
    no_split = StrategyConfig(allow_transfer_to_pickup=True, split=SplitPolicy(allowed=False))
    plan = plan_order(pickup_request(STORE, *AB), cands, no_split)
    assert not plan.routable
    assert plan.reasons == ("pickup_store_insufficient_stock", "split_not_allowed")
    one_part = StrategyConfig(allow_transfer_to_pickup=True, split=SplitPolicy(max_parts=1))
    plan = plan_order(pickup_request(STORE, *AB), cands, one_part)
    assert plan.reasons == ("pickup_store_insufficient_stock", "max_parts_exceeded")


def test_min_part_value_counts_the_store_part():
    lines = (line("l1", "A", 1, "5"), line("l2", "B", 1, "50"))
    cands = [store({"A": 1}), candidate(1, {"B": 1})]
    strategy = StrategyConfig(
        allow_transfer_to_pickup=True, split=SplitPolicy(min_part_value=Decimal("10"))
    )
    plan = plan_order(pickup_request(STORE, *lines), cands, strategy)
    assert not plan.routable
    assert plan.reasons == ("pickup_store_insufficient_stock", "min_part_value_not_met")
    lines = (line("l1", "A", 1, "50"), line("l2", "B", 1, "5"))
    plan = plan_order(pickup_request(STORE, *lines), cands, strategy)
    assert plan.reasons == ("pickup_store_insufficient_stock", "min_part_value_not_met")
    lines = (line("l1", "A", 1, "50"), line("l2", "B", 1, "50"))
    assert plan_order(pickup_request(STORE, *lines), cands, strategy).routable


def test_transfers_cannot_cover_everything():
    cands = [store({"A": 1}), candidate(1, {"A": 0, "B": 1})]
    plan = plan_order(pickup_request(STORE, *AB), cands, TRANSFERS)
    assert not plan.routable
    assert plan.reasons == ("pickup_store_insufficient_stock", "insufficient_stock")
    assert allocation(plan) == {STORE: {"l1": 1}, 1: {"l2": 1}}


@pytest.mark.parametrize(
    "overrides",
    [
        {"services": frozenset({"ship"})},
        {"active": False},
        {"capacity_left": 0},
        {"channel_ids": frozenset({2})},
    ],
)
def test_pickup_store_unavailable(overrides):
    cands = [store({"A": 2, "B": 1}, **overrides), candidate(1, {"A": 2, "B": 1})]
    plan = plan_order(pickup_request(STORE, *AB), cands, TRANSFERS)
    assert not plan.routable
    assert plan.reasons == ("pickup_store_unavailable",)
    assert plan.fulfilments == ()
    assert entry(plan.decision_log, STORE)["eliminated_by"] is not None
    assert "fenced out" in plan.decision_log["why"]


def test_pickup_store_not_among_candidates():
    plan = plan_order(pickup_request(99, *AB), [candidate(1, {"A": 2, "B": 1})], TRANSFERS)
    assert plan.reasons == ("pickup_store_unavailable",)


def test_pickup_store_needs_no_stock_to_stay_the_pickup_point():
    cands = [store({"Z": 5}), candidate(1, {"A": 2, "B": 1})]
    plan = plan_order(pickup_request(STORE, *AB), cands, TRANSFERS)
    assert plan.routable
    assert entry(plan.decision_log, STORE)["eliminated_by"] is None


def test_staff_forces_the_transfer_source():
    cands = [
        store({"A": 2, "B": 1}),
        candidate(1, {"A": 2, "B": 1}, base_cost=1.0),
        candidate(2, {"A": 2, "B": 1}, base_cost=9.0),
    ]
    plan = plan_order(pickup_request(STORE, *AB, forced_location_id=2), cands, TRANSFERS)
    assert allocation(plan) == {2: {"l1": 2, "l2": 1}}
    assert plan.fulfilments[0].transfer_to_location_id == STORE
    assert entry(plan.decision_log, 1)["eliminated_by"] == "not_forced"


def test_click_collect_needs_a_pickup_location():
    with pytest.raises(ValueError, match="pickup_location_id"):
        plan_order(request(*AB, delivery_type="click_collect"), [], StrategyConfig())
