"""Turning a chosen set of locations into line quantities, and the values of the parts.

Lines of the same SKU share stock, so the planner works per SKU; this module hands the units back
to the order lines deterministically: per SKU, locations in preference order give their units to
that SKU's lines in request order. The same function decides part values for the minimum part
value rule, so the rule is checked against exactly the allocation that will be reserved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from routing.plan_types import PlanLine


class LineDemand(NamedTuple):
    """An order line still to allocate, with its unit price as an exact scaled integer."""

    line_id: str
    sku: str
    quantity: int
    price: int  # unit_price * price_scale, exact


def price_scale(prices: Sequence[Decimal]) -> int:
    """Smallest power of ten that turns every price into an integer (money stays exact)."""
    places = 0
    for price in prices:
        exponent = price.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            places = -exponent
    return 10**places


def scaled(value: Decimal, scale: int) -> int:
    return int(value * scale)


def line_demands(lines: Sequence[PlanLine], scale: int) -> list[LineDemand]:
    return [
        LineDemand(ln.line_id, ln.sku, ln.quantity, scaled(ln.unit_price, scale))
        for ln in lines
        if ln.quantity > 0
    ]


def demand_by_sku(lines: Sequence[LineDemand]) -> dict[str, int]:
    """Units per SKU, in order of first appearance (which fixes the SKU order everywhere)."""
    demand: dict[str, int] = {}
    for ln in lines:
        demand[ln.sku] = demand.get(ln.sku, 0) + ln.quantity
    return demand


class Distributor:
    """Hands per-SKU allocations to lines; built once per plan, used for every split check."""

    def __init__(self, skus: Sequence[str], lines: Sequence[LineDemand]) -> None:
        self.skus = list(skus)
        self.lines = list(lines)
        self.lines_of_sku: list[list[int]] = [
            [i for i, ln in enumerate(lines) if ln.sku == sku] for sku in skus
        ]
        demand = demand_by_sku(lines)
        self.demand = [demand.get(sku, 0) for sku in skus]

    def distribute(self, rows: Sequence[Sequence[int]]) -> list[dict[int, int]]:
        """Per chosen location (rows in preference order): {line index: quantity}."""
        parts: list[dict[int, int]] = [{} for _ in rows]
        lines = self.lines
        for s, line_ids in enumerate(self.lines_of_sku):
            remaining = self.demand[s]
            ptr = 0
            left = lines[line_ids[0]].quantity if line_ids else 0
            for part, row in zip(parts, rows, strict=True):
                take = min(row[s], remaining)
                remaining -= take
                while take > 0:
                    li = line_ids[ptr]
                    q = left if left < take else take
                    part[li] = part.get(li, 0) + q
                    take -= q
                    left -= q
                    if left == 0 and ptr + 1 < len(line_ids):
                        ptr += 1
                        left = lines[line_ids[ptr]].quantity
                if remaining == 0:
                    break
        return parts

    def part_values(self, rows: Sequence[Sequence[int]]) -> list[int]:
        lines = self.lines
        return [
            sum(q * lines[li].price for li, q in part.items()) for part in self.distribute(rows)
        ]


def allocated_per_line(parts: Sequence[Mapping[int, int]], n_lines: int) -> list[int]:
    totals = [0] * n_lines
    for part in parts:
        for li, q in part.items():
            totals[li] += q
    return totals
