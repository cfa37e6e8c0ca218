"""Dramatiq actors of the status hub: deliver due deliveries, and the periodic sweep.

Every publishing transaction nudges the workers after commit (`nudge_delivery_workers`);
if the process dies between commit and nudge, the sweep (run by `manage.py run_jobs`)
finds the rows and enqueues workers for them. Without REDIS_URL nothing is enqueued and
`run_jobs` delivers in-process.
"""

from __future__ import annotations

import logging
import time

import dramatiq

from oms.hub.dispatch import deliveries_dispatch, deliveries_due
from oms.jobs import uses_broker

logger = logging.getLogger("oms.hub")

DRAIN_SECONDS = 50.0
MAX_SWEEP_WORKERS = 8


def deliver_until_empty(*, batch_size: int = 50, seconds: float = DRAIN_SECONDS) -> int:
    """Deliver batches until nothing is due (or `seconds` passed); returns deliveries tried."""
    tried = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        claimed = deliveries_dispatch(batch_size=batch_size).claimed
        tried += claimed
        if not claimed:
            break
    return tried


@dramatiq.actor(queue_name="deliveries", max_retries=0, time_limit=120_000)
def deliver_due() -> None:
    """Drain due deliveries; several of these run at once and share the backlog."""
    deliver_until_empty()


def nudge_delivery_workers() -> None:
    """Called after a publishing commit: one worker run (a lost nudge costs only latency)."""
    if not uses_broker():
        return
    try:
        deliver_due.send()
    except Exception:  # the broker being down must not fail the request that committed
        logger.exception("could not nudge the delivery workers; the sweep will")


def deliveries_sweep() -> int:
    """Enqueue workers for deliveries left behind (a lost nudge, a retry coming due, an
    expired lease). Returns how many are due."""
    due = deliveries_due()
    if due and uses_broker():
        for _ in range(min(MAX_SWEEP_WORKERS, 1 + due // 200)):
            deliver_due.send()
    return due


@dramatiq.actor(queue_name="deliveries", max_retries=0)
def sweep_deliveries() -> None:
    deliveries_sweep()
