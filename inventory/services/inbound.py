"""Inbound stock: announced deliveries (purchase orders, transfers), received into on hand."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from oms.db import violates_constraint
from oms.text import has_control_characters

from ..errors import ExpectedDateOutOfRange, InboundDuplicate, InboundNotOpen, OverReceipt
from ..models import MAX_QUANTITY, InboundStock, Location, Product, StockMovement
from ..signals import inbound_announced
from .adjustments import stock_adjust
from .preorders import preorders_notify, settle_preorders

Kind = StockMovement.Kind
UNIQUE_REFERENCE = "inbound_unique_reference"


def inbound_expected_window(*, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The expected dates accepted for new inbound stock: from a few days late (settings
    OMS_INBOUND_MAX_DAYS_LATE) to at most OMS_INBOUND_MAX_DAYS_AHEAD days ahead."""
    today = today or timezone.localdate()
    return (
        today - dt.timedelta(days=settings.OMS_INBOUND_MAX_DAYS_LATE),
        today + dt.timedelta(days=settings.OMS_INBOUND_MAX_DAYS_AHEAD),
    )


def inbound_create(
    *,
    location: Location,
    product: Product,
    reference: str,
    expected_date: dt.date,
    quantity: int,
    kind: str = InboundStock.Kind.PURCHASE_ORDER,
) -> InboundStock:
    """Announce future stock (shown as inbound availability until it arrives).

    Refuses an expected date outside `inbound_expected_window` (ExpectedDateOutOfRange) and a
    reference the location already has for the SKU (InboundDuplicate, 409). The unique
    constraint decides the duplicate, so two identical requests at once get one 201 and one
    409: the insert runs in a savepoint and its IntegrityError becomes the conflict.
    """
    if not 0 < quantity <= MAX_QUANTITY:
        raise ValueError(f"Inbound quantity must be between 1 and {MAX_QUANTITY}.")
    if has_control_characters(reference) or not reference.strip():
        raise ValueError("An inbound reference needs text without control characters.")
    earliest, latest = inbound_expected_window()
    if not earliest <= expected_date <= latest:
        raise ExpectedDateOutOfRange(
            details={
                "expected_date": expected_date.isoformat(),
                "earliest": earliest.isoformat(),
                "latest": latest.isoformat(),
            }
        )
    try:
        with transaction.atomic():
            inbound = InboundStock.objects.create(
                location=location,
                product=product,
                reference=reference,
                expected_date=expected_date,
                quantity_expected=quantity,
                kind=kind,
            )
            inbound_announced.send(sender=InboundStock, product_ids=[product.pk])
            return inbound
    except IntegrityError as exc:
        if violates_constraint(exc, InboundStock, UNIQUE_REFERENCE):
            raise InboundDuplicate(
                details={"location": location.code, "sku": product.sku, "reference": reference}
            ) from exc
        raise


def inbound_receive(*, inbound_id: int, quantity: int, actor: str) -> InboundStock:
    """Receive (part of) an inbound delivery: the units move to on hand via a receipt movement,
    and its pre-orders convert into stock reservations, highest priority then oldest first,
    as far as the units go (inventory/services/preorders.py); pre-orders the rest of the
    line can no longer cover are re-planned, all in this transaction.

    Locks the inbound row, so two receipts of the same delivery cannot over-receive.
    """
    if quantity <= 0:
        raise ValueError("Received quantity must be positive.")
    with transaction.atomic():
        inbound = _lock(inbound_id)
        if quantity > inbound.quantity_outstanding:
            raise OverReceipt(
                details={"outstanding": inbound.quantity_outstanding, "quantity": quantity}
            )
        # The units are on hand before the pre-orders convert into reservations of them.
        stock_adjust(
            location=inbound.location,
            product=inbound.product,
            delta=quantity,
            reason=f"received against {inbound.reference}",
            actor=actor,
            kind=Kind.RECEIPT,
            reference=inbound.reference,
        )
        change = settle_preorders(
            inbound=inbound,
            received=quantity,
            outstanding_after=inbound.quantity_outstanding - quantity,
            reason="received",
            actor=actor,
        )
        inbound.quantity_received += quantity
        if inbound.quantity_received == inbound.quantity_expected:
            inbound.status = InboundStock.Status.RECEIVED
        inbound.save(update_fields=["quantity_received", "quantity_reserved", "status"])
        preorders_notify(change, actor=actor)
        return inbound


def inbound_update(
    *,
    inbound_id: int,
    actor: str,
    expected_date: dt.date | None = None,
    quantity: int | None = None,
) -> InboundStock:
    """Move an open inbound line's expected date or change its expected quantity.

    A later date (a slip) releases every pre-order on the line and re-plans their orders
    against the new date and all other stock; a lower quantity releases the pre-orders that
    no longer fit (lowest priority, youngest first). Refuses a quantity below what was
    received (OverReceipt) and a date outside `inbound_expected_window`.
    """
    with transaction.atomic():
        inbound = _lock(inbound_id)
        fields: list[str] = []
        reason = ""
        if expected_date is not None and expected_date != inbound.expected_date:
            earliest, latest = inbound_expected_window()
            if not earliest <= expected_date <= latest:
                raise ExpectedDateOutOfRange(
                    details={
                        "expected_date": expected_date.isoformat(),
                        "earliest": earliest.isoformat(),
                        "latest": latest.isoformat(),
                    }
                )
            if expected_date > inbound.expected_date:
                reason = "slipped"
            inbound.expected_date = expected_date
            fields.append("expected_date")
        if quantity is not None and quantity != inbound.quantity_expected:
            if not 0 < quantity <= MAX_QUANTITY or quantity < inbound.quantity_received:
                raise OverReceipt(
                    details={"received": inbound.quantity_received, "quantity": quantity}
                )
            if quantity < inbound.quantity_expected and not reason:
                reason = "reduced"
            inbound.quantity_expected = quantity
            fields.append("quantity_expected")
            if quantity == inbound.quantity_received:
                inbound.status = InboundStock.Status.RECEIVED
                fields.append("status")
        change = None
        if reason:
            change = settle_preorders(
                inbound=inbound,
                received=0,
                outstanding_after=inbound.quantity_outstanding,
                reason=reason,
                actor=actor,
            )
            fields.append("quantity_reserved")
        if fields:
            inbound.save(update_fields=fields)
        if change is not None:
            preorders_notify(change, actor=actor)
        if fields and reason != "reduced":  # earlier, later (re-planned) or more expected
            inbound_announced.send(sender=InboundStock, product_ids=[inbound.product_id])
        return inbound


def inbound_cancel(*, inbound_id: int, actor: str = "system") -> InboundStock:
    """Cancel an open inbound line; its pre-orders are released and re-planned."""
    with transaction.atomic():
        inbound = _lock(inbound_id)
        change = settle_preorders(
            inbound=inbound, received=0, outstanding_after=0, reason="cancelled", actor=actor
        )
        inbound.status = InboundStock.Status.CANCELLED
        inbound.save(update_fields=["status", "quantity_reserved"])
        preorders_notify(change, actor=actor)
        return inbound


def _lock(inbound_id: int) -> InboundStock:
    """The open inbound row, locked (FOR NO KEY UPDATE of the row only: without `of` the
    joined location and product rows would be locked too, and receipts of one SKU anywhere
    would queue behind each other)."""
    inbound = (
        InboundStock.objects.select_for_update(of=("self",), no_key=True)
        .select_related("location", "product")
        .get(pk=inbound_id)
    )
    if inbound.status != InboundStock.Status.OPEN:
        raise InboundNotOpen(details={"inbound_id": inbound.pk, "status": inbound.status})
    return inbound
