"""Replay orders against two strategy versions and compare the outcomes (pure: no ORM).

The question a merchandiser asks before activating a draft: "what would it have done to our
orders?". Each order is planned twice over the same candidates - once per strategy - and the
plans are compared order by order and in aggregate. Orders are planned independently: stock
taken by one replayed order is not removed for the next, so every order sees the same
snapshot, and a difference between the two columns comes from the strategy alone.

Metric definitions (both columns):
- routable rate / unroutable rate: share of the replayed orders whose every unit is allocated
  (or not);
- avg fulfilments per order and split rate (more than one fulfilment): over the routable orders;
- total distance km and total cost: summed over the fulfilments of the routable orders
  (a fulfilment without coordinates adds no distance; `unknown_distance` counts them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from routing.planner import Candidate, Plan, RoutingRequest, StrategyConfig, plan_order

Planner = Callable[[RoutingRequest, Sequence[Candidate], StrategyConfig], Plan]
DEFAULT_MAX_DIFFS = 20


@dataclass(frozen=True)
class ReplayOrder:
    reference: str  # what the report calls the order (external reference, file position)
    request: RoutingRequest


@dataclass
class StrategyMetrics:
    label: str
    orders: int = 0
    routable: int = 0
    split: int = 0
    fulfilments: int = 0  # over routable orders
    distance_km: float = 0.0
    cost: float = 0.0
    unknown_distance: int = 0

    @property
    def unroutable(self) -> int:
        return self.orders - self.routable

    @property
    def routable_rate(self) -> float:
        return self.routable / self.orders if self.orders else 0.0

    @property
    def unroutable_rate(self) -> float:
        return self.unroutable / self.orders if self.orders else 0.0

    @property
    def avg_fulfilments(self) -> float:
        return self.fulfilments / self.routable if self.routable else 0.0

    @property
    def split_rate(self) -> float:
        return self.split / self.routable if self.routable else 0.0

    def add(self, plan: Plan) -> None:
        self.orders += 1
        if not plan.routable:
            return
        self.routable += 1
        self.fulfilments += len(plan.fulfilments)
        if len(plan.fulfilments) > 1:
            self.split += 1
        for f in plan.fulfilments:
            self.cost += f.cost
            if f.distance_km is None:
                self.unknown_distance += 1
            else:
                self.distance_km += f.distance_km

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "unroutable": self.unroutable,
            "routable_rate": self.routable_rate,
            "unroutable_rate": self.unroutable_rate,
            "avg_fulfilments": self.avg_fulfilments,
            "split_rate": self.split_rate,
        }


@dataclass(frozen=True)
class OrderDiff:
    reference: str
    baseline: str
    draft: str


@dataclass
class ReplayReport:
    baseline: StrategyMetrics
    draft: StrategyMetrics
    changed: int = 0
    diffs: list[OrderDiff] = field(default_factory=list)  # the first `max_diffs` changed
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)

    @property
    def changed_rate(self) -> float:
        return self.changed / self.baseline.orders if self.baseline.orders else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline.as_dict(),
            "draft": self.draft.as_dict(),
            "changed": self.changed,
            "changed_rate": self.changed_rate,
            "diffs": [asdict(d) for d in self.diffs],
            "skipped": [{"reference": ref, "reason": why} for ref, why in self.skipped],
        }


def plan_signature(plan: Plan) -> tuple:
    """What makes two plans the same: routable or not, and who sends which units where."""
    return (
        plan.routable,
        tuple(
            sorted(
                (
                    f.location_id,
                    f.transfer_to_location_id or 0,
                    tuple(sorted((pl.line_id, pl.sku, pl.quantity) for pl in f.lines)),
                )
                for f in plan.fulfilments
            )
        ),
    )


def describe_plan(plan: Plan, codes: Mapping[int, str]) -> str:
    """One line: 'wh-berlin: SHIRT x2 | wh-munich: CAP x1 -> st-hamburg'."""
    parts = []
    for f in plan.fulfilments:
        lines = ", ".join(f"{pl.sku} x{pl.quantity}" for pl in f.lines)
        target = (
            f" -> {codes.get(f.transfer_to_location_id, '?')}" if f.transfer_to_location_id else ""
        )
        parts.append(f"{codes.get(f.location_id, str(f.location_id))}: {lines}{target}")
    text = " | ".join(parts) or "(nothing)"
    if not plan.routable:
        missing = sum(plan.unallocated.values())
        text += f"  [NOT ROUTABLE: {', '.join(plan.reasons) or '?'}; {missing} unit(s) missing]"
    return text


def replay(
    *,
    orders: Sequence[ReplayOrder],
    candidates: Sequence[Candidate],
    baseline: StrategyConfig,
    draft: StrategyConfig,
    baseline_label: str = "baseline",
    draft_label: str = "draft",
    max_diffs: int = DEFAULT_MAX_DIFFS,
    planner: Planner = plan_order,
) -> ReplayReport:
    """Plan every order with both strategies over the same candidates and compare.

    An order the planner refuses as malformed (``ValueError``, e.g. click & collect without a
    pickup store) is skipped for both strategies and listed in ``skipped``. The strategies are
    expected to be valid (``routing.planner.validate_strategy``).
    """
    report = ReplayReport(
        baseline=StrategyMetrics(label=baseline_label), draft=StrategyMetrics(label=draft_label)
    )
    codes = {c.location_id: c.code for c in candidates}
    for order in orders:
        try:
            before = planner(order.request, candidates, baseline)
            after = planner(order.request, candidates, draft)
        except ValueError as exc:
            report.skipped.append((order.reference, str(exc)))
            continue
        report.baseline.add(before)
        report.draft.add(after)
        if plan_signature(before) != plan_signature(after):
            report.changed += 1
            if len(report.diffs) < max_diffs:
                report.diffs.append(
                    OrderDiff(
                        reference=order.reference,
                        baseline=describe_plan(before, codes),
                        draft=describe_plan(after, codes),
                    )
                )
    return report


def format_report(report: ReplayReport) -> str:
    """The side-by-side table and the per-order differences, as plain text."""
    b, d = report.baseline, report.draft

    def pct(x: float) -> str:
        return f"{x * 100:.1f}%"

    rows = [
        ("", b.label, d.label),
        ("orders", f"{b.orders}", f"{d.orders}"),
        (
            "routable",
            f"{b.routable} ({pct(b.routable_rate)})",
            f"{d.routable} ({pct(d.routable_rate)})",
        ),
        (
            "unroutable",
            f"{b.unroutable} ({pct(b.unroutable_rate)})",
            f"{d.unroutable} ({pct(d.unroutable_rate)})",
        ),
        (
            "avg fulfilments / routable order",
            f"{b.avg_fulfilments:.2f}",
            f"{d.avg_fulfilments:.2f}",
        ),
        ("split rate (of routable)", pct(b.split_rate), pct(d.split_rate)),
        ("total distance km", f"{b.distance_km:,.1f}", f"{d.distance_km:,.1f}"),
        ("total cost", f"{b.cost:,.2f}", f"{d.cost:,.2f}"),
    ]
    if b.unknown_distance or d.unknown_distance:
        rows.append(
            ("fulfilments without distance", f"{b.unknown_distance}", f"{d.unknown_distance}")
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}" for row in rows]
    lines.append("")
    lines.append(
        f"orders with a different plan: {report.changed} of {b.orders} ({pct(report.changed_rate)})"
    )
    if report.diffs:
        shown = len(report.diffs)
        lines.append("")
        lines.append(
            f"Changed orders (first {shown}):" if shown < report.changed else "Changed orders:"
        )
        label_width = max(len(b.label), len(d.label))
        for diff in report.diffs:
            lines.append(f"  {diff.reference}")
            lines.append(f"    {b.label:<{label_width}}  {diff.baseline}")
            lines.append(f"    {d.label:<{label_width}}  {diff.draft}")
    if report.skipped:
        lines.append("")
        lines.append(f"Skipped {len(report.skipped)} malformed order(s):")
        for reference, why in report.skipped[:DEFAULT_MAX_DIFFS]:
            lines.append(f"  {reference}: {why}")
    return "\n".join(lines)
