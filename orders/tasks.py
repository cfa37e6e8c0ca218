"""Dramatiq actors for orders' background work. The functions they call are services, so
`manage.py run_jobs` can also run them directly (quickstart, cron)."""

from __future__ import annotations

import dramatiq

from .services import holds_expire, waiting_room_process


@dramatiq.actor(queue_name="orders", max_retries=3)
def route_waiting_orders() -> None:
    """Route waiting orders (priority, then age) and escalate overdue ones."""
    waiting_room_process()


@dramatiq.actor(queue_name="orders", max_retries=3)
def expire_checkout_holds() -> None:
    holds_expire()
