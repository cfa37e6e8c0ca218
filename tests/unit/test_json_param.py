"""`oms.db.json_param`: the JSON text of hand-written statements' jsonb parameters, read back
as the models' JSONFields (json.dumps) would have written it."""

from __future__ import annotations

import json
import math

import pytest

from oms.db import json_param

VALUES = [
    {"why": "bench-ord-21 fulfils all 5 units", "cost": 4.3769784154327365, "parts": 1},
    {"nested": {"list": [1, 2.5, None, True, False, "x"], "empty": {}, "tuple": (1, 2)}},
    {"unicode": 'Müller – 北京 \u2028 "quoted" \\ slash / tab\t'},
    {7: "int key", 2.5: "float key", True: "bool key", None: "none key"},
    [{"a": 10**18}, {"b": -(10**18)}, {"c": 1e-300}, {"d": 0.1 + 0.2}],
    "just a string",
    [],
]


@pytest.mark.parametrize("value", VALUES)
def test_reads_back_as_json_dumps_wrote_it(value: object) -> None:
    assert json.loads(json_param(value)) == json.loads(json.dumps(value))


def test_non_finite_floats_become_null() -> None:
    """json.dumps writes NaN, which PostgreSQL refuses as JSON: null is stored instead."""
    assert json.loads(json_param({"cost": math.nan, "km": math.inf})) == {
        "cost": None,
        "km": None,
    }


def test_the_text_is_a_str() -> None:
    assert isinstance(json_param({"a": 1}), str)
