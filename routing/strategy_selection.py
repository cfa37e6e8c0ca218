"""Which strategy version routes an order: the most specific active one, or a version by id."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from oms.models import Channel
from routing import config_cache
from routing.errors import StrategyNotFound
from routing.models import RoutingStrategy, StrategyVersion
from routing.planner import StrategyConfig


@dataclass(frozen=True)
class ChosenStrategy:
    config: StrategyConfig
    version: StrategyVersion | None  # None: the built-in default strategy


def strategy_for_context(
    *, channel: Channel | None, country: str, delivery_type: str
) -> ChosenStrategy:
    """The active strategy version for this context: most specific match, then precedence.
    Cached per process until strategies change (routing/config_cache.py)."""
    return config_cache.cached(
        channel,
        ("strategy", country, delivery_type),
        lambda: _strategy_for_context(
            channel=channel, country=country, delivery_type=delivery_type
        ),
    )


def _strategy_for_context(
    *, channel: Channel | None, country: str, delivery_type: str
) -> ChosenStrategy:
    versions = (
        StrategyVersion.objects.filter(status=StrategyVersion.Status.ACTIVE)
        .select_related("strategy")
        .order_by("strategy__name")
    )
    best: tuple[int, int] | None = None
    chosen: StrategyVersion | None = None
    for version in versions:
        strategy: RoutingStrategy = version.strategy
        if strategy.channel_id and (channel is None or strategy.channel_id != channel.pk):
            continue
        if strategy.destination_country and strategy.destination_country != country:
            continue
        if strategy.delivery_type and strategy.delivery_type != delivery_type:
            continue
        rank = (strategy.specificity, strategy.precedence)
        if best is None or rank > best:
            best, chosen = rank, version
    if chosen is None:
        return ChosenStrategy(config=StrategyConfig(), version=None)
    return ChosenStrategy(config=chosen.to_config(), version=chosen)


def strategy_version_get(*, version_id: int, channel: Channel | None) -> ChosenStrategy:
    """A strategy version by id, whatever its status (to try a draft).

    A strategy scoped to another channel is not the caller's: it is "not found" for them.
    """
    qs = StrategyVersion.objects.select_related("strategy").filter(pk=version_id)
    if channel is not None:
        qs = qs.filter(Q(strategy__channel__isnull=True) | Q(strategy__channel=channel))
    version = qs.first()
    if version is None:
        raise StrategyNotFound(details={"strategy_version": version_id})
    return ChosenStrategy(config=version.to_config(), version=version)
