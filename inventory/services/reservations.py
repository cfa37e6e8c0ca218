"""Reservations: units of a stock level held for an order (or a hold) until shipped or released.

Lock discipline (see docs/decisions/0001-conditional-updates.md):
- A reservation is one conditional UPDATE per stock level (`... WHERE available >= qty`),
  never read-modify-write; several levels are updated in primary-key order so two
  transactions touching the same levels cannot deadlock.
- Releases lock the reservation rows first (pk order), then the stock levels (pk order).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..errors import InsufficientStock, ReservationNotActive
from ..models import Reservation, StockLevel, StockMovement
from ..reservation_sql import reserve_levels
from .levels import stock_level_ids

Kind = StockMovement.Kind


@dataclass(frozen=True)
class ReservationRequest:
    """Reserve `quantity` of `product_id` at `location_id` for `holder`."""

    location_id: int
    product_id: int
    quantity: int
    holder: str


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
            ids = stock_level_ids(pairs)
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
    result = reserve_levels(
        per_level=per_level,
        requests=ordered,
        reference=reference,
        actor=actor,
        now=now,
        savepoint=savepoint,
    )
    if not result.ok:
        if result.savepoint is not None:
            transaction.savepoint_rollback(result.savepoint)
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
    # Matched by (level, holder), not by position; requests with the same level and holder
    # take that pair's ids in insertion order.
    ids_by_pair: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row in result.reservations:
        ids_by_pair[(row.stock_level_id, row.holder)].append(row.id)
    if len(result.reservations) != len(ordered):
        raise RuntimeError("The reservation statement wrote a different number of rows.")
    reservations = []
    for level_id, quantity, holder in ordered:
        pk = ids_by_pair[(level_id, holder)].pop(0)
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
            Reservation.objects.select_for_update(no_key=True)
            .filter(pk__in=reservation_ids)
            .order_by("pk")
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


def stock_reservation_reduce(
    *, reservation_id: int, by: int, actor: str, reason: str = "", reference: str = ""
) -> Reservation:
    """Release part of an active reservation (a line's quantity went down).

    Locks the reservation, then its stock level. Reducing by the whole quantity releases it.
    """
    if by <= 0:
        raise ValueError("Reduce by a positive quantity.")
    with transaction.atomic():
        res = Reservation.objects.select_for_update(no_key=True).get(pk=reservation_id)
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
