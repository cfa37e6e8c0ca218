"""The stored (compact) decision log: what it drops, what it rounds, and that expanding it
gives the planner's log back (orders/decision_logs.py)."""

from __future__ import annotations

import random

import pytest

from orders.decision_logs import _stored_candidates, decision_log_compact, decision_log_expand
from routing.planner import StrategyConfig, plan_order
from tests.unit.routing_builders import BERLIN, HAMBURG, MUNICH, candidate, line, request


def test_compact_drops_nulls_empty_ratings_and_the_eligible_reason():
    log = {
        "strategy": {"rating_weights": {"geodistance": 2.0}},
        "candidates": [
            {
                "location_id": 1,
                "code": "A",
                "role": "ship",
                "eliminated_by": None,
                "reason": "eligible",
                "distance_km": 12.345678,
                "ratings": {
                    "geodistance": {"raw": 12.345678, "penalty": 0.123456789, "weight": 2.0,
                                    "weighted": 0.246913578},
                },
                "total_penalty": 0.246913578,
                "cost": 4.56789,
            },
            {
                "location_id": 2,
                "code": "B",
                "role": "ship",
                "eliminated_by": "no_stock",
                "reason": "eligible",
                "distance_km": None,
                "ratings": {},
                "total_penalty": None,
                "cost": None,
            },
            {
                "location_id": 3,
                "code": "C",
                "role": "ship",
                "eliminated_by": None,
                "reason": "not needed: the order is complete",
                "distance_km": 7,
                "ratings": {"stock_depth": {"raw": None, "penalty": 1.0, "weight": 0.0,
                                            "weighted": 0.0}},
                "total_penalty": 0.0,
                "cost": 0.0,
            },
        ],
        "why": "LOC-1 ships it.",
    }  # fmt: skip

    compact = decision_log_compact(log)

    assert compact["compact"] == 2
    assert compact["why"] == "LOC-1 ships it."
    assert compact["candidates"] == {
        "columns": [
            "location_id",
            "code",
            "role",
            "distance_km",
            "cost",
            "total_penalty",
            "eliminated_by",
            "reason",
            "ratings",
        ],
        "ratings": ["geodistance", "stock_depth"],
        "rows": [
            [1, "A", "ship", 12.3, 4.57, 0.2469, None, None, [[12.346, 0.1235], None]],
            [2, "B", "ship", None, None, None, "no_stock", "eligible", None],
            [
                3, "C", "ship", 7, 0.0, 0.0, None, "not needed: the order is complete",
                [None, [None, 1.0]],
            ],
        ],
    }  # fmt: skip
    assert decision_log_compact(compact) is compact  # already compact: as it is
    assert _stored_candidates(compact) == V1_CANDIDATES


# The same candidates as the first compact form stored them (logs written before the
# seventh session): a list of objects without nulls.
V1_CANDIDATES = [
    {
        "location_id": 1,
        "code": "A",
        "role": "ship",
        "distance_km": 12.3,
        "ratings": {"geodistance": {"raw": 12.346, "penalty": 0.1235}},
        "total_penalty": 0.2469,
        "cost": 4.57,
    },
    {
        "location_id": 2,
        "code": "B",
        "role": "ship",
        "eliminated_by": "no_stock",
        "reason": "eligible",
    },
    {
        "location_id": 3,
        "code": "C",
        "role": "ship",
        "reason": "not needed: the order is complete",
        "distance_km": 7,
        "ratings": {"stock_depth": {"raw": None, "penalty": 1.0}},
        "total_penalty": 0.0,
        "cost": 0.0,
    },
]


def test_logs_stored_in_the_first_compact_form_expand_as_the_second_does():
    strategy = {"rating_weights": {"geodistance": 2.0, "stock_depth": 0.5}}
    v1 = {"strategy": strategy, "candidates": V1_CANDIDATES, "compact": 1}
    planner_shape = {
        "strategy": strategy,
        "candidates": [
            {**entry, "ratings": {}} if "ratings" not in entry else dict(entry)
            for entry in V1_CANDIDATES
        ],
    }
    v2 = decision_log_compact(planner_shape)

    assert v2["compact"] == 2
    assert decision_log_expand(v1) == decision_log_expand(v2)
    first = decision_log_expand(v1)["candidates"][0]
    assert first["ratings"]["geodistance"] == {
        "raw": 12.346,
        "penalty": 0.1235,
        "weight": 2.0,
        "weighted": 2.0 * 0.1235,
    }
    assert first["eliminated_by"] is None and first["reason"] == "eligible"


def test_a_key_beyond_the_usual_columns_gets_a_column_of_its_own():
    log = {
        "candidates": [
            {"location_id": 1, "code": "A", "role": "ship", "note": "x", "ratings": {}},
            {"location_id": 2, "code": "B", "role": "ship"},
        ]
    }
    compact = decision_log_compact(log)

    assert compact["candidates"]["columns"][-2:] == ["note", "ratings"]
    assert _stored_candidates(compact) == [
        {"location_id": 1, "code": "A", "role": "ship", "note": "x"},
        {"location_id": 2, "code": "B", "role": "ship"},
    ]


def _planner_log(seed: int) -> dict:
    rng = random.Random(seed)
    places = (BERLIN, HAMBURG, MUNICH)
    cands = [
        candidate(
            n,
            {sku: rng.randint(0, 3) for sku in ("A", "B", "C") if rng.random() < 0.6},
            latitude=places[n % 3][0] + rng.uniform(-1, 1),
            longitude=places[n % 3][1] + rng.uniform(-1, 1),
        )
        for n in range(1, 30)
    ]
    req = request(line("1", "A", 2), line("2", "B", 1), line("3", "C", 1), at=BERLIN)
    return plan_order(req, cands, StrategyConfig()).decision_log


@pytest.mark.parametrize("seed", range(5))
def test_planner_logs_round_trip_through_the_stored_form(seed):
    log = _planner_log(seed)
    stored = decision_log_compact(log)
    expanded = decision_log_expand(stored)

    assert len(expanded["candidates"]) == len(log["candidates"])
    for full, back in zip(log["candidates"], expanded["candidates"], strict=True):
        assert set(back) == set(full)
        assert back["eliminated_by"] == full["eliminated_by"]
        assert back["reason"] == full["reason"]
        for key in ("distance_km", "cost", "total_penalty"):
            assert back[key] == (None if full[key] is None else pytest.approx(full[key], abs=0.06))
        assert set(back["ratings"]) == set(full["ratings"])
    assert decision_log_compact(expanded) == stored
