"""Adjustments: units on hand and safety stock changed by hand (or by a receipt), with a reason."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from ..errors import QuantityOutOfRange, WouldBreakReservations
from ..models import Location, Product, StockLevel, StockMovement
from .levels import MAX_QUANTITY, notify_stock_arrived, stock_level_ids

Kind = StockMovement.Kind


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
    belong to orders and must be released (rerouted) first. So is a change that would take
    on hand past MAX_QUANTITY (QuantityOutOfRange), before the column would overflow.
    """
    if delta == 0:
        raise ValueError("An adjustment needs a non-zero quantity.")
    if not reason.strip():
        raise ValueError("An adjustment needs a reason.")
    if abs(delta) > MAX_QUANTITY:
        raise QuantityOutOfRange(details={"delta": delta, "max_quantity": MAX_QUANTITY})
    with transaction.atomic():
        pair = (location.pk, product.pk)
        level_id = stock_level_ids([pair], create=True)[pair]
        updated = StockLevel.objects.filter(
            pk=level_id,
            on_hand__gte=F("reserved") - delta,
            on_hand__lte=MAX_QUANTITY - delta,
        ).update(on_hand=F("on_hand") + delta)
        if not updated:
            level = StockLevel.objects.get(pk=level_id)
            details = {
                "location": location.code,
                "sku": product.sku,
                "on_hand": level.on_hand,
                "reserved": level.reserved,
                "delta": delta,
            }
            if level.on_hand + delta > MAX_QUANTITY:
                raise QuantityOutOfRange(details={**details, "max_quantity": MAX_QUANTITY})
            raise WouldBreakReservations(details=details)
        StockMovement.objects.create(
            stock_level_id=level_id,
            kind=kind,
            on_hand_delta=delta,
            reason=reason,
            reference=reference,
            actor=actor,
        )
        if delta > 0:
            transaction.on_commit(notify_stock_arrived)
        return StockLevel.objects.get(pk=level_id)


def stock_set_safety(
    *, location: Location, product: Product, safety_stock: int, actor: str, reason: str = ""
) -> StockLevel:
    """Set the safety stock (units never promised) of one level, through the ledger."""
    if safety_stock < 0:
        raise ValueError("Safety stock cannot be negative.")
    with transaction.atomic():
        pair = (location.pk, product.pk)
        level_id = stock_level_ids([pair], create=True)[pair]
        level = StockLevel.objects.select_for_update(no_key=True).get(pk=level_id)
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
                transaction.on_commit(notify_stock_arrived)
        return level
