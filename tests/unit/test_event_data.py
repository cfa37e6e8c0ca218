"""OrderEventData.as_data: what dataclasses.asdict gives, as a copy."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from orders import event_types as et


@dataclass(frozen=True)
class _Part:
    code: str
    sizes: list[int]


@dataclass(frozen=True)
class _Sample(et.OrderEventData):
    type: ClassVar[str] = "sample_for_test"
    lines: list[dict[str, Any]]
    pair: tuple[int, str]
    part: _Part
    amount: Decimal
    note: str | None = None
    flag: bool = False


def test_as_data_equals_asdict_and_shares_nothing() -> None:
    event = _Sample(
        lines=[{"line": 1, "sku": "A", "tags": ["x"], "nested": {"k": [1.5, None]}}],
        pair=(3, "b"),
        part=_Part("P", [1, 2]),
        amount=Decimal("9.95"),
    )

    data = event.as_data()

    assert data == dataclasses.asdict(event)
    assert list(data) == ["lines", "pair", "part", "amount", "note", "flag"]
    data["lines"][0]["tags"].append("changed")
    data["lines"][0]["nested"]["k"].append(2)
    data["part"]["sizes"].append(3)
    assert event.lines[0]["tags"] == ["x"]
    assert event.lines[0]["nested"]["k"] == [1.5, None]
    assert event.part.sizes == [1, 2]


def test_real_event_types_too() -> None:
    placed = et.OrderPlaced(
        lines=[{"line": 1, "sku": "A", "quantity": 2}],
        delivery_type="ship",
        total="19.90",
        currency="EUR",
    )
    assert placed.as_data() == dataclasses.asdict(placed)
    assert placed.as_data()["lines"] is not placed.lines
