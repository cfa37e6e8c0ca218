"""manage.py import_stock: absolute stock counts from a CSV, all or nothing, through the ledger."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from typing import Any, TextIO

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from inventory.errors import StockFeedRejected
from inventory.stock_import import MAX_REPORTED_ERRORS, StockImportResult, stock_import
from oms.management.base import DocumentedCommand

# A count from the future would make every real count until then look stale.
_FUTURE_TOLERANCE = dt.timedelta(minutes=5)


class Command(DocumentedCommand):
    help = """Import absolute stock counts from a CSV file, all or nothing, through the ledger.

File format: UTF-8, comma-separated, a header row, columns in any order.

    location,sku,on_hand,safety_stock
    wh-erfurt,TRL-RUN-BLU-42,17,2
    store-berlin,TRL-RUN-BLU-42,3,

  location      location code
  sku           SKU
  on_hand       units counted: a whole number >= 0; sets on hand
  safety_stock  optional column; units never promised (an empty cell keeps the current value)
  reserved, available
                written by export_stock for reading; ignored, so an export re-imports as is

Each row sets on hand (and safety stock) of one SKU at one location; every change is
written to the ledger as a "count" movement. A row is skipped as stale when the level
already holds a count taken at or after --counted-at.

Any invalid row (unknown location or SKU, not a whole number, negative, missing column,
the same location and SKU twice, on hand below what orders have reserved) rejects the
whole file: the errors are listed with their line numbers (the first 50 and a count),
nothing is written and the exit status is 1. --dry-run runs every check and prints the
figures without writing.
"""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file to import, or - for standard input.")
        parser.add_argument(
            "--counted-at",
            help="When the stock was counted (ISO 8601, e.g. 2025-03-01T06:00:00+01:00; "
            "without a zone: the server's zone). Default: now.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count everything; write nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Rows per write: per COPY buffer on PostgreSQL, per stock feed call "
            "elsewhere (default: 5000).",
        )
        parser.add_argument(
            "--actor", help="Who to record in the ledger (default: import:<file name>)."
        )
        parser.add_argument(
            "--reference", help="Reference on each movement (default: the file name)."
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar (off anyway without a TTY)."
        )
        parser.add_argument(
            "--portable",
            action="store_true",
            help="Use the portable path (stock feed in batches) even on PostgreSQL; slower.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: str = options["file"]
        name = "stdin" if path == "-" else os.path.basename(path)
        counted_at = _parse_counted_at(options["counted_at"])
        if options["batch_size"] <= 0:
            raise CommandError("--batch-size must be positive.")
        show_progress = not options["no_progress"] and sys.stderr.isatty()
        started = time.perf_counter()
        source: TextIO = (
            sys.stdin if path == "-" else _open(path)  # utf-8-sig: tolerate a BOM from Excel
        )
        bar = tqdm(
            total=_data_lines(path) if show_progress else None,
            desc="validating",
            unit=" rows",
            unit_scale=True,
            file=sys.stderr,
            disable=not show_progress,
        )
        try:
            result = stock_import(
                source=source,
                counted_at=counted_at,
                actor=options["actor"] or f"import:{name}",
                reference=options["reference"] or name,
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
                use_copy=False if options["portable"] else None,
                progress=bar.update if show_progress else None,
                validated=(lambda: _applying(bar)) if show_progress else None,
            )
        except StockFeedRejected as exc:
            bar.close()
            self._report_errors(exc)
            raise CommandError(exc.message, returncode=1)
        finally:
            bar.close()
            if source is not sys.stdin:
                source.close()
        self._report(result, name=name, elapsed=time.perf_counter() - started)

    def _report_errors(self, exc: StockFeedRejected) -> None:
        details = exc.details if isinstance(exc.details, dict) else {}
        errors = details.get("errors", [])
        for error in errors:
            self.stderr.write(f"line {error['line']}: {error['code']}: {error['message']}")
        more = details.get("error_count", len(errors)) - len(errors)
        if more > 0:
            self.stderr.write(
                f"... and {more} more error(s) (the first {MAX_REPORTED_ERRORS} shown)"
            )
        if not errors:
            self.stderr.write(f"{exc.code}: {exc.details}")

    def _report(self, result: StockImportResult, *, name: str, elapsed: float) -> None:
        verb = "Dry run, nothing written:" if result.dry_run else "Imported"
        self.stdout.write(f"{verb} {name} ({result.method} path)")
        for label, value in [
            ("rows", result.rows),
            ("levels created", result.created),
            ("levels updated", result.updated),
            ("levels unchanged", result.unchanged),
            ("stale rows skipped", result.stale),
            ("movements", result.movements),
        ]:
            self.stdout.write(f"  {label:<19} {value:>12,}")
        rate = result.rows / elapsed if elapsed else 0
        self.stdout.write(f"  {'elapsed':<19} {elapsed:>10.2f} s  ({rate:,.0f} rows/s)")


def _applying(bar: tqdm) -> None:
    bar.set_description("checked; applying")
    bar.refresh()


def _open(path: str) -> TextIO:
    try:
        return open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}.")


def _data_lines(path: str) -> int | None:
    """Rows in the file (for the progress bar), counted in bytes: fast even for a million."""
    if path == "-":
        return None
    lines = 0
    with open(path, "rb") as raw:
        while chunk := raw.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(0, lines - 1)


def _parse_counted_at(value: str | None) -> dt.datetime:
    now = timezone.now()
    if not value:
        return now
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            parsed = dt.datetime.combine(day, dt.time()) if day else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise CommandError(f"--counted-at '{value}' is not an ISO 8601 date or date and time.")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if parsed > now + _FUTURE_TOLERANCE:
        raise CommandError(f"--counted-at {parsed.isoformat()} is in the future.")
    return parsed
