"""Where the strategy pages get past orders to try a strategy on.

Routing does not own orders and may not import the app that does (layers point down); the
orders app registers its readers here when Django starts (`OrdersConfig.ready`), as it does
for today's capacity use (routing/capacity.py). Nothing registered is a configuration error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from routing.replay import ReplayOrder


@dataclass(frozen=True)
class ReplaySource:
    # The `limit` most recent orders (of a channel, or all), as placed.
    recent: Callable[..., list[ReplayOrder]]  # (*, limit: int, channel: Channel | None)
    # One order by its reference ("channel/external reference" or the external reference).
    by_reference: Callable[..., ReplayOrder | None]  # (*, reference: str)


_sources: list[ReplaySource] = []


def replay_source_register(source: ReplaySource) -> None:
    """Make `source` where past orders come from (replaces any earlier one)."""
    _sources[:] = [source]


def replay_source() -> ReplaySource:
    if not _sources:
        raise ImproperlyConfigured(
            "No replay source registered: the orders app registers its order readers in "
            "OrdersConfig.ready()."
        )
    return _sources[0]


__all__ = ["ReplaySource", "replay_source", "replay_source_register"]
