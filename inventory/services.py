"""Inventory writes. Every change of stock is a conditional update plus a ledger movement.

Lock discipline (see docs/decisions/0001-conditional-updates.md):
- A reservation is one conditional UPDATE per stock level (`... WHERE available >= qty`),
  never read-modify-write; several levels are updated in primary-key order so two
  transactions touching the same levels cannot deadlock.
- Releases lock the reservation rows first (pk order), then the stock levels (pk order).
- Feeds and imports lock all their stock levels up front, in pk order.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .errors import (
    InboundNotOpen,
    InsufficientStock,
    OverReceipt,
    ReservationNotActive,
    StockFeedRejected,
    WouldBreakReservations,
)
from .models import InboundStock, Location, Product, Reservation, StockLevel, StockMovement
from .reservation_sql import reserve_levels
from .signals import stock_arrived

Kind = StockMovement.Kind

# Quantities are PostgreSQL integers (max 2,147,483,647): refuse anything near that as input
# instead of failing with a DataError (a 500) on write. No real stock level comes close.
MAX_QUANTITY = 1_000_000_000
# A count stamped later than this ahead of our clock is refused: it would win against every
# real count that follows.
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class ReservationRequest:
    """Reserve `quantity` of `product_id` at `location_id` for `holder`."""

    location_id: int
    product_id: int
    quantity: int
    holder: str


def _level_ids(
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


def stock_reserve(
    *,
    requests: Sequence[ReservationRequest],
    actor: str,
    reference: str = "",
    known_level_ids: Mapping[tuple[int, int], int] | None = None,
) -> list[Reservation]:
    """Reserve all requested quantities or none (raises InsufficientStock with every short line).

    Conditional updates in stock-level pk order: the database decides, under its row lock,
    whether `on_hand - reserved - safety_stock >= quantity`; nothing is read first.
    Call it as late as possible in the caller's transaction: it holds hot row locks.
    When some level is short nothing stays reserved and the caller's transaction stays
    usable, so it can re-plan and try again. Inside a caller's transaction a reservation
    touching several levels sets a savepoint first: rolling back to it also drops the row
    locks of the levels already updated. Undoing them by hand would keep those locks until
    commit, and the caller's re-plan would then lock other levels out of pk order and
    deadlock with concurrent orders. A single level needs no savepoint (a failed conditional
    update locks nothing), so the common one-level case costs no extra query.
    `known_level_ids` ((location_id, product_id) -> stock level id) saves a lookup when the
    caller already read them (the routing snapshot does).
    On PostgreSQL the updates, reservations and movements are one statement with the same
    rules (inventory/reservation_sql.py); the ORM path below serves other databases.
    """
    if not requests:
        return []
    for req in requests:
        if req.quantity <= 0:
            raise ValueError("Reservation quantities must be positive.")
    in_callers_transaction = transaction.get_connection().in_atomic_block
    with contextlib.nullcontext() if in_callers_transaction else transaction.atomic():
        pairs = {(r.location_id, r.product_id) for r in requests}
        if known_level_ids is not None and pairs <= known_level_ids.keys():
            ids = {pair: known_level_ids[pair] for pair in pairs}
        else:
            ids = _level_ids(pairs)
        # Several requests on one level (two lines, same SKU) become one update.
        per_level: dict[int, int] = defaultdict(int)
        short: list[dict] = []
        for req in requests:
            level_id = ids.get((req.location_id, req.product_id))
            if level_id is None:
                short.append(
                    {
                        "location_id": req.location_id,
                        "product_id": req.product_id,
                        "requested": req.quantity,
                        "available": 0,
                    }
                )
                continue
            per_level[level_id] += req.quantity
        if not short and transaction.get_connection().vendor == "postgresql":
            return _reserve_in_one_statement(
                requests=requests,
                level_ids=ids,
                per_level=per_level,
                actor=actor,
                reference=reference,
                savepoint=in_callers_transaction and len(per_level) > 1,
            )
        failed_levels: list[int] = []
        # Left unreleased on success (the commit releases it): one query, not two.
        savepoint = (
            transaction.savepoint()
            if in_callers_transaction and len(per_level) + len(short) > 1
            else None
        )
        for level_id in sorted(per_level):
            quantity = per_level[level_id]
            updated = StockLevel.objects.filter(
                pk=level_id, on_hand__gte=F("reserved") + F("safety_stock") + quantity
            ).update(reserved=F("reserved") + quantity)
            if not updated:
                failed_levels.append(level_id)
        if failed_levels or short:
            if savepoint is not None:
                # Restores the levels already updated and drops their row locks. Without a
                # savepoint nothing needs undoing: a single level failed without updating, or
                # raising rolls back this function's own transaction.
                transaction.savepoint_rollback(savepoint)
            levels = {lvl.pk: lvl for lvl in StockLevel.objects.filter(pk__in=failed_levels)}
            for level_id in failed_levels:
                lvl = levels[level_id]
                short.append(
                    {
                        "location_id": lvl.location_id,
                        "product_id": lvl.product_id,
                        "requested": per_level[level_id],
                        "available": lvl.available,
                    }
                )
            raise InsufficientStock(lines=short)
        reservations = Reservation.objects.bulk_create(
            [
                Reservation(
                    stock_level_id=ids[(r.location_id, r.product_id)],
                    quantity=r.quantity,
                    holder=r.holder,
                )
                for r in requests
            ]
        )
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    stock_level_id=res.stock_level_id,
                    kind=Kind.RESERVATION,
                    reserved_delta=res.quantity,
                    reference=reference or res.holder,
                    actor=actor,
                    reservation=res,
                )
                for res in reservations
            ]
        )
        return reservations


def _reserve_in_one_statement(
    *,
    requests: Sequence[ReservationRequest],
    level_ids: Mapping[tuple[int, int], int],
    per_level: Mapping[int, int],
    actor: str,
    reference: str,
    savepoint: bool,
) -> list[Reservation]:
    """stock_reserve on PostgreSQL: levels, reservations and movements in one statement
    (inventory/reservation_sql.py). Several levels are locked in pk order; when one is short
    the savepoint drops those locks again (see stock_reserve)."""
    now = timezone.now()
    ordered = [(level_ids[(r.location_id, r.product_id)], r.quantity, r.holder) for r in requests]
    point = transaction.savepoint() if savepoint else None
    result = reserve_levels(
        per_level=per_level, requests=ordered, reference=reference, actor=actor, now=now
    )
    if not result.ok:
        if point is not None:
            transaction.savepoint_rollback(point)
        levels = list(StockLevel.objects.filter(pk__in=list(per_level)).order_by("pk"))
        lines = [
            {
                "location_id": lvl.location_id,
                "product_id": lvl.product_id,
                "requested": per_level[lvl.pk],
                "available": lvl.available,
            }
            for lvl in levels
        ]
        # Read after the fact: a level short at the time may have units again (a release
        # committed meanwhile); then every level is reported.
        raise InsufficientStock(
            lines=[ln for ln in lines if ln["available"] < ln["requested"]] or lines
        )
    reservations = []
    for pk, (level_id, quantity, holder) in zip(result.reservation_ids, ordered, strict=True):
        reservation = Reservation(
            pk=pk,
            stock_level_id=level_id,
            quantity=quantity,
            holder=holder,
            status=Reservation.Status.ACTIVE,
            created_at=now,
        )
        reservation._state.adding = False
        reservation._state.db = transaction.get_connection().alias
        reservations.append(reservation)
    return reservations


def _close_reservations(
    *,
    reservation_ids: Sequence[int],
    status: str,
    kind: str,
    actor: str,
    reason: str,
    reference: str,
    strict: bool,
) -> list[Reservation]:
    with transaction.atomic():
        locked = list(
            Reservation.objects.select_for_update().filter(pk__in=reservation_ids).order_by("pk")
        )
        active = [r for r in locked if r.status == Reservation.Status.ACTIVE]
        if strict and len(active) != len(set(reservation_ids)):
            raise ReservationNotActive(
                details={"reservation_ids": sorted(set(reservation_ids) - {r.pk for r in active})}
            )
        if not active:
            return []
        per_level: dict[int, int] = defaultdict(int)
        for res in active:
            per_level[res.stock_level_id] += res.quantity
        on_hand_factor = -1 if kind == Kind.SHIPMENT else 0
        for level_id in sorted(per_level):
            quantity = per_level[level_id]
            StockLevel.objects.filter(pk=level_id).update(
                reserved=F("reserved") - quantity,
                on_hand=F("on_hand") + on_hand_factor * quantity,
            )
        now = timezone.now()
        Reservation.objects.filter(pk__in=[r.pk for r in active]).update(
            status=status, closed_at=now
        )
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    stock_level_id=res.stock_level_id,
                    kind=kind,
                    reserved_delta=-res.quantity,
                    on_hand_delta=on_hand_factor * res.quantity,
                    reason=reason,
                    reference=reference or res.holder,
                    actor=actor,
                    reservation=res,
                )
                for res in active
            ]
        )
        for res in active:
            res.status = status
            res.closed_at = now
        return active


def stock_release(
    *,
    reservation_ids: Sequence[int],
    actor: str,
    reason: str = "",
    reference: str = "",
    strict: bool = False,
) -> list[Reservation]:
    """Give reserved units back to available stock. Idempotent unless `strict`.

    Locks the reservations (pk order), then their stock levels (pk order).
    Returns the reservations this call released.
    """
    return _close_reservations(
        reservation_ids=reservation_ids,
        status=Reservation.Status.RELEASED,
        kind=Kind.RELEASE,
        actor=actor,
        reason=reason,
        reference=reference,
        strict=strict,
    )


def stock_consume(
    *, reservation_ids: Sequence[int], actor: str, reference: str = ""
) -> list[Reservation]:
    """Ship reserved units: on hand and reserved both go down. Every id must be active."""
    return _close_reservations(
        reservation_ids=reservation_ids,
        status=Reservation.Status.CONSUMED,
        kind=Kind.SHIPMENT,
        actor=actor,
        reason="shipped",
        reference=reference,
        strict=True,
    )


def stock_adjust(
    *,
    location: Location,
    product: Product,
    delta: int,
    reason: str,
    actor: str,
    kind: str = Kind.ADJUSTMENT,
    reference: str = "",
) -> StockLevel:
    """Add (or remove, with a negative delta) units on hand, with a reason.

    A removal that would take on hand below what is reserved is refused: reserved units
    belong to orders and must be released (rerouted) first.
    """
    if delta == 0:
        raise ValueError("An adjustment needs a non-zero quantity.")
    if not reason.strip():
        raise ValueError("An adjustment needs a reason.")
    with transaction.atomic():
        level_id = _level_ids([(location.pk, product.pk)], create=True)[(location.pk, product.pk)]
        updated = StockLevel.objects.filter(pk=level_id, on_hand__gte=F("reserved") - delta).update(
            on_hand=F("on_hand") + delta
        )
        if not updated:
            level = StockLevel.objects.get(pk=level_id)
            raise WouldBreakReservations(
                details={
                    "location": location.code,
                    "sku": product.sku,
                    "on_hand": level.on_hand,
                    "reserved": level.reserved,
                    "delta": delta,
                }
            )
        StockMovement.objects.create(
            stock_level_id=level_id,
            kind=kind,
            on_hand_delta=delta,
            reason=reason,
            reference=reference,
            actor=actor,
        )
        if delta > 0:
            transaction.on_commit(_notify_stock_arrived)
        return StockLevel.objects.get(pk=level_id)


def stock_set_safety(
    *, location: Location, product: Product, safety_stock: int, actor: str, reason: str = ""
) -> StockLevel:
    """Set the safety stock (units never promised) of one level, through the ledger."""
    if safety_stock < 0:
        raise ValueError("Safety stock cannot be negative.")
    with transaction.atomic():
        level_id = _level_ids([(location.pk, product.pk)], create=True)[(location.pk, product.pk)]
        level = StockLevel.objects.select_for_update().get(pk=level_id)
        delta = safety_stock - level.safety_stock
        if delta:
            level.safety_stock = safety_stock
            level.save(update_fields=["safety_stock", "updated_at"])
            StockMovement.objects.create(
                stock_level=level,
                kind=Kind.SAFETY,
                safety_stock_delta=delta,
                reason=reason or "safety stock set",
                actor=actor,
            )
            if delta < 0:
                # Less held back means more to promise, as when a feed lowers it.
                transaction.on_commit(_notify_stock_arrived)
        return level


# --- Stock feeds ------------------------------------------------------------------------


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
    with transaction.atomic():
        ids = _level_ids(((loc, prod) for _, _, loc, prod in resolved), create=True)
        levels = {
            lvl.pk: lvl
            for lvl in StockLevel.objects.select_for_update()
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
        result.movements = len(movements)
        if any(m.on_hand_delta > 0 or m.safety_stock_delta < 0 for m in movements):
            transaction.on_commit(_notify_stock_arrived)
    return result


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


# --- Inbound ----------------------------------------------------------------------------


def inbound_create(
    *,
    location: Location,
    product: Product,
    reference: str,
    expected_date: dt.date,
    quantity: int,
    kind: str = InboundStock.Kind.PURCHASE_ORDER,
) -> InboundStock:
    """Announce future stock: sellable as inbound availability until it arrives."""
    if quantity <= 0:
        raise ValueError("Inbound quantity must be positive.")
    return InboundStock.objects.create(
        location=location,
        product=product,
        reference=reference,
        expected_date=expected_date,
        quantity_expected=quantity,
        kind=kind,
    )


def inbound_receive(*, inbound_id: int, quantity: int, actor: str) -> InboundStock:
    """Receive (part of) an inbound delivery: the units move to on hand via a receipt movement.

    Locks the inbound row, so two receipts of the same delivery cannot over-receive.
    """
    if quantity <= 0:
        raise ValueError("Received quantity must be positive.")
    with transaction.atomic():
        # of=("self",): without it FOR UPDATE also locks the joined location and product
        # rows, so receipts of one SKU anywhere would queue behind each other.
        inbound = (
            InboundStock.objects.select_for_update(of=("self",))
            .select_related("location", "product")
            .get(pk=inbound_id)
        )
        if inbound.status != InboundStock.Status.OPEN:
            raise InboundNotOpen(details={"inbound_id": inbound.pk, "status": inbound.status})
        if quantity > inbound.quantity_outstanding:
            raise OverReceipt(
                details={"outstanding": inbound.quantity_outstanding, "quantity": quantity}
            )
        inbound.quantity_received += quantity
        if inbound.quantity_received == inbound.quantity_expected:
            inbound.status = InboundStock.Status.RECEIVED
        inbound.save(update_fields=["quantity_received", "status"])
        stock_adjust(
            location=inbound.location,
            product=inbound.product,
            delta=quantity,
            reason=f"received against {inbound.reference}",
            actor=actor,
            kind=Kind.RECEIPT,
            reference=inbound.reference,
        )
        return inbound


def inbound_cancel(*, inbound_id: int) -> InboundStock:
    with transaction.atomic():
        inbound = InboundStock.objects.select_for_update().get(pk=inbound_id)
        if inbound.status != InboundStock.Status.OPEN:
            raise InboundNotOpen(details={"inbound_id": inbound.pk, "status": inbound.status})
        inbound.status = InboundStock.Status.CANCELLED
        inbound.save(update_fields=["status"])
        return inbound


def _notify_stock_arrived() -> None:
    stock_arrived.send(sender=StockLevel)


def stock_reservation_reduce(
    *, reservation_id: int, by: int, actor: str, reason: str = "", reference: str = ""
) -> Reservation:
    """Release part of an active reservation (a line's quantity went down).

    Locks the reservation, then its stock level. Reducing by the whole quantity releases it.
    """
    if by <= 0:
        raise ValueError("Reduce by a positive quantity.")
    with transaction.atomic():
        res = Reservation.objects.select_for_update().get(pk=reservation_id)
        if res.status != Reservation.Status.ACTIVE:
            raise ReservationNotActive(details={"reservation_ids": [res.pk]})
        if by > res.quantity:
            raise ValueError("Cannot release more than the reservation holds.")
        if by == res.quantity:
            return stock_release(
                reservation_ids=[res.pk], actor=actor, reason=reason, reference=reference
            )[0]
        StockLevel.objects.filter(pk=res.stock_level_id).update(reserved=F("reserved") - by)
        res.quantity -= by
        res.save(update_fields=["quantity"])
        StockMovement.objects.create(
            stock_level_id=res.stock_level_id,
            kind=Kind.RELEASE,
            reserved_delta=-by,
            reason=reason,
            reference=reference or res.holder,
            actor=actor,
            reservation=res,
        )
        return res
