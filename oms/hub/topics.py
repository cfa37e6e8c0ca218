"""Which message topics (public event types) exist: the choices of a subscription's event
types in the admin.

The platform publishes messages but does not own the event catalogue (orders does, and
layers point down), so the orders app registers its list when Django starts
(`OrdersConfig.ready`). Nothing registered is a configuration error.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

_sources: list[Callable[[], list[str]]] = []


def published_topics_register(source: Callable[[], list[str]]) -> None:
    """Make `source` the list of public topics (replaces any earlier one)."""
    _sources[:] = [source]


def published_topics() -> list[str]:
    if not _sources:
        raise ImproperlyConfigured(
            "No topic list registered: the orders app registers its public event types in "
            "OrdersConfig.ready()."
        )
    return sorted(_sources[0]())
