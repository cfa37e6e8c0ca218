"""Bulk stock import: a CSV of absolute stock counts, validated in full, applied through the ledger.

File format (UTF-8, comma-separated, header required; columns in any order):

    location,sku,on_hand[,safety_stock]
    wh-erfurt,TRS-RUN-BLU-42,17,2

Each row is an absolute count of one SKU at one location: it sets on hand (and safety stock,
when the column is there and the cell is not empty) to the given value. The columns
`reserved` and `available` that `export_stock` writes are accepted and ignored, so an export
re-imports as it is.

All or nothing: the whole file is validated first (unknown location or SKU, a value that is
not a whole number, a negative value, a missing column, the same location and SKU twice,
on hand below what orders have reserved); one bad row rejects the file, every bad row is
reported with its line number, and nothing is written.

Every change goes through the ledger: one `count` movement per changed level carrying the
on-hand and safety-stock deltas, so on hand still equals the sum of the movements.
A count taken before the newest count already applied to a level (`counted_at` not after
its `last_counted_at`) is skipped as stale, never written over newer truth.

Two ways to apply, same result:
- PostgreSQL: COPY into a temporary table, then set-based SQL in one transaction
  (a million rows in well under a minute);
- elsewhere (the SQLite quickstart): `stock_feed_apply` in batches inside one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from typing import TextIO

from django.db import connection, transaction

from ..models import StockLevel, StockMovement
from .parsing import (
    DEFAULT_REASON,
    Catalogue,
    ImportErrors,
    Progress,
    StockImportResult,
    read_header,
    validated_rows,
)
from .portable import apply_feed
from .postgres import apply_copy

_ANALYZE_AFTER_CREATED = 10_000


def stock_import(
    *,
    source: TextIO,
    counted_at: dt.datetime,
    actor: str,
    reference: str = "",
    reason: str = DEFAULT_REASON,
    dry_run: bool = False,
    batch_size: int = 5000,
    use_copy: bool | None = None,
    progress: Progress | None = None,
    validated: Callable[[], None] | None = None,
) -> StockImportResult:
    """Import a CSV of absolute stock counts (format in the module docstring), all or nothing.

    Raises StockFeedRejected (details: `errors` with the first 50 as {line, code, message},
    `error_count`) when any row is invalid; nothing is written then. With `dry_run` every
    check runs, including the ones under lock, and the figures are exact, but the
    transaction is rolled back. `progress(rows)` is called as rows are read, `validated()`
    once the whole file has been read, before anything is written. `use_copy` forces (True)
    or avoids (False) the PostgreSQL fast path; by default it is used whenever the database
    is PostgreSQL with psycopg 3.
    Locks every stock level it touches, in primary-key order, for the whole transaction.
    """
    if counted_at.tzinfo is None:
        raise ValueError("counted_at must be timezone-aware.")
    if batch_size <= 0:
        raise ValueError("batch_size must be positive.")
    if use_copy is None:
        use_copy = _copy_supported()
    elif use_copy and not _copy_supported():
        raise ValueError("The COPY fast path needs PostgreSQL with psycopg 3.")
    errors = ImportErrors()
    reader = csv.reader(source)
    columns = read_header(reader, errors)
    if columns is None:
        raise errors.rejection()
    rows = validated_rows(
        reader,
        columns=columns,
        catalogue=Catalogue.load(),
        counted_at=counted_at,
        errors=errors,
        progress=progress,
        validated=validated,
    )
    apply = apply_copy if use_copy else apply_feed
    with transaction.atomic():
        result = apply(
            rows,
            counted_at=counted_at,
            actor=actor[:150],
            reference=reference[:100],
            reason=reason[:200],
            batch_size=batch_size,
            errors=errors,
        )
        if dry_run:
            result.dry_run = True
            transaction.set_rollback(True)
    if use_copy and result.created >= _ANALYZE_AFTER_CREATED and not dry_run:
        # Fresh statistics now rather than after autovacuum's next round: without them the
        # planner misjudges queries on these tables right after a big load (seen: a nested
        # loop over a million levels x a million movements, and 20 ms of planning for the
        # availability query).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {StockLevel._meta.db_table}, {StockMovement._meta.db_table}")
    return result


def _copy_supported() -> bool:
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3
