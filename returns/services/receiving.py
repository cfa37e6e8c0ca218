"""Receiving returned parcels (at a warehouse or any store that accepts returns) and
inspecting their units: restock (a `return` movement at the receiving location, sellable at
once), quality control (held out of stock until released or written off), write-off,
return to vendor.

Locks: the order row, then the return (returns.services.common.return_lock), then the stock
levels a restock touches (inventory.services.stock_adjust) - the project's fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from inventory.models import Location, StockMovement
from inventory.services import stock_adjust
from orders.events import EventRecorder
from orders.locks import order_lock

from .. import events as ev
from ..errors import (
    InspectionExceedsReceived,
    LocationNotAcceptingReturns,
    ParcelConflict,
    QualityHoldDecided,
    QualityHoldNotFound,
    ReceiptExceedsRequested,
    ReceivedElsewhere,
    ReturnLineUnknown,
)
from ..models import (
    Disposition,
    QualityHold,
    ReturnInspection,
    ReturnLine,
    ReturnReceipt,
    ReturnRequest,
    ReturnState,
)
from ..rules import step_require
from .common import finish, return_lock, transition


def return_receive(
    *,
    return_id: int,
    parcel_reference: str,
    location: Location,
    actor: str,
    lines: dict[int, int] | None = None,
    channel_id: int | None = None,
) -> ReturnRequest:
    """Record a parcel at `location`: {order line number: units} (default: everything still
    outstanding). The same parcel reference again changes nothing (with other contents it is
    refused, 409). A return is received at one location; all of it received -> `received`,
    part of it -> `partially_received`. Stock moves at inspection, not here.
    """
    with transaction.atomic():
        order, ret = return_lock(return_id=return_id, channel_id=channel_id)
        by_number = {line.order_line.line_number: line for line in _lines(ret)}
        if lines is None:
            lines = {n: line.quantity - line.received_quantity for n, line in by_number.items()}
            lines = {n: q for n, q in lines.items() if q > 0}
        lines = {int(n): int(q) for n, q in lines.items()}
        seen = ReturnReceipt.objects.filter(
            return_request=ret, parcel_reference=parcel_reference
        ).first()
        if seen is not None:
            same = {int(n): q for n, q in seen.lines.items()} == lines or not lines
            if not same or seen.location_id != location.pk:
                raise ParcelConflict(details={"parcel_reference": parcel_reference})
            return ret
        step_require(ret, "receive")
        serves = location.channels.filter(pk=ret.channel_id).exists()
        if not (location.active and location.accepts_returns and serves):
            raise LocationNotAcceptingReturns(details={"location": location.code})
        if ret.location_id is not None and ret.location_id != location.pk:
            raise ReceivedElsewhere(details={"location": location.code})
        for number, units in lines.items():
            line = by_number.get(number)
            if line is None:
                raise ReturnLineUnknown(details={"line_number": number})
            if units <= 0 or line.received_quantity + units > line.quantity:
                raise ReceiptExceedsRequested(
                    details={
                        "line_number": number,
                        "received": units,
                        "outstanding": line.quantity - line.received_quantity,
                    }
                )
            line.received_quantity += units
            line.save(update_fields=["received_quantity"])
        ReturnReceipt.objects.create(
            return_request=ret,
            parcel_reference=parcel_reference,
            location=location,
            lines={str(n): q for n, q in lines.items()},
            received_by=actor,
        )
        ret.location = location
        complete = all(line.received_quantity == line.quantity for line in by_number.values())
        transition(ret, "receive" if complete else "receive_part")
        events = EventRecorder(order, actor)
        ev.return_received(
            events, ret, parcel_reference, location.code, {str(n): q for n, q in lines.items()}
        )
        return finish(order, ret, events)


def _lines(ret: ReturnRequest) -> list[ReturnLine]:
    return list(
        ReturnLine.objects.filter(return_request=ret)
        .select_related("order_line__product")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


@dataclass(frozen=True)
class InspectionInput:
    line_number: int
    quantity: int
    condition: str
    disposition: str
    note: str = ""


def return_inspect(
    *, return_id: int, entries: list[InspectionInput], actor: str, channel_id: int | None = None
) -> ReturnRequest:
    """Judge received units. Restocked units go back on hand at the receiving location (a
    `return` movement referencing the return: available to the next order at once); units in
    quality control are held (a QualityHold, not on hand) until released or written off;
    write-offs and returns to vendor never re-enter stock. When every unit of a fully
    received return is inspected, the return is `inspected`.
    """
    with transaction.atomic():
        order, ret = return_lock(return_id=return_id, channel_id=channel_id)
        step_require(ret, "inspect")
        by_number = {line.order_line.line_number: line for line in _lines(ret)}
        pending = {
            n: line.received_quantity - line.inspected_quantity for n, line in by_number.items()
        }
        for entry in entries:
            if entry.line_number not in by_number:
                raise ReturnLineUnknown(details={"line_number": entry.line_number})
            pending[entry.line_number] -= entry.quantity
            if entry.quantity <= 0 or pending[entry.line_number] < 0:
                raise InspectionExceedsReceived(details={"line_number": entry.line_number})
        assert ret.location is not None  # received, so it has a location
        for entry in entries:
            line = by_number[entry.line_number]
            _apply(ret, line, entry, actor)
            line.inspected_quantity += entry.quantity
            line.save(update_fields=["inspected_quantity"])
        done = all(line.inspected_quantity == line.quantity for line in by_number.values())
        if done and ret.state == ReturnState.RECEIVED:
            transition(ret, "finish_inspection")
        events = EventRecorder(order, actor)
        ev.return_inspected(
            events,
            ret,
            [
                {
                    "line": e.line_number,
                    "sku": by_number[e.line_number].order_line.sku,
                    "quantity": e.quantity,
                    "condition": e.condition,
                    "disposition": e.disposition,
                }
                for e in entries
            ],
        )
        return finish(order, ret, events)


def _apply(ret: ReturnRequest, line: ReturnLine, entry: InspectionInput, actor: str) -> None:
    inspection = ReturnInspection.objects.create(
        line=line,
        quantity=entry.quantity,
        condition=entry.condition,
        disposition=entry.disposition,
        note=entry.note,
        inspected_by=actor,
    )
    assert ret.location is not None
    product = line.order_line.product
    if entry.disposition == Disposition.RESTOCK:
        stock_adjust(
            location=ret.location,
            product=product,
            delta=entry.quantity,
            reason=f"return {ret.pk} restocked",
            actor=actor,
            kind=StockMovement.Kind.RETURN,
            reference=f"return:{ret.pk}",
        )
    elif entry.disposition == Disposition.QUALITY_CONTROL:
        QualityHold.objects.create(
            inspection=inspection, location=ret.location, product=product, quantity=entry.quantity
        )


def quality_hold_decide(*, hold_id: int, release: bool, actor: str) -> QualityHold:
    """Release held units into sellable stock (a `return` movement at the hold's location)
    or write them off. Locks the return's order, then the hold."""
    return_id = (
        QualityHold.objects.filter(pk=hold_id)
        .values_list("inspection__line__return_request_id", flat=True)
        .first()
    )
    if return_id is None:
        raise QualityHoldNotFound(details={"hold_id": hold_id})
    with transaction.atomic():
        order_id = ReturnRequest.objects.values_list("order_id", flat=True).get(pk=return_id)
        order = order_lock(order_id=order_id)
        hold = QualityHold.objects.select_for_update().select_related("product").get(pk=hold_id)
        if hold.status != QualityHold.Status.HELD:
            raise QualityHoldDecided(details={"hold_id": hold.pk, "status": hold.status})
        if release:
            stock_adjust(
                location=hold.location,
                product=hold.product,
                delta=hold.quantity,
                reason=f"return {return_id} released from quality control",
                actor=actor,
                kind=StockMovement.Kind.RETURN,
                reference=f"return:{return_id}",
            )
        hold.status = QualityHold.Status.RELEASED if release else QualityHold.Status.WRITTEN_OFF
        hold.decided_by, hold.decided_at = actor, timezone.now()
        hold.save()
        events = EventRecorder(order, actor)
        ev.quality_hold_decided(
            events, return_id, hold.pk, hold.status, hold.quantity, hold.product.sku
        )
        order.save(update_fields=["event_count", "updated_at"])
        events.flush()
        return hold
