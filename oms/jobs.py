"""Running background work: dramatiq on Redis in production, in-process for the quickstart.

`enqueue(actor, ...)` sends the message when a real broker is configured (REDIS_URL), and
otherwise runs the actor's function right away in this process, so the demo needs nothing
but Python. Both paths run after the surrounding transaction commits.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def uses_broker() -> bool:
    return bool(settings.REDIS_URL)


def enqueue(actor: Any, *args: Any, **kwargs: Any) -> None:
    def send() -> None:
        if uses_broker():
            actor.send(*args, **kwargs)
            return
        try:
            actor.fn(*args, **kwargs)
        except Exception:  # in-process jobs must never break the request that triggered them
            logger.exception("in-process job %s failed", actor.actor_name)

    transaction.on_commit(send)
