"""Stock import anywhere else (the SQLite quickstart): the stock feed service in batches.

Same result as the PostgreSQL path (`postgres.apply_copy`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from ..errors import StockFeedRejected
from ..models import Location, Product, StockLevel
from ..services import StockUpdate, stock_feed_apply
from .parsing import ImportErrors, Row, StockImportResult


def apply_feed(
    rows: Iterable[Row],
    *,
    counted_at: dt.datetime,
    actor: str,
    reference: str,
    reason: str,
    batch_size: int,
    errors: ImportErrors,
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
            details = exc.details if isinstance(exc.details, dict) else {}
            for error in details.get("errors", []):
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
