"""manage.py prune_routing_decisions: delete old routing decision logs (each order keeps its
latest)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from orders.decision_logs import decision_logs_prune


class Command(BaseCommand):
    help = (
        "Delete routing decision logs older than --older-than-days (default: the "
        "ROUTING_DECISION_RETENTION_DAYS setting). Each order keeps its latest decision, "
        "however old: it explains where the order is now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=None,
            metavar="N",
            help=f"Age in days (default {settings.ROUTING_DECISION_RETENTION_DAYS}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than_days"]
        if days is None:
            days = settings.ROUTING_DECISION_RETENTION_DAYS
        if days < 0:
            raise CommandError("--older-than-days must be 0 or more.")
        cutoff = timezone.now() - timedelta(days=days)
        deleted = decision_logs_prune(older_than=cutoff)
        self.stdout.write(
            f"Deleted {deleted} routing decision(s) older than {days} day(s); "
            "each order's latest decision is kept."
        )
