"""manage.py check_stock_ledger: every stock level must equal the sum of its movements."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory.models import StockLevel
from inventory.selectors import stock_ledger_mismatches


class Command(BaseCommand):
    help = (
        "Check the stock ledger: on hand, reserved and safety stock of every level equal the "
        "sums of its movements, and reserved equals its active reservations. Prints each "
        "mismatch and exits with status 1 if there is any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--location",
            action="append",
            default=[],
            metavar="CODE",
            help="Only this location (repeat for several).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        codes: list[str] = options["location"]
        mismatches = stock_ledger_mismatches(location_codes=codes or None)
        if mismatches:
            for m in mismatches:
                self.stdout.write(
                    f"level {m.stock_level_id} {m.location_code} {m.sku}: {m.field} is "
                    f"{m.level_value}, the ledger says {m.ledger_value}"
                )
            levels = len({m.stock_level_id for m in mismatches})
            raise CommandError(
                f"ledger MISMATCH: {len(mismatches)} mismatch(es) in {levels} stock level(s)",
                returncode=1,
            )
        levels = StockLevel.objects.all()
        if codes:
            levels = levels.filter(location__code__in=codes)
        self.stdout.write(f"ledger OK: {levels.count()} stock levels")
