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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from .errors import StockFeedRejected
from .models import Location, Product, StockLevel, StockMovement
from .services import MAX_QUANTITY, StockUpdate, stock_feed_apply
from .signals import stock_arrived

REQUIRED_COLUMNS = ("location", "sku", "on_hand")
OPTIONAL_COLUMNS = ("safety_stock",)
# Written by export_stock for people reading the file; an import ignores them.
IGNORED_COLUMNS = ("reserved", "available")
MAX_REPORTED_ERRORS = 50
DEFAULT_REASON = "stock count import"
_ANALYZE_AFTER_CREATED = 10_000

# A validated row: (line, location_id, product_id, on_hand, safety_stock or None).
Row = tuple[int, int, int, int, int | None]
Progress = Callable[[int], None]


@dataclass
class StockImportResult:
    rows: int = 0
    created: int = 0  # levels that did not exist before
    updated: int = 0  # existing levels whose on hand or safety stock changed
    unchanged: int = 0  # existing levels confirmed as they were (count date still recorded)
    stale: int = 0  # rows skipped: the level holds a newer count
    movements: int = 0
    method: str = ""  # "copy" (PostgreSQL) or "feed" (portable)
    dry_run: bool = False


class _ErrorLog:
    """Counts every error but keeps only the first few of each validation phase."""

    def __init__(self, keep: int = MAX_REPORTED_ERRORS) -> None:
        self.keep = keep
        self.count = 0
        self._kept: list[tuple[int, str, str]] = []
        self._phase_kept = 0

    def add(self, line: int, code: str, message: str) -> None:
        self.count += 1
        if self._phase_kept < self.keep:
            self._kept.append((line, code, message))
            self._phase_kept += 1

    def new_phase(self) -> None:
        self._phase_kept = 0

    def first(self) -> list[dict]:
        return [
            {"line": line, "code": code, "message": message}
            for line, code, message in sorted(self._kept)[: self.keep]
        ]

    def rejection(self) -> StockFeedRejected:
        return StockFeedRejected(
            f"{self.count} invalid row(s); nothing was imported.",
            details={"errors": self.first(), "error_count": self.count},
        )


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
    errors = _ErrorLog()
    reader = csv.reader(source)
    columns = _read_header(reader, errors)
    if columns is None:
        raise errors.rejection()
    rows = _validated_rows(
        reader,
        columns=columns,
        catalogue=_Catalogue.load(),
        counted_at=counted_at,
        errors=errors,
        progress=progress,
        validated=validated,
    )
    apply = _apply_copy if use_copy else _apply_feed
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
            cursor.execute("ANALYZE inventory_stocklevel, inventory_stockmovement")
    return result


def _copy_supported() -> bool:
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


# --- Validation ---------------------------------------------------------------------------


def _read_header(reader: Iterator[list[str]], errors: _ErrorLog) -> dict[str, int] | None:
    header = next(reader, None)
    if header is None:
        errors.add(1, "missing_header", "The file is empty; it needs a header row.")
        return None
    names = [name.strip().lower() for name in header]
    known = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS + IGNORED_COLUMNS)
    unknown = [name for name in names if name not in known]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    expected = ",".join(REQUIRED_COLUMNS) + "[," + ",".join(OPTIONAL_COLUMNS) + "]"
    if missing:
        errors.add(
            1,
            "missing_column",
            f"The header lacks {', '.join(missing)}; expected {expected}.",
        )
    if unknown:
        errors.add(1, "unknown_column", f"Unknown column(s) {', '.join(unknown)}.")
    if duplicated:
        errors.add(1, "duplicate_column", f"Column(s) {', '.join(duplicated)} appear twice.")
    if errors.count:
        return None
    return {name: index for index, name in enumerate(names)}


