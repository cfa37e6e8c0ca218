"""manage.py webhooks_replay: send deliveries again (same webhook-id, in order per order)."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from oms.errors import OMSError
from oms.hub.replay import deliveries_replay


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--since: not an ISO 8601 time: {value!r}") from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Replay webhook (or e-mail) deliveries: one delivery (--delivery ID), or every delivery "
        "of a webhook subscription published since a time (--subscription ID --since "
        "2026-12-01T08:00:00+00:00). They are sent again with their original webhook-id, in "
        "sequence order per order; a delivery being sent right now is left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--delivery", type=int, help="The id of one delivery.")
        target.add_argument("--subscription", type=int, help="A webhook subscription's id.")
        parser.add_argument(
            "--since", help="ISO 8601 time (naive = the project's time zone); with --subscription."
        )
        parser.add_argument("--actor", help="Who to record (default: cli:<user>).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subscription"] is not None and not options["since"]:
            raise CommandError("--subscription needs --since.")
        if options["delivery"] is not None and options["since"]:
            raise CommandError("--since goes with --subscription, not --delivery.")
        since = _moment(options["since"]) if options["since"] else None
        actor = options["actor"] or f"cli:{getpass.getuser()}"
        try:
            report = deliveries_replay(
                delivery_id=options["delivery"],
                subscription_id=options["subscription"],
                since=since,
                actor=actor,
            )
        except OMSError as exc:
            raise CommandError(f"{exc.message} ({exc.code})") from exc
        self.stdout.write(
            f"requeued: {report.requeued}; in flight (left alone): {report.in_flight}"
            + (f"; waiting for the disabled subscription: {report.paused}" if report.paused else "")
        )
