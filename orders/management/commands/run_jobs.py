"""manage.py run_jobs: expire checkout holds, route the waiting room, deliver and sweep.

It lives in orders because the jobs it runs are the orders app's (and the deliveries of the
events it writes)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from oms.jobs import uses_broker
from oms.tasks import deliver_until_empty, deliveries_sweep
from orders.idempotency import idempotency_records_purge
from orders.services import holds_expire, waiting_room_process
from orders.tasks import expire_checkout_holds, route_waiting_orders


class Command(BaseCommand):
    help = (
        "Run the periodic jobs every --interval seconds (or --once): release expired checkout "
        "holds, route waiting orders (priority, then age) and escalate overdue ones, deliver "
        "due webhook and notification deliveries. With REDIS_URL set and --enqueue, it only "
        "enqueues the dramatiq actors and sweeps deliveries left behind (run workers with "
        "`manage.py rundramatiq`)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=30.0)
        parser.add_argument("--once", action="store_true")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Send the actors to the broker instead of running them here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        enqueue = options["enqueue"]
        if enqueue and not uses_broker():
            self.stderr.write("--enqueue needs REDIS_URL; running the jobs in-process instead.")
            enqueue = False
        while True:
            if enqueue:
                for actor in (expire_checkout_holds, route_waiting_orders):
                    actor.send()
                due = deliveries_sweep()
                self.stdout.write(f"enqueued periodic jobs; deliveries due: {due}")
            else:
                expired = holds_expire()
                idempotency_records_purge()
                waiting = waiting_room_process()
                tried = deliver_until_empty()
                self.stdout.write(
                    f"holds expired: {expired}; waiting room: {waiting}; deliveries tried: {tried}"
                )
            if options["once"]:
                return
            time.sleep(options["interval"])
