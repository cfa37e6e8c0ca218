"""The planner's fast paths choose exactly what the full pipeline and brute force choose.

* ``routing.cover`` (the cheapest complete cover found by branching on the scarcest SKU) against
  the position-order enumeration it replaced (``Searcher._cover``, still used when a minimum part
  value applies, so it stays the reference) and against brute force, on thinly scattered stock;
* the whole planner on thin multi-line networks against the brute-force oracle of
  ``test_planner_optimality``;
* ``routing.shortcut`` (one location, no rating or search) against the decision log, which the
  full pipeline builds when it is read, and the lazily built log against the fences evaluated
  one candidate at a time.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import planner
from routing.fences import ROLE_SHIP, FenceContext, first_failing_fence
from routing.planner import (
    Candidate,
    Destination,
    PlanLine,
    PlannedFulfilment,
    PlannedLine,
    RoutingRequest,
    SplitPolicy,
    StrategyConfig,
    plan_order,
)
from routing.search import Searcher, SearchProblem, find_best_set
from tests.unit.routing_builders import BERLIN, HAMBURG, MUNICH, candidate, line, request
from tests.unit.test_planner_optimality import assert_matches_brute_force, brute_force


@st.composite
def thin_problems(draw, min_n=4, max_n=12):
    """Search problems where every location holds 1-2 units of at most two SKUs."""
    m = draw(st.integers(3, 8))
    n = draw(st.integers(min_n, max_n))
    demand = tuple(draw(st.integers(1, 3)) for _ in range(m))
    atp = []
    for _ in range(n):
        row = [0] * m
        for s in draw(st.lists(st.integers(0, m - 1), max_size=2, unique=True)):
            row[s] = draw(st.integers(1, 2))
        atp.append(tuple(row))
    # Few distinct penalties and costs: ties, so the id tie-break (and negative keys) matter.
    rows = sorted((draw(st.integers(0, 2)), draw(st.integers(0, 4)), i, atp[i]) for i in range(n))
    return SearchProblem(
        demand=demand,
        atp=[r[3] for r in rows],
        penalty=[r[0] for r in rows],
        cost=[r[1] for r in rows],
        max_parts=draw(st.integers(1, n + 1)),
        node_budget=10**7,
    )


@settings(max_examples=150, deadline=None)
@given(thin_problems())
def test_scarce_sku_cover_matches_brute_force_on_thin_stock(problem):
    result = find_best_set(problem)
    best = brute_force(problem)
    assert result.exact
    assert (-result.units, len(result.chosen)) == best[:2]
    assert result.chosen == best[4]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(thin_problems(min_n=15, max_n=40))
def test_scarce_sku_cover_equals_the_position_order_enumeration(problem):
    searcher = Searcher(problem)
    searcher._prepare()
    reference = Searcher(problem)
    reference._prepare()
    for k in range(searcher._min_parts(), searcher.max_k + 1):
        found = searcher._scarce_cover(k)
        assert found == reference._cover(k)
        if found is not None:
            break


@st.composite
def thin_networks(draw):
    """6-8 single-unit-ish lines over a few locations holding 1-2 of the SKUs each."""
    skus = [f"S{i}" for i in range(draw(st.integers(6, 8)))]
    lines = tuple(
        PlanLine(f"l{i}", sku, draw(st.integers(1, 2)), Decimal("10")) for i, sku in enumerate(skus)
    )
    coords = st.tuples(st.floats(47.5, 54.5), st.floats(6.0, 14.5))
    n = draw(st.integers(3, 9))
    ids = draw(st.permutations(range(1, n + 1)))
    candidates = []
    for i in range(n):
        lat, lon = draw(coords)
        held = draw(st.lists(st.sampled_from(skus), min_size=1, max_size=3, unique=True))
        candidates.append(
            Candidate(
                location_id=ids[i],
                code=f"L{ids[i]}",
                name=f"L{ids[i]}",
                kind="store",
                active=True,
                country="DE",
                latitude=lat,
                longitude=lon,
                services=frozenset({"ship"}),
                channel_ids=frozenset({1}),
                atp={sku: draw(st.integers(1, 2)) for sku in held},
                base_cost=draw(st.sampled_from([1.0, 2.5, 4.0, 4.0])),
                cost_per_km=draw(st.sampled_from([0.0, 0.001, 0.01])),
            )
        )
    dest = Destination("DE", *draw(coords))
    return RoutingRequest(lines=lines, destination=dest, channel_id=1), candidates, StrategyConfig()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(thin_networks())
def test_thin_multi_line_plans_match_brute_force(scenario):
    assert_matches_brute_force(*scenario)


@st.composite
def shortcut_networks(draw):
    """Orders one location can often ship alone, with cost ties, fenced and stockless ones."""
    skus = draw(st.lists(st.sampled_from("ABC"), min_size=1, max_size=3, unique=True))
    lines = tuple(line(f"l{i}", sku, draw(st.integers(1, 3))) for i, sku in enumerate(skus))
    where = st.sampled_from([BERLIN, HAMBURG, MUNICH, None])
    cands = []
    n = draw(st.integers(1, 12))
    for location_id in draw(st.permutations(range(1, n + 1))):
        at = draw(where)
        cands.append(
            candidate(
                location_id,
                {sku: draw(st.integers(-1, 4)) for sku in draw(st.lists(st.sampled_from("ABCD")))},
                active=draw(st.sampled_from([True, True, True, False])),
                channel_ids=frozenset(draw(st.sampled_from([{1}, {1}, {2}]))),
                capacity_left=draw(st.sampled_from([None, None, 0, 3])),
                latitude=at[0] if at else None,
                longitude=at[1] if at else None,
                base_cost=draw(st.sampled_from([1.0, 2.0, 2.0])),
                cost_per_km=draw(st.sampled_from([0.0, 0.0, 0.001])),
            )
        )
    weights = draw(
        st.sampled_from(
            [{"shipping_cost": 1.0}, {"shipping_cost": 2.0, "priority": 0.0}, {"geodistance": 1.0}]
        )
    )
    strategy = StrategyConfig(
        rating_weights=weights,
        max_distance_km=draw(st.sampled_from([None, None, 400.0])),
        split=draw(st.sampled_from([SplitPolicy(), SplitPolicy(allowed=False)])),
    )
    at = draw(st.sampled_from([BERLIN, MUNICH]))
    excluded = frozenset(draw(st.lists(st.integers(1, n), max_size=1)))
    return request(*lines, at=at, excluded_location_ids=excluded), cands, strategy


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shortcut_networks())
def test_the_plan_is_the_one_its_decision_log_explains(scenario):
    req, cands, strategy = scenario
    plan = plan_order(req, cands, strategy)
    log = plan.decision_log  # built now, by the full pipeline
    chosen = tuple(
        PlannedFulfilment(
            location_id=f["location_id"],
            lines=tuple(PlannedLine(pl["line_id"], pl["sku"], pl["quantity"]) for pl in f["lines"]),
            transfer_to_location_id=f["transfer_to_location_id"],
            cost=f["cost"],
            distance_km=f["distance_km"],
        )
        for f in log["chosen"]["fulfilments"]
    )
    assert plan.fulfilments == chosen
    assert list(plan.reasons) == log["reasons"]
    # Every candidate is explained, in input order, by the fence evaluated on its own.
    ctx = FenceContext(
        role=ROLE_SHIP,
        destination_country="DE",
        destination_latitude=req.destination.latitude,
        destination_longitude=req.destination.longitude,
        demand={ln.sku: ln.quantity for ln in req.lines},
        need_complete=not strategy.split.allowed,
        excluded_location_ids=req.excluded_location_ids,
        channel_id=1,
        max_distance_km=strategy.max_distance_km,
    )
    assert [e["location_id"] for e in log["candidates"]] == [c.location_id for c in cands]
    for c, entry in zip(cands, log["candidates"], strict=True):
        assert (entry["eliminated_by"], entry["reason"], entry["distance_km"]) == (
            first_failing_fence(c, ctx)
        )
        assert (entry["total_penalty"] is None) == (entry["eliminated_by"] is not None)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shortcut_networks())
def test_an_explained_plan_is_the_shortcut_plan_and_log(scenario):
    req, cands, strategy = scenario
    quick, explained = (
        plan_order(req, cands, strategy),
        plan_order(req, cands, strategy, explained=True),
    )
    assert (explained.routable, explained.fulfilments, explained.unallocated) == (
        quick.routable, quick.fulfilments, quick.unallocated,
    )  # fmt: skip
    assert (explained.reasons, explained.optimal) == (quick.reasons, quick.optimal)
    assert explained.decision_log == quick.decision_log


def test_an_explained_plan_skips_the_shortcut(monkeypatch):
    cands = [candidate(1, {"A": 5}, base_cost=3.0), candidate(2, {"A": 5}, base_cost=2.0)]

    def no_shortcut(*args, **kwargs):
        raise AssertionError("the shortcut ran for an explained plan")

    monkeypatch.setattr(planner, "best_single", no_shortcut)
    plan = plan_order(request(line("l1", "A", 2)), cands, StrategyConfig(), explained=True)
    assert [f.location_id for f in plan.fulfilments] == [2]
    assert plan.decision_log["chosen"]["location_ids"] == [2]


def test_the_shortcut_plans_without_the_full_pipeline_and_explains_with_it(monkeypatch):
    cands = [
        candidate(1, {"A": 5}, base_cost=3.0),
        candidate(2, {"A": 5}, base_cost=2.0),
        candidate(3, {"B": 5}, base_cost=1.0),  # holds none of the order's SKUs
    ]

    def no_search(*args, **kwargs):
        raise AssertionError("the full pipeline ran while planning")

    monkeypatch.setattr(planner, "_solve_ship", no_search)
    plan = plan_order(request(line("l1", "A", 2)), cands, StrategyConfig())
    assert [f.location_id for f in plan.fulfilments] == [2]
    monkeypatch.undo()
    log = plan.decision_log
    assert log["chosen"]["location_ids"] == [2]
    assert [e["eliminated_by"] for e in log["candidates"]] == [None, None, "no_stock"]
    assert log["search"]["phase"] == "single"


def test_a_cost_tie_between_complete_locations_is_left_to_the_search():
    # Same cost: the penalty's rounding and then the lower id decide, as the search does.
    cands = [candidate(7, {"A": 1}, base_cost=2.0), candidate(4, {"A": 1}, base_cost=2.0)]
    plan = plan_order(request(line("l1", "A", 1)), cands, StrategyConfig())
    assert [f.location_id for f in plan.fulfilments] == [4]
