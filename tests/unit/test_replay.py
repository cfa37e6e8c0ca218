"""routing.replay: metrics and differences of two strategies over the same orders (no DB)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from routing.planner import (
    Candidate,
    Destination,
    PlanLine,
    RoutingRequest,
    SplitPolicy,
    StrategyConfig,
)
from routing.replay import ReplayOrder, format_report, plan_signature, replay

BERLIN = (52.52, 13.405)
MUNICH = (48.1351, 11.582)


def _candidate(location_id: int, code: str, at: tuple[float, float], **atp: int) -> Candidate:
    return Candidate(
        location_id=location_id,
        code=code,
        name=code,
        kind="warehouse",
        active=True,
        country="DE",
        latitude=at[0],
        longitude=at[1],
        services=frozenset({"ship"}),
        channel_ids=frozenset({1}),
        atp=atp,
        base_cost=1.0,
        cost_per_km=0.01,
    )


def _order(reference: str, *lines: tuple[str, int], at=BERLIN) -> ReplayOrder:  # type: ignore[no-untyped-def]
    return ReplayOrder(
        reference=reference,
        request=RoutingRequest(
            lines=tuple(
                PlanLine(str(i), sku, qty, Decimal("10")) for i, (sku, qty) in enumerate(lines, 1)
            ),
            destination=Destination("DE", *at),
            channel_id=1,
        ),
    )


CANDIDATES = [
    _candidate(1, "wh-berlin", BERLIN, A=5),
    _candidate(2, "wh-munich", MUNICH, A=5, B=5),
]
SPLIT = StrategyConfig(name="split", version=1)
NO_SPLIT = StrategyConfig(name="no-split", version=2, split=SplitPolicy(allowed=False))
ORDERS = [
    _order("o1", ("A", 1)),  # Berlin alone, either way
    _order("o2", ("A", 8)),  # split 5 + 3, or not routable without splitting
    _order("o3", ("A", 1), ("B", 1)),  # Munich alone holds both
    _order("o4", ("C", 1)),  # nobody has C
]


def test_identical_strategies_change_nothing():
    report = replay(orders=ORDERS, candidates=CANDIDATES, baseline=SPLIT, draft=SPLIT)
    assert report.changed == 0
    assert report.diffs == []
    assert {**report.baseline.as_dict(), "label": ""} == {**report.draft.as_dict(), "label": ""}


def test_metrics_of_both_columns():
    report = replay(
        orders=ORDERS,
        candidates=CANDIDATES,
        baseline=SPLIT,
        draft=NO_SPLIT,
        baseline_label="v1",
        draft_label="v2",
    )
    b, d = report.baseline, report.draft
    assert (b.orders, b.routable, b.unroutable) == (4, 3, 1)
    assert (d.orders, d.routable, d.unroutable) == (4, 2, 2)
    assert b.routable_rate == pytest.approx(0.75)
    assert d.unroutable_rate == pytest.approx(0.5)
    assert b.fulfilments == 4  # o1: 1, o2: 2, o3: 1
    assert b.avg_fulfilments == pytest.approx(4 / 3)
    assert b.split == 1
    assert b.split_rate == pytest.approx(1 / 3)
    assert d.split == 0
    assert d.avg_fulfilments == pytest.approx(1.0)
    # Distance: o1 from Berlin (0 km), o2 Berlin + Munich (~505 km), o3 Munich (~505 km).
    assert b.distance_km == pytest.approx(2 * 504.6, rel=0.01)
    assert d.distance_km == pytest.approx(504.6, rel=0.01)
    assert b.cost == pytest.approx(4 * 1.0 + 0.01 * b.distance_km)
    assert report.changed == 1
    assert [diff.reference for diff in report.diffs] == ["o2"]
    assert "wh-berlin: A x5" in report.diffs[0].baseline
    assert "NOT ROUTABLE" in report.diffs[0].draft


def test_diffs_are_capped_but_changes_counted():
    orders = [_order(f"o{i}", ("A", 8)) for i in range(30)]
    report = replay(
        orders=orders, candidates=CANDIDATES, baseline=SPLIT, draft=NO_SPLIT, max_diffs=20
    )
    assert report.changed == 30
    assert len(report.diffs) == 20
    assert report.changed_rate == 1.0


def test_a_malformed_order_is_skipped_for_both():
    bad = ReplayOrder(
        reference="bad",
        request=RoutingRequest(
            lines=(PlanLine("1", "A", 1), PlanLine("1", "A", 2)),  # duplicate line ids
            destination=Destination("DE"),
        ),
    )
    report = replay(orders=[*ORDERS, bad], candidates=CANDIDATES, baseline=SPLIT, draft=NO_SPLIT)
    assert report.baseline.orders == report.draft.orders == 4
    assert [ref for ref, _ in report.skipped] == ["bad"]


def test_no_orders_gives_zero_rates():
    report = replay(orders=[], candidates=CANDIDATES, baseline=SPLIT, draft=NO_SPLIT)
    assert report.baseline.routable_rate == 0.0
    assert report.baseline.avg_fulfilments == 0.0
    assert report.changed_rate == 0.0
    assert "orders with a different plan: 0 of 0" in format_report(report)


def test_plan_signature_ignores_fulfilment_order():
    report_plans = []

    def recording_planner(request, candidates, strategy):  # type: ignore[no-untyped-def]
        from routing.planner import plan_order

        plan = plan_order(request, candidates, strategy)
        report_plans.append(plan)
        return plan

    replay(
        orders=[ORDERS[1]],
        candidates=CANDIDATES,
        baseline=SPLIT,
        draft=SPLIT,
        planner=recording_planner,
    )
    first, second = report_plans
    from dataclasses import replace

    reversed_plan = replace(second, fulfilments=tuple(reversed(second.fulfilments)))
    assert plan_signature(first) == plan_signature(reversed_plan)


def test_the_text_report_shows_both_columns_and_the_diffs():
    report = replay(
        orders=ORDERS,
        candidates=CANDIDATES,
        baseline=SPLIT,
        draft=NO_SPLIT,
        baseline_label="Default v1 (active)",
        draft_label="Default v2 (draft)",
    )
    text = format_report(report)
    assert "Default v1 (active)" in text and "Default v2 (draft)" in text
    for label in ("orders", "routable", "unroutable", "split rate", "total distance km"):
        assert label in text
    assert "orders with a different plan: 1 of 4 (25.0%)" in text
    assert "o2" in text
    json_ready = report.as_dict()
    assert json_ready["changed"] == 1
    assert json_ready["baseline"]["routable_rate"] == pytest.approx(0.75)
