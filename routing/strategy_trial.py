"""Trying a strategy version before it goes live (the strategy pages of the admin and
`manage.py routing_replay`): one order - a sample or a past one - planned with the version,
and the recent orders replayed against the version it would replace.

Nothing is reserved. Stock is today's snapshot (ATP now and today's capacity use), not what
each order saw when it was placed; every replayed order is planned against that same
snapshot, so a difference between two versions comes from the strategies alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oms.models import Channel
from routing.capacity import capacity_source
from routing.errors import StrategyInvalid
from routing.models import StrategyVersion
from routing.planner import Plan, StrategyConfig, plan_order, validate_strategy
from routing.replay import ReplayOrder, ReplayReport, replay
from routing.replay_source import replay_source
from routing.snapshot import Snapshot, routing_snapshot

BUILT_IN_LABEL = "built-in default"
MAX_REPLAY_ORDERS = 1000


def version_label(version: StrategyVersion) -> str:
    return f"{version.strategy.name} v{version.number} ({version.status})"


def strategy_baseline(
    *, version: StrategyVersion, against: StrategyVersion | None = None
) -> tuple[StrategyConfig, str]:
    """What `version` is compared with: `against`, else the active version of its strategy,
    else the built-in default strategy (what routes those orders today)."""
    if against is not None:
        return against.to_config(), version_label(against)
    active = (
        StrategyVersion.objects.select_related("strategy")
        .filter(strategy_id=version.strategy_id, status=StrategyVersion.Status.ACTIVE)
        .exclude(pk=version.pk)
        .first()
    )
    if active is not None:
        return active.to_config(), version_label(active)
    return StrategyConfig(), BUILT_IN_LABEL


def _valid(config: StrategyConfig, label: str) -> StrategyConfig:
    problems = validate_strategy(config)
    if problems:
        raise StrategyInvalid(f"{label} is invalid.", details={"problems": problems})
    return config


def _snapshot(orders: Sequence[ReplayOrder], channel: Channel | None) -> Snapshot:
    skus = {line.sku for order in orders for line in order.request.lines}
    pickups = {o.request.pickup_location_id for o in orders} - {None}
    return routing_snapshot(
        skus=sorted(skus),
        channel=channel,
        capacity_used=capacity_source(),
        extra_location_ids=sorted(pk for pk in pickups if pk is not None),
    )


@dataclass(frozen=True)
class Trial:
    """One order planned with a version: the plan, and the candidates' codes and
    coordinates (id -> (code, latitude, longitude)) to show it."""

    order: ReplayOrder
    plan: Plan
    places: dict[int, tuple[str, float | None, float | None]]

    def code(self, location_id: int | None) -> str:
        return self.places.get(location_id or 0, (str(location_id), None, None))[0]


def strategy_try(*, version: StrategyVersion, order: ReplayOrder) -> Trial:
    """Plan `order` with `version` over today's stock (every location; the channel fence
    keeps the order's channel's). Raises StrategyInvalid for a broken version."""
    config = _valid(version.to_config(), version_label(version))
    snapshot = _snapshot([order], None)
    plan = plan_order(order.request, snapshot.candidates, config)
    places = {pk: (loc.code, loc.latitude, loc.longitude) for pk, loc in snapshot.locations.items()}
    return Trial(order=order, plan=plan, places=places)


@dataclass(frozen=True)
class ReplaySummary:
    """A version against its baseline over the recent orders (routing.replay's report)."""

    report: ReplayReport

    @property
    def cost_difference(self) -> float:
        return self.report.draft.cost - self.report.baseline.cost

    @property
    def distance_difference(self) -> float:
        return self.report.draft.distance_km - self.report.baseline.distance_km

    @property
    def split_difference(self) -> int:
        return self.report.draft.split - self.report.baseline.split

    @property
    def routable_difference(self) -> int:
        return self.report.draft.routable - self.report.baseline.routable


def strategy_replay_recent(
    *, version: StrategyVersion, orders: int, channel: Channel | None = None
) -> ReplaySummary:
    """Replay the `orders` most recent orders (at most MAX_REPLAY_ORDERS) with `version`
    and with its baseline (`strategy_baseline`). Raises StrategyInvalid."""
    baseline, baseline_label = strategy_baseline(version=version)
    label = version_label(version)
    draft = _valid(version.to_config(), label)
    _valid(baseline, baseline_label)
    recent = replay_source().recent(limit=max(1, min(orders, MAX_REPLAY_ORDERS)), channel=channel)
    snapshot = _snapshot(recent, channel)
    return ReplaySummary(
        replay(
            orders=recent,
            candidates=snapshot.candidates,
            baseline=baseline,
            draft=draft,
            baseline_label=baseline_label,
            draft_label=label,
        )
    )
