"""Return events, written into the order's event log (orders.events) so the status hub
publishes them with the order's other events, in order. One typed constructor per type
(registered in the order event catalogue); every payload names `return_id`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from orders.event_types import OrderEventData, register_event_type
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


@register_event_type
@dataclass(frozen=True)
class ReturnRequested(OrderEventData):
    """`lines`: [{line, sku, quantity, reason}]; `created_via`: api, store, staff."""

    type: ClassVar[str] = ReturnEvent.REQUESTED
    return_id: int
    resolution: str
    created_via: str
    lines: list[dict[str, Any]]


@dataclass(frozen=True)
class _ReturnState(OrderEventData):
    """The return's new state."""

    return_id: int
    state: str


@register_event_type
@dataclass(frozen=True)
class ReturnApproved(_ReturnState):
    """`auto`: approved by the channel's auto-approval rule."""

    type: ClassVar[str] = ReturnEvent.APPROVED
    auto: bool


@register_event_type
@dataclass(frozen=True)
class ReturnRejected(_ReturnState):
    type: ClassVar[str] = ReturnEvent.REJECTED
    reason: str


@register_event_type
@dataclass(frozen=True)
class ReturnInTransit(_ReturnState):
    type: ClassVar[str] = ReturnEvent.IN_TRANSIT
    tracking_number: str


@register_event_type
@dataclass(frozen=True)
class ReturnCancelled(_ReturnState):
    type: ClassVar[str] = ReturnEvent.CANCELLED
    reason: str


@register_event_type
@dataclass(frozen=True)
class ReturnClosed(_ReturnState):
    type: ClassVar[str] = ReturnEvent.CLOSED


@register_event_type
@dataclass(frozen=True)
class ReturnReceived(_ReturnState):
    """One parcel: its reference, the receiving location's code, {line number: units}."""

    type: ClassVar[str] = ReturnEvent.RECEIVED
    parcel_reference: str
    location: str
    lines: dict[str, Any]


@register_event_type
@dataclass(frozen=True)
class ReturnInspected(_ReturnState):
    """`entries`: [{line, sku, quantity, condition, disposition}]."""

    type: ClassVar[str] = ReturnEvent.INSPECTED
    entries: list[dict[str, Any]]


@register_event_type
@dataclass(frozen=True)
class QualityHoldDecided(OrderEventData):
    """Internal: a quality-control hold released to stock or written off."""

    type: ClassVar[str] = ReturnEvent.QUALITY_HOLD_DECIDED
    public: ClassVar[bool] = False
    return_id: int
    hold_id: int
    status: str
    quantity: int
    sku: str


@register_event_type
@dataclass(frozen=True)
class ExchangeOrderCreated(OrderEventData):
    type: ClassVar[str] = ReturnEvent.EXCHANGE_CREATED
    return_id: int
    exchange_order_id: int


@register_event_type
@dataclass(frozen=True)
class ReturnRefundAdjusted(OrderEventData):
    """Staff changed a return's computed refund by `amount` (a decimal string)."""

    type: ClassVar[str] = ReturnEvent.REFUND_ADJUSTED
    return_id: int
    amount: str
    reason: str


_STATE_EVENTS: dict[str, type[_ReturnState]] = {
    cls.type: cls
    for cls in (ReturnApproved, ReturnRejected, ReturnInTransit, ReturnCancelled, ReturnClosed)
}


def return_requested(events: EventRecorder, ret: ReturnRequest, lines: list[dict]) -> None:
    events.add(
        ReturnRequested(
            return_id=ret.pk,
            resolution=ret.resolution,
            created_via=ret.created_via,
            lines=lines,
        )
    )


def return_state_changed(
    events: EventRecorder, ret: ReturnRequest, type_: str, **data: Any
) -> None:
    """approved (auto), rejected (reason), in_transit (tracking_number), cancelled (reason),
    closed: the return's new state and what explains it (the type's class checks the keys)."""
    events.add(_STATE_EVENTS[type_](return_id=ret.pk, state=ret.state, **data))


def return_received(
    events: EventRecorder, ret: ReturnRequest, parcel: str, location: str, lines: dict
) -> None:
    events.add(
        ReturnReceived(
            return_id=ret.pk,
            state=ret.state,
            parcel_reference=parcel,
            location=location,
            lines={str(k): v for k, v in lines.items()},
        )
    )


def return_inspected(events: EventRecorder, ret: ReturnRequest, entries: list[dict]) -> None:
    events.add(ReturnInspected(return_id=ret.pk, state=ret.state, entries=entries))


def quality_hold_decided(
    events: EventRecorder, return_id: int, hold_id: int, status: str, quantity: int, sku: str
) -> None:
    events.add(
        QualityHoldDecided(
            return_id=return_id, hold_id=hold_id, status=status, quantity=quantity, sku=sku
        )
    )


def exchange_order_created(events: EventRecorder, ret: ReturnRequest, order_id: int) -> None:
    events.add(ExchangeOrderCreated(return_id=ret.pk, exchange_order_id=order_id))


def refund_adjusted(events: EventRecorder, ret: ReturnRequest, amount: object, reason: str) -> None:
    events.add(ReturnRefundAdjusted(return_id=ret.pk, amount=str(amount), reason=reason))
