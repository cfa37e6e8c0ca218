"""manage.py export_stock: stock levels as CSV, in the format import_stock reads back."""

from __future__ import annotations

import csv
import time
from typing import Any

from django.core.management.base import CommandError, CommandParser

from inventory.models import Location, StockLevel
from oms.management.base import DocumentedCommand

COLUMNS = ["location", "sku", "on_hand", "reserved", "safety_stock", "available"]


class Command(DocumentedCommand):
    help = """Export stock levels as CSV (streamed; - writes to standard output).

Columns: location,sku,on_hand,reserved,safety_stock,available
(available = on_hand - reserved - safety_stock, never below 0), sorted by location and SKU.
The file re-imports as is with import_stock, which ignores reserved and available.
"""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file to write, or - for standard output.")
        parser.add_argument(
            "--location",
            action="append",
            default=[],
            metavar="CODE",
            help="Only this location (repeat for several).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        codes: list[str] = options["location"]
        levels = StockLevel.objects.all()
        if codes:
            known = set(Location.objects.filter(code__in=codes).values_list("code", flat=True))
            unknown = sorted(set(codes) - known)
            if unknown:
                raise CommandError(f"Unknown location(s): {', '.join(unknown)}.")
            levels = levels.filter(location__code__in=codes)
        rows = (
            levels.order_by("location__code", "product__sku")
            .values_list("location__code", "product__sku", "on_hand", "reserved", "safety_stock")
            .iterator(chunk_size=10_000)
        )
        path: str = options["file"]
        started = time.perf_counter()
        if path == "-":
            count = _write(self.stdout, rows)
            report = self.stderr
        else:
            try:
                with open(path, "w", newline="", encoding="utf-8") as out:
                    count = _write(out, rows)
            except OSError as exc:
                raise CommandError(f"Cannot write {path}: {exc.strerror}.")
            report = self.stdout
        report.write(
            f"Exported {count:,} stock level(s) to {'stdout' if path == '-' else path} "
            f"in {time.perf_counter() - started:.2f} s"
        )


def _write(out: Any, rows: Any) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for location, sku, on_hand, reserved, safety in rows:
        writer.writerow(
            (location, sku, on_hand, reserved, safety, max(0, on_hand - reserved - safety))
        )
        count += 1
    if hasattr(out, "flush"):
        out.flush()
    return count