@dataclass(frozen=True)
class _Catalogue:
    """Codes to ids, and the levels holding reservations, read once before the file."""

    locations: dict[str, int]
    products: dict[str, int]
    stride: int  # one int per (location, product): small keys for a million rows
    held: dict[int, tuple[int, dt.datetime | None]]  # key -> (reserved, last_counted_at)

    @classmethod
    def load(cls) -> _Catalogue:
        stride = (Product.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        held = {
            loc * stride + prod: (reserved, last_counted_at)
            for loc, prod, reserved, last_counted_at in StockLevel.objects.filter(
                reserved__gt=0
            ).values_list("location_id", "product_id", "reserved", "last_counted_at")
        }
        return cls(
            locations=dict(Location.objects.values_list("code", "pk")),
            products=dict(Product.objects.values_list("sku", "pk")),
            stride=stride,
            held=held,
        )


def _validated_rows(
    reader: Any,
    *,
    columns: dict[str, int],
    catalogue: _Catalogue,
    counted_at: dt.datetime,
    errors: _ErrorLog,
    progress: Progress | None,
    validated: Callable[[], None] | None,
) -> Iterator[Row]:
    """Yield the valid rows; record every invalid one in `errors` with its line number.

    One pass over the file against the preloaded catalogue: no query per row, and none at
    all while it runs (the fast path streams it into a COPY on the same connection). The
    on-hand-below-reserved check here uses reservations read without a lock, so every such
    row can be reported up front; the apply step checks again under lock.
    """
    locations = catalogue.locations
    products = catalogue.products
    stride = catalogue.stride
    held = catalogue.held
    loc_col = columns["location"]
    sku_col = columns["sku"]
    on_hand_col = columns["on_hand"]
    safety_col = columns.get("safety_stock")
    width = len(columns)  # the header's: duplicate names were refused
    first_line: dict[int, int] = {}
    count = 0
    for row in reader:
        line = reader.line_num  # the physical line: a quoted cell may span lines
        count += 1
        if progress is not None and not count % 10_000:
            progress(10_000)
        if len(row) != width:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            code = "missing_column" if len(row) < width else "extra_column"
            # A shifted row would put a number in the wrong column: refuse it.
            errors.add(line, code, f"Expected {width} columns, found {len(row)}.")
            continue
        loc_code = row[loc_col].strip()
        loc_id = locations.get(loc_code)
        if loc_id is None:
            errors.add(line, "location_not_found", f"Unknown location '{loc_code}'.")
            continue
        sku = row[sku_col].strip()
        prod_id = products.get(sku)
        if prod_id is None:
            errors.add(line, "product_not_found", f"Unknown SKU '{sku}'.")
            continue
        on_hand = _quantity(row[on_hand_col], "on_hand", line, errors)
        if on_hand is None:
            continue
        safety: int | None = None
        if safety_col is not None and row[safety_col].strip():
            safety = _quantity(row[safety_col], "safety_stock", line, errors)
            if safety is None:
                continue
        key = loc_id * stride + prod_id
        first = first_line.setdefault(key, line)
        if first != line:
            errors.add(
                line,
                "duplicate_row",
                f"Location '{loc_code}' and SKU '{sku}' were already given on line {first}.",
            )
            continue
        if key in held:
            reserved, last_counted_at = held[key]
            stale = last_counted_at is not None and counted_at <= last_counted_at
            if on_hand < reserved and not stale:
                errors.add(line, "stock_below_reserved", _below_reserved(on_hand, reserved))
                continue
        yield (line, loc_id, prod_id, on_hand, safety)
    if progress is not None:
        progress(count % 10_000)
    if validated is not None:
        validated()


def _quantity(text: str, column: str, line: int, errors: _ErrorLog) -> int | None:
    text = text.strip()
    try:
        value = int(text)
    except ValueError:
        errors.add(line, "not_an_integer", f"{column} '{text}' is not a whole number.")
        return None
    if value < 0:
        errors.add(line, "negative_quantity", f"{column} cannot be negative ({value}).")
        return None
    if value > MAX_QUANTITY:
        errors.add(line, "quantity_out_of_range", f"{column}: at most {MAX_QUANTITY} units.")
        return None
    return value


def _below_reserved(on_hand: int, reserved: int) -> str:
    return (
        f"on_hand {on_hand} is below the {reserved} reserved for orders; "
        "reroute or cancel them first."
    )


# --- PostgreSQL: COPY + set-based SQL -------------------------------------------------------

_CREATE_ROWS = """
DROP TABLE IF EXISTS stock_import_rows;
CREATE TEMPORARY TABLE stock_import_rows (
    line integer NOT NULL,
    location_id bigint NOT NULL,
    product_id bigint NOT NULL,
    on_hand integer NOT NULL,
    safety_stock integer
) ON COMMIT DROP
"""

# Levels the file touches, locked in primary-key order: the order reservations use, so an
# import and a checkout cannot deadlock. Levels are only read after the lock is held.
_LOCK_LEVELS = """
SELECT count(*) FROM (
    SELECT 1
    FROM inventory_stocklevel sl
    JOIN stock_import_rows r ON r.location_id = sl.location_id AND r.product_id = sl.product_id
    ORDER BY sl.id
    FOR UPDATE OF sl
) AS locked
"""

# What each row will do, from the locked levels. New levels get their id here, so the
# movements need no join back after the upsert. The DROP is its own statement: with
# server-side binding a statement with parameters must be a single command.
_DROP_PLAN = "DROP TABLE IF EXISTS stock_import_plan"
_CREATE_PLAN = """
CREATE TEMPORARY TABLE stock_import_plan ON COMMIT DROP AS
SELECT
    r.line,
    r.location_id,
    r.product_id,
    r.on_hand,
    COALESCE(r.safety_stock, sl.safety_stock, 0) AS safety_stock,
    COALESCE(sl.on_hand, 0) AS old_on_hand,
    COALESCE(sl.safety_stock, 0) AS old_safety_stock,
    COALESCE(sl.reserved, 0) AS reserved,
    sl.id IS NULL AS is_new,
    COALESCE(sl.last_counted_at >= %(counted_at)s, false) AS stale,
    COALESCE(sl.id, nextval(pg_get_serial_sequence('inventory_stocklevel', 'id'))) AS level_id
FROM stock_import_rows r
LEFT JOIN inventory_stocklevel sl
    ON sl.location_id = r.location_id AND sl.product_id = r.product_id
"""

_CHANGED = "(p.on_hand <> p.old_on_hand OR p.safety_stock <> p.old_safety_stock)"

_PLAN_FIGURES = f"""
SELECT
    count(*),
    count(*) FILTER (WHERE p.stale),
    count(*) FILTER (WHERE NOT p.stale AND p.is_new),
    count(*) FILTER (WHERE NOT p.stale AND NOT p.is_new AND {_CHANGED}),
    count(*) FILTER (WHERE NOT p.stale AND NOT p.is_new AND NOT {_CHANGED}),
    count(*) FILTER (WHERE NOT p.stale AND {_CHANGED}),
    count(*) FILTER (WHERE NOT p.stale AND p.on_hand < p.reserved),
    coalesce(bool_or(
        NOT p.stale AND (p.on_hand > p.old_on_hand OR p.safety_stock < p.old_safety_stock)
    ), false)
FROM stock_import_plan p
"""

_BELOW_RESERVED = """
SELECT line, on_hand, reserved FROM stock_import_plan
WHERE NOT stale AND on_hand < reserved
ORDER BY line
LIMIT %(limit)s
"""

# Existing levels are locked: a plain UPDATE from the plan (cheaper than routing a million
# rows through ON CONFLICT). New levels are inserted with the ids the plan gave them;
# ON CONFLICT catches a level someone else created since the plan was made, and the row
# count then tells (the whole import is refused rather than computed from a stale zero).
_UPDATE_LEVELS = """
UPDATE inventory_stocklevel AS sl SET
    on_hand = p.on_hand,
    safety_stock = p.safety_stock,
    last_counted_at = %(counted_at)s,
    updated_at = %(now)s
FROM stock_import_plan p
WHERE sl.id = p.level_id AND NOT p.is_new AND NOT p.stale
"""

_INSERT_LEVELS = """
INSERT INTO inventory_stocklevel (
    id, location_id, product_id, on_hand, reserved, safety_stock, last_counted_at, updated_at
)
SELECT level_id, location_id, product_id, on_hand, 0, safety_stock, %(counted_at)s, %(now)s
FROM stock_import_plan
WHERE is_new
ORDER BY level_id
ON CONFLICT (location_id, product_id) DO NOTHING
"""

_INSERT_MOVEMENTS = f"""
INSERT INTO inventory_stockmovement (
    stock_level_id, kind, on_hand_delta, reserved_delta, safety_stock_delta,
    reason, reference, actor, reservation_id, created_at
)
SELECT
    p.level_id, %(kind)s, p.on_hand - p.old_on_hand, 0, p.safety_stock - p.old_safety_stock,
    %(reason)s, %(reference)s, %(actor)s, NULL, %(now)s
FROM stock_import_plan p
WHERE NOT p.stale AND {_CHANGED}
ORDER BY p.line
"""


_COPY_NULL = "\\N"


def _apply_copy(
    rows: Iterable[Row],
    *,
    counted_at: dt.datetime,
    actor: str,
    reference: str,
    reason: str,
    batch_size: int,
    errors: _ErrorLog,
) -> StockImportResult:
    result = StockImportResult(method="copy")
    now = timezone.now()
    with connection.cursor() as cursor:
        # Sorts and hash joins over a million rows stay in memory (this transaction only).
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute(_CREATE_ROWS)
        raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
        with raw.copy(
            "COPY stock_import_rows (line, location_id, product_id, on_hand, safety_stock) "
            "FROM STDIN"
        ) as copy:
            buffer: list[str] = []
            for line, loc_id, prod_id, on_hand, safety in rows:
                buffer.append(
                    f"{line}\t{loc_id}\t{prod_id}\t{on_hand}\t"
                    f"{_COPY_NULL if safety is None else safety}\n"
                )
                if len(buffer) >= batch_size:
                    copy.write("".join(buffer))
                    buffer.clear()
            if buffer:
                copy.write("".join(buffer))
        if errors.count:
            raise errors.rejection()
        cursor.execute("ANALYZE stock_import_rows")
        cursor.execute(_LOCK_LEVELS)
        cursor.execute(_DROP_PLAN)
        cursor.execute(_CREATE_PLAN, {"counted_at": counted_at})
        cursor.execute(_PLAN_FIGURES)
        (
            result.rows,
            result.stale,
            result.created,
            result.updated,
            result.unchanged,
            result.movements,
            below_reserved,
            stock_arrived_now,
        ) = cursor.fetchone()
        if below_reserved:
            # Reservations taken since validation read them: report like any bad row.
            errors.new_phase()
            cursor.execute(_BELOW_RESERVED, {"limit": MAX_REPORTED_ERRORS})
            for line, on_hand, reserved in cursor.fetchall():
                errors.add(line, "stock_below_reserved", _below_reserved(on_hand, reserved))
            errors.count += below_reserved - min(below_reserved, MAX_REPORTED_ERRORS)
            raise errors.rejection()
        params = {"counted_at": counted_at, "now": now}
        cursor.execute(_UPDATE_LEVELS, params)
        updated = cursor.rowcount
        cursor.execute(_INSERT_LEVELS, params)
        if cursor.rowcount != result.created:
            # Someone created one of our new levels since the plan was made.
            raise StockFeedRejected(
                "Stock levels were created while the import ran; nothing was imported. "
                "Run it again.",
                code="stock_import_conflict",
                details={"expected": result.created, "created": cursor.rowcount},
            )
        if updated != result.updated + result.unchanged:
            raise RuntimeError("A locked stock level changed under the import.")
        cursor.execute(
            _INSERT_MOVEMENTS,
            {
                "kind": StockMovement.Kind.COUNT,
                "reason": reason,
                "reference": reference,
                "actor": actor,
                "now": now,
            },
        )
    if stock_arrived_now:
        transaction.on_commit(lambda: stock_arrived.send(sender=StockLevel))
    return result


# --- Anywhere: the stock feed service in batches ------------------------------------------


def _apply_feed(
    rows: Iterable[Row],
    *,
    counted_at: dt.datetime,
    actor: str,
    reference: str,
    reason: str,
    batch_size: int,
    errors: _ErrorLog,
) -> StockImportResult:
    validated = list(rows)  # the whole file is checked before anything is written
    if errors.count:
        raise errors.rejection()
    location_codes = {pk: code for code, pk in Location.objects.values_list("code", "pk")}
    product_ids = {prod for _, _, prod, _, _ in validated}
    skus: dict[int, str] = {}
    for chunk in _chunks(sorted(product_ids), 10_000):
        skus.update(Product.objects.filter(pk__in=chunk).values_list("pk", "sku"))
    result = StockImportResult(method="feed", rows=len(validated))
    for batch in _chunks(validated, batch_size):
        existing = _existing_pairs(batch)
        new_with_movement = new_without_movement = 0
        for _, loc, prod, on_hand, safety in batch:
            if (loc, prod) not in existing:
                if on_hand or safety:
                    new_with_movement += 1
                else:
                    new_without_movement += 1
        try:
            fed = stock_feed_apply(
                updates=[
                    StockUpdate(
                        location_code=location_codes[loc],
                        sku=skus[prod],
                        on_hand=on_hand,
                        counted_at=counted_at,
                        safety_stock=safety,
                        reason=reason,
                    )
                    for _, loc, prod, on_hand, safety in batch
                ],
                actor=actor,
                reference=reference,
                first_row=0,
            )
        except StockFeedRejected as exc:
            # Reservations taken since validation: the feed re-checked under lock.
            errors.new_phase()
            for error in exc.details.get("errors", []):
                errors.add(batch[error["row"]][0], error["code"], error["message"])
            raise errors.rejection()
        result.created += new_with_movement + new_without_movement
        result.stale += len(fed.stale)
        result.movements += fed.movements
        result.updated += fed.movements - new_with_movement
        result.unchanged += fed.unchanged - new_without_movement
    return result


def _existing_pairs(batch: list[Row]) -> set[tuple[int, int]]:
    wanted = {(loc, prod) for _, loc, prod, _, _ in batch}
    found = StockLevel.objects.filter(
        location_id__in={loc for loc, _ in wanted}, product_id__in={prod for _, prod in wanted}
    ).values_list("location_id", "product_id")
    return {pair for pair in found if pair in wanted}


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
