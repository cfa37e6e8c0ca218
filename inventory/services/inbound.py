"""Inbound stock: announced deliveries (purchase orders, transfers), received into on hand."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ..errors import InboundNotOpen, OverReceipt
from ..models import InboundStock, Location, Product, StockMovement
from .adjustments import stock_adjust

Kind = StockMovement.Kind


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
