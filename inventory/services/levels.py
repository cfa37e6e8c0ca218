"""Stock-level plumbing shared by the inventory services: input bounds, level lookup, the
stock-arrived signal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..models import MAX_QUANTITY, StockLevel
from ..signals import stock_arrived

__all__ = ["MAX_CLOCK_SKEW", "MAX_QUANTITY", "notify_stock_arrived", "stock_level_ids"]

# A count stamped later than this ahead of our clock is refused: it would win against every
# real count that follows.
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)


def stock_level_ids(
    pairs: Iterable[tuple[int, int]], *, create: bool = False
) -> dict[tuple[int, int], int]:
    """Stock level ids for (location_id, product_id) pairs, in one query.

    With `create`, missing levels are inserted first (concurrent inserts are harmless:
    ON CONFLICT DO NOTHING, then read back).
    """
    wanted = set(pairs)
    if not wanted:
        return {}
    location_ids = {loc for loc, _ in wanted}
    product_ids = {prod for _, prod in wanted}

    def fetch() -> dict[tuple[int, int], int]:
        rows = StockLevel.objects.filter(
            location_id__in=location_ids, product_id__in=product_ids
        ).values_list("location_id", "product_id", "pk")
        return {(loc, prod): pk for loc, prod, pk in rows if (loc, prod) in wanted}

    found = fetch()
    missing = wanted - found.keys()
    if missing and create:
        StockLevel.objects.bulk_create(
            [StockLevel(location_id=loc, product_id=prod) for loc, prod in sorted(missing)],
            ignore_conflicts=True,
        )
        found = fetch()
    return found


def notify_stock_arrived() -> None:
    """Wake whoever waits for sellable stock (the waiting room); call it on commit."""
    stock_arrived.send(sender=StockLevel)
