"""Per-process cache of what routing reads on every order but staff change rarely: a channel's
location network and the chosen strategy (docs/decisions/0004-lean-order-intake.md).

Entries are keyed by the channel's `routing_stamp`, a random value replaced (for every channel)
whenever a location, a location's channels or a strategy changes (signals in
`routing.signals`). The request's channel row is read fresh with its API key, so the stamp it
carries is at most as old as the request: the first order after a change reloads. Stock is
never cached. As a backstop against changes that bypass the ORM's signals (raw SQL,
`QuerySet.update()` on locations), an entry also expires after MAX_AGE.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from oms.models import Channel

MAX_AGE_SECONDS = 60.0
# Distinct contexts per channel (country x delivery type) kept before the oldest go.
MAX_ENTRIES = 4096

T = TypeVar("T")

_entries: dict[Hashable, tuple[Any, float, Any]] = {}
_lock = threading.Lock()


def cached(channel: Channel | None, key: Hashable, load: Callable[[], T]) -> T:
    """`load()` once per (channel, stamp, key) and process, for at most MAX_AGE_SECONDS.

    No channel (an unscoped call) or no stamp: no caching."""
    stamp = getattr(channel, "routing_stamp", None)
    if channel is None or stamp is None:
        return load()
    full_key = (channel.pk, key)
    now = time.monotonic()
    hit = _entries.get(full_key)
    if hit is not None and hit[0] == stamp and hit[1] > now:
        return hit[2]
    value = load()
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[full_key] = (stamp, now + MAX_AGE_SECONDS, value)
    return value


def routing_config_changed() -> None:
    """Invalidate every channel's cached routing configuration (in every process): a new
    stamp, written in the caller's transaction, so it becomes visible with the change."""
    Channel.objects.update(routing_stamp=uuid.uuid4())


def clear() -> None:
    """Forget this process's entries (tests)."""
    with _lock:
        _entries.clear()
