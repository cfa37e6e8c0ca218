"""Per-process cache of each channel's active webhook subscriptions: what the webhook target
reads for every published event, and staff change rarely.

Entries are keyed by the channel's `webhooks_stamp`, a random value replaced in the same
transaction as any change to one of its subscriptions (created, changed, enabled, disabled by
staff or by failures, deleted: `webhooks_changed`, called from the model signals in
`oms.hub.signals` and by the dispatcher's `.update()`). The stamp that intake passes in is
the one on the channel row read with the request's API key, so it is at most as old as the
request: the first order after a committed change reloads, in every process (the same rule
as `routing/config_cache.py`). A publisher without the channel row (a worker that loaded
the order alone) reads the subscriptions directly. As a backstop against writes that bypass
both paths (raw SQL), an entry also expires after MAX_AGE_SECONDS.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from ..models import Channel, WebhookSubscription

MAX_AGE_SECONDS = 60.0
MAX_ENTRIES = 4096

# (subscription id, event types): empty event types means every public type.
Subscriptions = list[tuple[int, list[str]]]

_entries: dict[int, tuple[Any, float, Subscriptions]] = {}
_lock = threading.Lock()


def subscriptions_load(channel_ids: Iterable[int]) -> dict[int, Subscriptions]:
    """The active subscriptions of these channels, from the database (one query)."""
    found: dict[int, Subscriptions] = {pk: [] for pk in channel_ids}
    rows = (
        WebhookSubscription.objects.filter(channel_id__in=list(found), active=True)
        .order_by("id")
        .values_list("id", "channel_id", "event_types")
    )
    for sub_id, channel_id, types in rows:
        found[channel_id].append((sub_id, list(types or [])))
    return found


def channel_subscriptions(channel: Channel) -> Subscriptions:
    """The channel's active subscriptions, loaded once per (channel, stamp) and process."""
    stamp = channel.webhooks_stamp
    now = time.monotonic()
    hit = _entries.get(channel.pk)
    if hit is not None and hit[0] == stamp and hit[1] > now:
        return hit[2]
    value = subscriptions_load([channel.pk])[channel.pk]
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[channel.pk] = (stamp, now + MAX_AGE_SECONDS, value)
    return value


def webhooks_changed(*, channel_id: int) -> uuid.UUID:
    """Invalidate the channel's cached subscriptions in every process: a new stamp, written
    in the caller's transaction so it becomes visible with the change. Returns it."""
    stamp = uuid.uuid4()
    Channel.objects.filter(pk=channel_id).update(webhooks_stamp=stamp)
    return stamp


def clear() -> None:
    """Forget this process's entries (tests)."""
    with _lock:
        _entries.clear()
