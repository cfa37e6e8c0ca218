"""Stock feeds: batches of absolute counts and deltas from a location's own system.

Feeds lock all their stock levels up front, in pk order (the order reservations use).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from oms.errors import OMSError

from ..errors import StockFeedRejected
from ..models import InboundStock, Location, Product, StockLevel, StockMovement
from .levels import MAX_CLOCK_SKEW, MAX_QUANTITY, notify_stock_arrived, stock_level_ids

Kind = StockMovement.Kind


@dataclass(frozen=True)
class StockUpdate:
    """One row of a stock feed: either an absolute count (`on_hand` + `counted_at`)
    or a relative `delta`. `safety_stock` may accompany either."""

    location_code: str
    sku: str
    on_hand: int | None = None
    counted_at: dt.datetime | None = None
    delta: int | None = None
    safety_stock: int | None = None
    reason: str = ""
    # With a positive delta: receive that many units against the location's open inbound line
    # with this reference (converting its pre-orders, like POST inbound/{id}/receive/).
    inbound_reference: str = ""


@dataclass
class StockFeedResult:
    applied: int = 0
    stale: list[int] = field(default_factory=list)  # row numbers skipped as older
    unchanged: int = 0
    movements: int = 0


def _row_error(row: int, code: str, message: str) -> dict:
    return {"row": row, "code": code, "message": message}


def stock_feed_apply(
    *,
    updates: Sequence[StockUpdate],
    actor: str,
    allowed_location_ids: set[int] | None = None,
    reference: str = "",
    first_row: int = 1,
) -> StockFeedResult:
    """Apply a batch of absolute and delta updates, all or nothing.

    An absolute update older than (or as old as) the newest one applied to its stock level
    is skipped and reported as stale; it never overwrites newer truth. Rows that would break
    an invariant (negative stock, on hand below reserved) reject the whole batch with every
    bad row listed (`StockFeedRejected`, rows numbered from `first_row`).
    `allowed_location_ids` confines a channel's key to the locations that serve it; other
    locations are reported as unknown, never as someone else's.
    """
    errors: list[dict] = []
    location_codes = {u.location_code for u in updates}
    skus = {u.sku for u in updates}
    locations = dict(Location.objects.filter(code__in=location_codes).values_list("code", "pk"))
    products = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
    resolved: list[tuple[int, StockUpdate, int, int]] = []
    for index, update in enumerate(updates):
        row = first_row + index
        loc_id = locations.get(update.location_code)
        if loc_id is None or (
            allowed_location_ids is not None and loc_id not in allowed_location_ids
        ):
            errors.append(
                _row_error(row, "location_not_found", f"Unknown location '{update.location_code}'.")
            )
            continue
        prod_id = products.get(update.sku)
        if prod_id is None:
            errors.append(_row_error(row, "product_not_found", f"Unknown SKU '{update.sku}'."))
            continue
        absolute = update.on_hand is not None
        if absolute and update.delta is not None:
            errors.append(_row_error(row, "invalid_row", "Give on_hand or delta, not both."))
            continue
        if not absolute and update.delta is None and update.safety_stock is None:
            errors.append(_row_error(row, "invalid_row", "Give on_hand, delta or safety_stock."))
            continue
        if update.inbound_reference and (absolute or not update.delta or update.delta < 0):
            errors.append(
                _row_error(row, "invalid_row", "inbound_reference needs a positive delta.")
            )
            continue
        if absolute and update.counted_at is None:
            errors.append(_row_error(row, "invalid_row", "An absolute on_hand needs counted_at."))
            continue
        if (
            absolute
            and update.counted_at is not None
            and update.counted_at > timezone.now() + MAX_CLOCK_SKEW
        ):
            errors.append(
                _row_error(
                    row,
                    "counted_at_in_future",
                    "counted_at lies in the future; it would block every later count.",
                )
            )
            continue
        if absolute and update.on_hand is not None and update.on_hand < 0:
            errors.append(_row_error(row, "negative_quantity", "on_hand cannot be negative."))
            continue
        if update.safety_stock is not None and update.safety_stock < 0:
            errors.append(_row_error(row, "negative_quantity", "safety_stock cannot be negative."))
            continue
        resolved.append((row, update, loc_id, prod_id))
    if errors:
        raise StockFeedRejected(details={"errors": errors})

    result = StockFeedResult()
    receipts = [entry for entry in resolved if entry[1].inbound_reference]
    resolved = [entry for entry in resolved if not entry[1].inbound_reference]
    with transaction.atomic():
        # Receipts first: inbound lines are locked before stock levels (the lock order).
        _receive_inbound(receipts, actor, errors, result)
        ids = stock_level_ids(((loc, prod) for _, _, loc, prod in resolved), create=True)
        levels = {
            lvl.pk: lvl
            for lvl in StockLevel.objects.select_for_update(no_key=True)
            .filter(pk__in=ids.values())
            .order_by("pk")
        }
        original = {
            pk: (lvl.on_hand, lvl.safety_stock, lvl.last_counted_at) for pk, lvl in levels.items()
        }
        movements: list[StockMovement] = []
        for row, update, loc_id, prod_id in resolved:
            level = levels[ids[(loc_id, prod_id)]]
            on_hand_delta = 0
            kind = Kind.ADJUSTMENT
            if update.on_hand is not None:
                counted_at = update.counted_at
                assert counted_at is not None  # validated above: absolute counts carry it
                if level.last_counted_at is not None and counted_at <= level.last_counted_at:
                    result.stale.append(row)
                    continue
                level.last_counted_at = counted_at
                on_hand_delta = update.on_hand - level.on_hand
                kind = Kind.COUNT
            else:
                on_hand_delta = update.delta or 0
            new_on_hand = level.on_hand + on_hand_delta
            if new_on_hand < 0:
                errors.append(
                    _row_error(row, "negative_stock", f"On hand would become {new_on_hand}.")
                )
                continue
            if new_on_hand > MAX_QUANTITY or (update.safety_stock or 0) > MAX_QUANTITY:
                errors.append(
                    _row_error(row, "quantity_out_of_range", f"At most {MAX_QUANTITY} units.")
                )
                continue
            if new_on_hand < level.reserved:
                errors.append(
                    _row_error(
                        row,
                        "stock_below_reserved",
                        f"On hand {new_on_hand} would be below the {level.reserved} reserved "
                        "for orders; reroute or cancel them first.",
                    )
                )
                continue
            safety_delta = 0
            if update.safety_stock is not None:
                safety_delta = update.safety_stock - level.safety_stock
                level.safety_stock = update.safety_stock
            level.on_hand = new_on_hand
            result.applied += 1
            if on_hand_delta or safety_delta:
                movements.append(
                    StockMovement(
                        stock_level_id=level.pk,
                        kind=kind,
                        on_hand_delta=on_hand_delta,
                        safety_stock_delta=safety_delta,
                        reason=update.reason or ("stock count" if kind == Kind.COUNT else "feed"),
                        reference=reference,
                        actor=actor,
                    )
                )
            else:
                result.unchanged += 1
        if errors:
            raise StockFeedRejected(details={"errors": errors})
        changed = [
            lvl
            for pk, lvl in levels.items()
            if (lvl.on_hand, lvl.safety_stock, lvl.last_counted_at) != original[pk]
        ]
        _write_levels(changed)
        StockMovement.objects.bulk_create(movements, batch_size=2000)
        result.movements += len(movements)
        if any(m.on_hand_delta > 0 or m.safety_stock_delta < 0 for m in movements):
            transaction.on_commit(notify_stock_arrived)
    return result


def _receive_inbound(
    receipts: list[tuple[int, StockUpdate, int, int]],
    actor: str,
    errors: list[dict],
    result: StockFeedResult,
) -> None:
    """Feed rows naming an inbound reference: receipts (each converts its pre-orders).
    A failing row is reported and, with the batch's other errors, rolls everything back."""
    from .inbound import inbound_receive

    for row, update, loc_id, prod_id in receipts:
        inbound_id = (
            InboundStock.objects.filter(
                location_id=loc_id, product_id=prod_id, reference=update.inbound_reference
            )
            .values_list("pk", flat=True)
            .first()
        )
        if inbound_id is None:
            errors.append(
                _row_error(row, "inbound_not_found", f"No inbound '{update.inbound_reference}'.")
            )
            continue
        try:
            inbound_receive(inbound_id=inbound_id, quantity=update.delta or 0, actor=actor)
        except OMSError as exc:
            errors.append(_row_error(row, exc.code, exc.message))
            continue
        result.applied += 1
        result.movements += 1


def _write_levels(levels: list[StockLevel]) -> None:
    """Write back the quantities of locked stock levels.

    On PostgreSQL one `UPDATE ... FROM unnest(...)` per batch: Django's bulk_update builds a
    CASE per row, which for a few thousand rows takes seconds instead of milliseconds.
    """
    if not levels:
        return
    now = timezone.now()
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        for lvl in levels:
            lvl.updated_at = now
        StockLevel.objects.bulk_update(
            levels, ["on_hand", "safety_stock", "last_counted_at", "updated_at"], batch_size=500
        )
        return
    table = StockLevel._meta.db_table
    sql = (
        f"UPDATE {table} AS s SET on_hand = v.on_hand, safety_stock = v.safety_stock, "
        "last_counted_at = v.counted_at, updated_at = %s "
        "FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::timestamptz[]) "
        "AS v(id, on_hand, safety_stock, counted_at) WHERE s.id = v.id"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(levels), 5000):
            batch = levels[start : start + 5000]
            cursor.execute(
                sql,
                [
                    now,
                    [lvl.pk for lvl in batch],
                    [lvl.on_hand for lvl in batch],
                    [lvl.safety_stock for lvl in batch],
                    [lvl.last_counted_at for lvl in batch],
                ],
            )
