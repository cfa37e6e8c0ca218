"""Fences: each hard filter removes a location with a stable code, first failing fence wins."""

from __future__ import annotations

import pytest

from routing.planner import FENCE_CODES, SplitPolicy, StrategyConfig, plan_order
from tests.unit.routing_builders import BERLIN, MUNICH, candidate, entry, line, request

ONE_A = (line("l1", "A", 1),)


def fenced_by(cand, req=None, strategy=None) -> str | None:
    plan = plan_order(req or request(*ONE_A), [cand], strategy or StrategyConfig())
    return entry(plan.decision_log, cand.location_id)["eliminated_by"]


def test_codes_are_listed_in_evaluation_order():
    assert FENCE_CODES == (
        "not_forced",
        "inactive",
        "excluded",
        "channel_not_served",
        "service_not_offered",
        "transfer_not_allowed",
        "country_not_served",
        "capacity_reached",
        "too_far",
        "no_stock",
        "incomplete_stock",
    )


def test_eligible_location_passes_every_fence():
    plan = plan_order(request(*ONE_A), [candidate(1, {"A": 1})], StrategyConfig())
    e = entry(plan.decision_log, 1)
    assert (e["eliminated_by"], e["reason"]) == (None, "eligible")
    assert plan.routable


def test_inactive():
    assert fenced_by(candidate(1, {"A": 5}, active=False)) == "inactive"


def test_excluded_after_rejection():
    req = request(*ONE_A, excluded_location_ids=frozenset({1}))
    assert fenced_by(candidate(1, {"A": 5}), req) == "excluded"


def test_channel_not_served():
    assert fenced_by(candidate(1, {"A": 5}, channel_ids=frozenset({2}))) == "channel_not_served"


def test_channel_fence_skipped_without_channel():
    req = request(*ONE_A, channel_id=None)
    assert fenced_by(candidate(1, {"A": 5}, channel_ids=frozenset()), req) is None


def test_ship_needs_ship_service():
    cand = candidate(1, {"A": 5}, services=frozenset({"click_collect"}))
    assert fenced_by(cand) == "service_not_offered"


@pytest.mark.parametrize(
    ("location_country", "served", "destination", "expected"),
    [
        ("DE", frozenset(), "DE", None),  # empty = only its own country
        ("DE", frozenset(), "AT", "country_not_served"),
        ("DE", frozenset({"DE", "AT"}), "AT", None),
        ("DE", frozenset({"AT"}), "DE", "country_not_served"),  # the list is the whole truth
    ],
)
def test_country_served(location_country, served, destination, expected):
    cand = candidate(1, {"A": 5}, country=location_country, served_countries=served)
    assert fenced_by(cand, request(*ONE_A, country=destination)) == expected


@pytest.mark.parametrize(
    ("capacity", "expected"),
    [(0, "capacity_reached"), (-1, "capacity_reached"), (1, None), (None, None)],
)
def test_daily_capacity(capacity, expected):
    assert fenced_by(candidate(1, {"A": 5}, capacity_left=capacity)) == expected


def test_too_far():
    far = candidate(1, {"A": 5}, latitude=BERLIN[0], longitude=BERLIN[1])
    req = request(*ONE_A, at=MUNICH)
    assert fenced_by(far, req, StrategyConfig(max_distance_km=400)) == "too_far"
    assert fenced_by(far, req, StrategyConfig(max_distance_km=600)) is None
    assert fenced_by(far, req, StrategyConfig()) is None


def test_distance_fence_needs_both_coordinates():
    no_geo = candidate(1, {"A": 5}, latitude=None, longitude=None)
    assert fenced_by(no_geo, request(*ONE_A, at=MUNICH), StrategyConfig(max_distance_km=1)) is None
    located = candidate(2, {"A": 5})
    assert fenced_by(located, request(*ONE_A, at=None), StrategyConfig(max_distance_km=1)) is None


def test_no_stock_of_any_requested_sku():
    assert fenced_by(candidate(1, {"B": 5, "A": 0})) == "no_stock"


