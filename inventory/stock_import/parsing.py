"""Reading a stock import file: header, rows validated against the catalogue, error log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Max

from ..errors import StockFeedRejected
from ..models import Location, Product, StockLevel
from ..services import MAX_QUANTITY

REQUIRED_COLUMNS = ("location", "sku", "on_hand")
OPTIONAL_COLUMNS = ("safety_stock",)
# Written by export_stock for people reading the file; an import ignores them.
IGNORED_COLUMNS = ("reserved", "available")
MAX_REPORTED_ERRORS = 50
DEFAULT_REASON = "stock count import"

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


class ImportErrors:
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


def read_header(reader: Iterator[list[str]], errors: ImportErrors) -> dict[str, int] | None:
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
class Catalogue:
    """Codes to ids, and the levels holding reservations, read once before the file."""

    locations: dict[str, int]
    products: dict[str, int]
    stride: int  # one int per (location, product): small keys for a million rows
    held: dict[int, tuple[int, dt.datetime | None]]  # key -> (reserved, last_counted_at)

    @classmethod
    def load(cls) -> Catalogue:
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


def validated_rows(
    reader: Any,
    *,
    columns: dict[str, int],
    catalogue: Catalogue,
    counted_at: dt.datetime,
    errors: ImportErrors,
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
                errors.add(line, "stock_below_reserved", below_reserved_message(on_hand, reserved))
                continue
        yield (line, loc_id, prod_id, on_hand, safety)
    if progress is not None:
        progress(count % 10_000)
    if validated is not None:
        validated()


def _quantity(text: str, column: str, line: int, errors: ImportErrors) -> int | None:
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


def below_reserved_message(on_hand: int, reserved: int) -> str:
    return (
        f"on_hand {on_hand} is below the {reserved} reserved for orders; "
        "reroute or cancel them first."
    )
