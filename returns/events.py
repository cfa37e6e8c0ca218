"""Return events, written into the order's event log (orders.events) so the status hub
publishes them with the order's other events, in order. One constructor per type; the
payload is documented here once. Every payload names `return_id`."""

from __future__ import annotations

from typing import Any

from orders.events import EventRecorder

from .models import ReturnRequest


class ReturnEvent:
    REQUESTED = "return_requested"
    APPROVED = "return_approved"
    REJECTED = "return_rejected"
    IN_TRANSIT = "return_in_transit"
    RECEIVED = "return_received"
    INSPECTED = "return_inspected"
    CANCELLED = "return_cancelled"
    CLOSED = "return_closed"
    QUALITY_HOLD_DECIDED = "quality_hold_decided"
    EXCHANGE_CREATED = "exchange_order_created"
    REFUND_ADJUSTED = "return_refund_adjusted"


def return_requested(events: EventRecorder, ret: ReturnRequest, lines: list[dict]) -> None:
    """lines: [{line, sku, quantity, reason}]; resolution; created_via."""
    events.add(
        ReturnEvent.REQUESTED,
        return_id=ret.pk,
        resolution=ret.resolution,
        created_via=ret.created_via,
        lines=lines,
    )


def return_state_changed(
    events: EventRecorder, ret: ReturnRequest, type_: str, **data: Any
) -> None:
    """approved (auto: bool), rejected (reason), in_transit (tracking_number), cancelled,
    closed: the return's new state and what explains it."""
    events.add(type_, return_id=ret.pk, state=ret.state, **data)


def return_received(
    events: EventRecorder, ret: ReturnRequest, parcel: str, location: str, lines: dict
) -> None:
    """One parcel: its reference, the receiving location's code, {line number: units}."""
    events.add(
        ReturnEvent.RECEIVED,
        return_id=ret.pk,
        state=ret.state,
        parcel_reference=parcel,
        location=location,
        lines=lines,
    )


def return_inspected(events: EventRecorder, ret: ReturnRequest, entries: list[dict]) -> None:
    """entries: [{line, sku, quantity, condition, disposition}]."""
    events.add(ReturnEvent.INSPECTED, return_id=ret.pk, state=ret.state, entries=entries)


def quality_hold_decided(
    events: EventRecorder, return_id: int, hold_id: int, status: str, quantity: int, sku: str
) -> None:
    """A quality-control hold released to stock or written off."""
    events.add(
        ReturnEvent.QUALITY_HOLD_DECIDED,
        return_id=return_id,
        hold_id=hold_id,
        status=status,
        quantity=quantity,
        sku=sku,
    )


def exchange_order_created(events: EventRecorder, ret: ReturnRequest, order_id: int) -> None:
    events.add(ReturnEvent.EXCHANGE_CREATED, return_id=ret.pk, exchange_order_id=order_id)


def refund_adjusted(events: EventRecorder, ret: ReturnRequest, amount: object, reason: str) -> None:
    """Staff changed a return's computed refund by `amount` (audit: actor and reason)."""
    events.add(ReturnEvent.REFUND_ADJUSTED, return_id=ret.pk, amount=str(amount), reason=reason)
