"""Ratings: raw values, min-max penalties, weights, and strategy validation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from routing.geo import haversine_km
from routing.planner import (
    RATING_NAMES,
    SplitPolicy,
    StrategyConfig,
    plan_order,
    validate_strategy,
)
from routing.ratings import normalise, stock_depth
from tests.unit.routing_builders import (
    BERLIN,
    FRANKFURT,
    HAMBURG,
    MUNICH,
    candidate,
    entry,
    line,
    request,
)


def winner(cands, strategy, req=None) -> int:
    plan = plan_order(req or request(line("l1", "A", 2)), cands, strategy)
    assert plan.routable
    assert len(plan.fulfilments) == 1
    return plan.fulfilments[0].location_id


def rating(plan, location_id, name) -> dict:
    return entry(plan.decision_log, location_id)["ratings"][name]


def test_rating_names():
    assert RATING_NAMES == (
        "geodistance",
        "stock_depth",
        "shipping_cost",
        "workload",
        "priority",
        "tags",
    )


def test_normalise_min_max_and_unknown_is_worst():
    assert normalise([10.0, 20.0, 15.0], higher_is_better=False) == [0.0, 1.0, 0.5]
    assert normalise([10.0, 20.0, 15.0], higher_is_better=True) == [1.0, 0.0, 0.5]
    assert normalise([3.0, 3.0], higher_is_better=False) == [0.0, 0.0]
    assert normalise([3.0, None], higher_is_better=False) == [0.0, 1.0]
    assert normalise([None, None], higher_is_better=False) == [0.0, 0.0]


def test_geodistance_prefers_the_nearest():
    near = candidate(1, {"A": 5}, latitude=FRANKFURT[0], longitude=FRANKFURT[1])
    mid = candidate(2, {"A": 5}, latitude=MUNICH[0], longitude=MUNICH[1])
    far = candidate(3, {"A": 5}, latitude=HAMBURG[0], longitude=HAMBURG[1])
    unknown = candidate(4, {"A": 5}, latitude=None, longitude=None)
    strategy = StrategyConfig(rating_weights={"geodistance": 1.0})
    req = request(line("l1", "A", 1), at=BERLIN)
    plan = plan_order(req, [near, mid, far, unknown], strategy)
    # Hamburg is nearest to Berlin, Munich farthest.
    assert plan.fulfilments[0].location_id == 3
    assert rating(plan, 3, "geodistance")["penalty"] == 0.0
    assert rating(plan, 2, "geodistance")["penalty"] == 1.0
    assert rating(plan, 4, "geodistance") == {
        "raw": None,
        "penalty": 1.0,
        "weight": 1.0,
        "weighted": 1.0,
    }
    expected_km = haversine_km(*FRANKFURT, *BERLIN)
    assert rating(plan, 1, "geodistance")["raw"] == pytest.approx(expected_km)
    assert plan.fulfilments[0].distance_km == pytest.approx(haversine_km(*HAMBURG, *BERLIN))


def test_stock_depth_prefers_deep_stock():
    demand = {"A": 2, "B": 1}
    assert stock_depth(candidate(1, {"A": 10, "B": 3}), demand) == 2.0  # min(8/2, 2/1)
    assert stock_depth(candidate(2, {"A": 1}), demand) == 0.0  # would empty A
    assert stock_depth(candidate(3, {}), demand) == 0.0
    strategy = StrategyConfig(rating_weights={"stock_depth": 1.0})
    thin, deep = candidate(1, {"A": 2}), candidate(2, {"A": 40})
    assert winner([thin, deep], strategy) == 2
    plan = plan_order(request(line("l1", "A", 2)), [thin, deep], strategy)
    assert rating(plan, 2, "stock_depth")["raw"] == 19.0
    assert rating(plan, 1, "stock_depth")["penalty"] == 1.0


def test_shipping_cost_is_base_plus_per_km():
    a = candidate(1, {"A": 5}, base_cost=5.0, cost_per_km=0.0)
    b = candidate(
        2, {"A": 5}, base_cost=2.0, cost_per_km=0.005, latitude=BERLIN[0], longitude=BERLIN[1]
    )
    plan = plan_order(request(line("l1", "A", 1)), [a, b], StrategyConfig())
    km = haversine_km(*BERLIN, *FRANKFURT)
    assert rating(plan, 2, "shipping_cost")["raw"] == pytest.approx(2.0 + 0.005 * km)
    assert plan.fulfilments[0].location_id == 2  # 2 + 0.005 * 424 km < 5
    assert plan.fulfilments[0].cost == pytest.approx(2.0 + 0.005 * km)


def test_shipping_cost_assumes_the_farthest_known_distance_without_coordinates():
    known = candidate(1, {"A": 5}, cost_per_km=1.0, latitude=BERLIN[0], longitude=BERLIN[1])
    unknown = candidate(2, {"A": 5}, cost_per_km=1.0, latitude=None, longitude=None)
    plan = plan_order(request(line("l1", "A", 1)), [known, unknown], StrategyConfig())
    km = haversine_km(*BERLIN, *FRANKFURT)
    assert rating(plan, 2, "shipping_cost")["raw"] == pytest.approx(km)
    assert plan.fulfilments[0].location_id == 1  # equal cost: lower location id wins


def test_workload_prefers_headroom():
    strategy = StrategyConfig(rating_weights={"workload": 1.0})
    busy, calm, unlimited = (
        candidate(1, {"A": 5}, capacity_left=2),
        candidate(2, {"A": 5}, capacity_left=100),
        candidate(3, {"A": 5}),
    )
    plan = plan_order(request(line("l1", "A", 1)), [busy, calm, unlimited], strategy)
    assert plan.fulfilments[0].location_id == 3
    assert rating(plan, 1, "workload")["raw"] == 0.5
    assert rating(plan, 2, "workload")["raw"] == 0.01
    assert rating(plan, 3, "workload")["raw"] == 0.0
    assert rating(plan, 1, "workload")["penalty"] == 1.0


def test_priority_higher_wins():
    strategy = StrategyConfig(rating_weights={"priority": 1.0})
    cands = [candidate(1, {"A": 5}, priority=1), candidate(2, {"A": 5}, priority=7)]
    assert winner(cands, strategy) == 2


def test_tags_preferred_and_avoided():
    strategy = StrategyConfig(
        rating_weights={"tags": 1.0}, tag_preferences={"eco": 2.0, "slow": -3.0}
    )
    cands = [
        candidate(1, {"A": 5}, tags=frozenset({"slow"})),
        candidate(2, {"A": 5}, tags=frozenset({"eco", "slow"})),
        candidate(3, {"A": 5}, tags=frozenset({"eco"})),
        candidate(4, {"A": 5}),
    ]
    plan = plan_order(request(line("l1", "A", 1)), cands, strategy)
    assert plan.fulfilments[0].location_id == 3
    assert [rating(plan, i, "tags")["raw"] for i in (1, 2, 3, 4)] == [-3.0, -1.0, 2.0, 0.0]
    assert rating(plan, 1, "tags")["penalty"] == 1.0


def test_weighted_sum_and_log_details():
    strategy = StrategyConfig(rating_weights={"shipping_cost": 2.0, "priority": 1.0})
    cands = [
        candidate(1, {"A": 5}, base_cost=1.0, priority=0),  # cheap, low priority
        candidate(2, {"A": 5}, base_cost=3.0, priority=5),
        candidate(3, {"A": 5}, base_cost=2.0, priority=5),
    ]
    plan = plan_order(request(line("l1", "A", 1)), cands, strategy)
    # penalties: 1 -> 2*0 + 1*1 = 1; 2 -> 2*1 + 0 = 2; 3 -> 2*0.5 + 0 = 1 (tie, 1 cheaper than 3)
    assert [entry(plan.decision_log, i)["total_penalty"] for i in (1, 2, 3)] == [1.0, 2.0, 1.0]
    assert plan.fulfilments[0].location_id == 1
    assert rating(plan, 3, "shipping_cost") == {
        "raw": 2.0,
        "penalty": 0.5,
        "weight": 2.0,
        "weighted": 1.0,
    }


def test_equal_candidates_break_ties_on_location_id():
    cands = [candidate(9, {"A": 5}), candidate(4, {"A": 5}), candidate(7, {"A": 5})]
    assert winner(cands, StrategyConfig()) == 4


def test_unknown_rating_is_refused():
    strategy = StrategyConfig(rating_weights={"shipping_cost": 1.0, "karma": 1.0})
    with pytest.raises(ValueError, match="karma"):
        plan_order(request(), [candidate(1, {"A": 1})], strategy)


def test_validate_strategy():
    assert validate_strategy(StrategyConfig()) == []
    bad = StrategyConfig(
        rating_weights={"karma": 1.0, "priority": -1.0, "tags": float("nan")},
        tag_preferences={"eco": float("inf")},
        max_distance_km=0,
        split=SplitPolicy(max_parts=0, min_part_value=Decimal("-1")),
        transfer_days=-1,
        search_node_budget=0,
    )
    problems = validate_strategy(bad)
    text = "\n".join(problems)
    for fragment in (
        "unknown rating 'karma'",
        "'priority': the weight must not be negative",
        "'tags': the weight must be a finite number",
        "tag 'eco'",
        "max_distance_km",
        "split.max_parts",
        "split.min_part_value",
        "transfer_days",
        "search_node_budget",
    ):
        assert fragment in text
    assert len(problems) == 9
    with pytest.raises(ValueError, match="invalid routing strategy"):
        plan_order(request(), [], bad)
