"""Where the routing API and commands get today's capacity use per location.

Routing does not own fulfilments, so it cannot count them, and it may not import the app that
does (layers point down). The orders app hands its count in: its services pass it to the
selectors directly (intake, holds), and it registers the same function here when Django starts
(`OrdersConfig.ready`) for the callers that orders does not call (the simulate and promise
views). Nothing registered is a configuration error, never "no capacity used".
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from routing.snapshot import CapacityHook

_sources: list[CapacityHook] = []


def capacity_source_register(source: CapacityHook) -> None:
    """Make `source` the count of today's fulfilments per location (replaces any earlier one)."""
    _sources[:] = [source]


def capacity_source() -> CapacityHook:
    """The registered count; raises `ImproperlyConfigured` when no app registered one."""
    if not _sources:
        raise ImproperlyConfigured(
            "No capacity source registered: the orders app registers its count of today's "
            "fulfilments in OrdersConfig.ready()."
        )
    return _sources[0]
