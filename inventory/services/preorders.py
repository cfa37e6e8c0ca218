"""Pre-orders: units of open inbound stock promised to orders before the goods arrive.

Same never-oversell rules as stock on hand (docs/decisions/0001-conditional-updates.md):
- a reservation is one conditional UPDATE per inbound line
  (`... WHERE quantity_expected - quantity_received - quantity_reserved >= qty`), several
  lines in primary-key order; a CHECK constraint keeps `quantity_reserved` within what is
  still expected;
- lock order: inbound lines (pk order), then their reservations, then stock levels. Intake
  reserves inbound lines before stock levels; receipts lock the line, then convert.

A receipt converts the line's reservations, highest priority then oldest first, into stock
reservations at the location in the receipt's transaction (ledger: receipt + reservation
movements). Reservations that no longer fit what is still expected (a partial receipt that
cannot convert them whole, a reduced quantity, a slip, a cancellation) are released and
reported through `preorders_changed`, whose receiver (the orders app) re-plans their orders
in the same transaction, so none is silently lost.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..errors import InsufficientStock, ReservationNotActive
from ..models import InboundReservation, InboundStock, Reservation, StockLevel, StockMovement
from ..signals import preorders_changed
from .levels import stock_level_ids

Active = InboundReservation.Status.ACTIVE


@dataclass(frozen=True)
class InboundReservationRequest:
    """Reserve `quantity` of inbound line `inbound_id` for `holder` (a pre-order line)."""

    inbound_id: int
    quantity: int
    holder: str
    priority: int = 0


@dataclass(frozen=True)
class PreorderChange:
    """What a change of an inbound line did to its pre-orders (sent with `preorders_changed`).

    `converted`: inbound reservation id -> the stock reservation that now holds its units;
    `displaced`: inbound reservation ids released because the line no longer covers them,
    in the order their orders should be re-planned (highest priority, oldest first).
    """

    inbound_id: int
    reason: str  # "received" | "slipped" | "reduced" | "cancelled"
    converted: dict[int, int]
    displaced: list[int]


def inbound_reserve(*, requests: Sequence[InboundReservationRequest]) -> list[InboundReservation]:
    """Reserve every requested quantity of inbound stock or none (InsufficientStock).

    Conditional updates in inbound-line pk order; with several lines inside a caller's
    transaction a savepoint undoes the ones already updated (and drops their locks) when one
    is short, so the caller can re-plan.
    """
    if not requests:
        return []
    per_line: dict[int, int] = defaultdict(int)
    for req in requests:
        if req.quantity <= 0:
            raise ValueError("Reservation quantities must be positive.")
        per_line[req.inbound_id] += req.quantity
    in_callers_transaction = transaction.get_connection().in_atomic_block
    with contextlib.nullcontext() if in_callers_transaction else transaction.atomic():
        savepoint = (
            transaction.savepoint() if in_callers_transaction and len(per_line) > 1 else None
        )
        short = []
        for inbound_id in sorted(per_line):
            quantity = per_line[inbound_id]
            updated = InboundStock.objects.filter(
                pk=inbound_id,
                status=InboundStock.Status.OPEN,
                quantity_expected__gte=F("quantity_received") + F("quantity_reserved") + quantity,
            ).update(quantity_reserved=F("quantity_reserved") + quantity)
            if not updated:
                short.append(inbound_id)
                break
        if short:
            if savepoint is not None:
                transaction.savepoint_rollback(savepoint)
            lines = [
                {
                    "inbound_id": row.pk,
                    "location_id": row.location_id,
                    "product_id": row.product_id,
                    "requested": per_line[row.pk],
                    "available": row.quantity_sellable,
                }
                for row in InboundStock.objects.filter(pk__in=short)
            ]
            raise InsufficientStock(lines=lines)
        return InboundReservation.objects.bulk_create(
            [
                InboundReservation(
                    inbound_id=r.inbound_id,
                    quantity=r.quantity,
                    holder=r.holder,
                    priority=r.priority,
                )
                for r in requests
            ]
        )


def inbound_reservations_release(
    *, reservation_ids: Sequence[int], strict: bool = False
) -> list[InboundReservation]:
    """Give promised inbound units back (an order cancelled or re-planned). Idempotent unless
    `strict`. Locks the inbound lines (pk order), then the reservations."""
    if not reservation_ids:
        return []
    with transaction.atomic():
        inbound_ids = sorted(
            set(
                InboundReservation.objects.filter(pk__in=reservation_ids).values_list(
                    "inbound_id", flat=True
                )
            )
        )
        list(
            InboundStock.objects.select_for_update(no_key=True)
            .filter(pk__in=inbound_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        locked = list(
            InboundReservation.objects.select_for_update(no_key=True)
            .filter(pk__in=reservation_ids)
            .order_by("pk")
        )
        active = [r for r in locked if r.status == Active]
        if strict and len(active) != len(set(reservation_ids)):
            raise ReservationNotActive(
                details={"reservation_ids": sorted(set(reservation_ids) - {r.pk for r in active})}
            )
        per_line: dict[int, int] = defaultdict(int)
        for res in active:
            per_line[res.inbound_id] += res.quantity
        for inbound_id in sorted(per_line):
            InboundStock.objects.filter(pk=inbound_id).update(
                quantity_reserved=F("quantity_reserved") - per_line[inbound_id]
            )
        _close(active, InboundReservation.Status.RELEASED)
        return active


def inbound_reservation_reduce(*, reservation_id: int, by: int) -> InboundReservation:
    """Release part of an active pre-order reservation (a line's quantity went down)."""
    if by <= 0:
        raise ValueError("Reduce by a positive quantity.")
    with transaction.atomic():
        inbound_id = InboundReservation.objects.values_list("inbound_id", flat=True).get(
            pk=reservation_id
        )
        InboundStock.objects.select_for_update(no_key=True).filter(pk=inbound_id).exists()
        res = InboundReservation.objects.select_for_update(no_key=True).get(pk=reservation_id)
        if res.status != Active:
            raise ReservationNotActive(details={"reservation_ids": [res.pk]})
        if by > res.quantity:
            raise ValueError("Cannot release more than the reservation holds.")
        if by == res.quantity:
            return inbound_reservations_release(reservation_ids=[res.pk])[0]
        InboundStock.objects.filter(pk=inbound_id).update(
            quantity_reserved=F("quantity_reserved") - by
        )
        res.quantity -= by
        res.save(update_fields=["quantity"])
        return res


def _close(reservations: Sequence[InboundReservation], status: str) -> None:
    if not reservations:
        return
    now = timezone.now()
    InboundReservation.objects.filter(pk__in=[r.pk for r in reservations]).update(
        status=status, closed_at=now
    )
    for res in reservations:
        res.status = status
        res.closed_at = now


def settle_preorders(
    *, inbound: InboundStock, received: int, outstanding_after: int, reason: str, actor: str
) -> PreorderChange:
    """Settle a locked inbound line's pre-orders before its row changes.

    `received` units arrived (0 for a slip, reduction or cancellation): whole reservations,
    highest priority then oldest first, convert while they fit (the caller has already put
    the units on hand). What stays must fit `outstanding_after` (what is still expected
    afterwards); the rest is released, lowest priority and youngest last to stay. A slip
    (`reason == "slipped"`) releases every reservation so each order is re-planned against
    the new date. Updates `inbound.quantity_reserved` in memory: the caller saves the row
    (the CHECK constraint sees the new received and reserved figures together), then calls
    `preorders_notify`.
    """
    active = list(
        InboundReservation.objects.select_for_update(no_key=True)
        .filter(inbound=inbound, status=Active)
        .order_by("-priority", "id")
    )
    converting: list[InboundReservation] = []
    left = received
    index = 0
    while index < len(active) and active[index].quantity <= left:
        left -= active[index].quantity
        converting.append(active[index])
        index += 1
    staying: list[InboundReservation] = []
    displaced: list[InboundReservation] = []
    room = outstanding_after if reason != "slipped" else 0
    for res in active[index:]:
        if not displaced and res.quantity <= room:
            staying.append(res)
            room -= res.quantity
        else:
            displaced.append(res)
    inbound.quantity_reserved = sum(r.quantity for r in staying)
    converted: dict[int, int] = {}
    if converting:
        converted = _convert(inbound, converting, actor)
    _close(displaced, InboundReservation.Status.RELEASED)
    return PreorderChange(
        inbound_id=inbound.pk,
        reason=reason,
        converted=converted,
        displaced=[r.pk for r in displaced],
    )


def _convert(
    inbound: InboundStock, converting: list[InboundReservation], actor: str
) -> dict[int, int]:
    """Stock reservations at the location for received pre-order units (ledger movements).
    The units are already on hand (the receipt's movement); safety stock does not apply:
    these units were promised before they arrived."""
    pair = (inbound.location_id, inbound.product_id)
    level_id = stock_level_ids([pair], create=True)[pair]
    total = sum(r.quantity for r in converting)
    StockLevel.objects.filter(pk=level_id).update(reserved=F("reserved") + total)
    reservations = Reservation.objects.bulk_create(
        [
            Reservation(stock_level_id=level_id, quantity=r.quantity, holder=r.holder)
            for r in converting
        ]
    )
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                stock_level_id=level_id,
                kind=StockMovement.Kind.RESERVATION,
                reserved_delta=res.quantity,
                reason="pre-order converted on receipt",
                reference=inbound.reference,
                actor=actor,
                reservation=res,
            )
            for res in reservations
        ]
    )
    now = timezone.now()
    for old, new in zip(converting, reservations, strict=True):
        old.status = InboundReservation.Status.CONVERTED
        old.converted_to = new
        old.closed_at = now
    InboundReservation.objects.bulk_update(converting, ["status", "converted_to", "closed_at"])
    return {old.pk: new.pk for old, new in zip(converting, reservations, strict=True)}


def preorders_notify(change: PreorderChange, *, actor: str) -> None:
    """Tell the orders app (in this transaction) what happened to its pre-orders."""
    if change.converted or change.displaced:
        preorders_changed.send(sender=InboundStock, change=change, actor=actor)