def test_incomplete_stock_only_when_splitting_is_impossible():
    req = request(line("l1", "A", 2), line("l2", "B", 1))
    partial = candidate(1, {"A": 2})
    assert fenced_by(partial, req) is None
    no_split = StrategyConfig(split=SplitPolicy(allowed=False))
    assert fenced_by(partial, req, no_split) == "incomplete_stock"
    one_part = StrategyConfig(split=SplitPolicy(max_parts=1))
    assert fenced_by(partial, req, one_part) == "incomplete_stock"
    assert fenced_by(candidate(2, {"A": 1, "B": 1}), req, no_split) == "incomplete_stock"
    assert fenced_by(candidate(3, {"A": 2, "B": 1}), req, no_split) is None


def test_forced_location_only():
    cands = [candidate(1, {"A": 5}, base_cost=1.0), candidate(2, {"A": 5}, base_cost=9.0)]
    plan = plan_order(request(*ONE_A, forced_location_id=2), cands, StrategyConfig())
    assert [f.location_id for f in plan.fulfilments] == [2]
    assert entry(plan.decision_log, 1)["eliminated_by"] == "not_forced"


def test_forced_location_that_fails_a_fence_is_not_used():
    cands = [candidate(1, {"A": 5}), candidate(2, {"A": 5}, active=False)]
    plan = plan_order(request(*ONE_A, forced_location_id=2), cands, StrategyConfig())
    assert not plan.routable
    assert plan.reasons == ("no_candidate", "forced_location_unavailable")
    assert entry(plan.decision_log, 2)["eliminated_by"] == "inactive"


def test_first_failing_fence_is_recorded():
    cand = candidate(
        1, {}, active=False, channel_ids=frozenset(), services=frozenset(), capacity_left=0
    )
    req = request(*ONE_A, excluded_location_ids=frozenset({1}))
    assert fenced_by(cand, req) == "inactive"
    cand = candidate(1, {}, channel_ids=frozenset(), services=frozenset(), capacity_left=0)
    assert fenced_by(cand, req) == "excluded"
    assert fenced_by(cand) == "channel_not_served"
    cand = candidate(1, {}, services=frozenset(), capacity_left=0, country="FR")
    assert fenced_by(cand) == "service_not_offered"
    cand = candidate(1, {}, capacity_left=0, country="FR")
    assert fenced_by(cand) == "country_not_served"
    far = candidate(1, {}, capacity_left=0, latitude=BERLIN[0], longitude=BERLIN[1])
    assert fenced_by(far, request(*ONE_A, at=MUNICH), StrategyConfig(max_distance_km=1)) == (
        "capacity_reached"
    )
    far = candidate(1, {}, latitude=BERLIN[0], longitude=BERLIN[1])
    assert fenced_by(far, request(*ONE_A, at=MUNICH), StrategyConfig(max_distance_km=1)) == (
        "too_far"
    )


def test_every_fenced_candidate_has_a_human_reason():
    cands = [
        candidate(1, {"A": 1}, active=False),
        candidate(2, {"A": 1}, capacity_left=0),
        candidate(3, {}),
        candidate(4, {"A": 1}),
    ]
    plan = plan_order(request(*ONE_A), cands, StrategyConfig())
    for e in plan.decision_log["candidates"]:
        assert e["eliminated_by"] in (None, *FENCE_CODES)
        assert isinstance(e["reason"], str) and e["reason"]
    assert entry(plan.decision_log, 2)["reason"] == "daily capacity reached"


def test_nothing_passes_the_fences():
    plan = plan_order(request(*ONE_A), [candidate(1, {"A": 1}, active=False)], StrategyConfig())
    assert not plan.routable
    assert plan.reasons == ("no_candidate",)
    assert plan.unallocated == {"l1": 1}
    assert plan.fulfilments == ()


def test_unknown_destination_is_routed_by_country_and_the_log_says_so():
    near_ = candidate(1, {"A": 5}, latitude=MUNICH[0], longitude=MUNICH[1])
    far = candidate(2, {"A": 5}, latitude=BERLIN[0], longitude=BERLIN[1])
    strategy = StrategyConfig(max_distance_km=1)

    plan = plan_order(request(*ONE_A, at=None), [near_, far], strategy)

    assert plan.fulfilments  # no distance limit can hold against an unknown distance
    assert plan.decision_log["request"]["destination"]["distances_known"] is False
    assert "no coordinates" in plan.decision_log["why"] and "by country" in plan.decision_log["why"]
    located = plan_order(request(*ONE_A, at=MUNICH), [near_, far], StrategyConfig())
    assert located.decision_log["request"]["destination"]["distances_known"] is True
    assert "no coordinates" not in located.decision_log["why"]
