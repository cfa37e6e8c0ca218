"""Return requests: create (shop, store at the till, staff), approve (by hand or by the
channel's auto-approve rule; an exchange places its replacement order then), reject, mark in
transit, cancel before receipt.

Creation locks the order row first (orders.locks), so two requests for the same line are
checked one after the other and the returnable quantity is never exceeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from inventory.models import Location
from orders.events import EventRecorder
from orders.locks import order_lock
from orders.models import Order
from orders.services import LineInput, OrderInput, order_create

from .. import events as ev
from ..errors import (
    DuplicateReturnLine,
    LineNotDelivered,
    LocationNotAcceptingReturns,
    QuantityNotReturnable,
    ReturnLineUnknown,
    ReturnReasonUnknown,
    ReturnWindowClosed,
)
from ..models import (
    CreatedVia,
    Resolution,
    ReturnLine,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
)
from ..selectors import policy_for, returnable_quantities, window_ends
from .common import finish, return_lock, transition


@dataclass(frozen=True)
class ReturnLineInput:
    line_number: int
    quantity: int
    reason: str  # a ReturnReason code


def return_create(
    *,
    order_id: int,
    lines: list[ReturnLineInput],
    actor: str,
    created_via: str,
    channel_id: int | None = None,
    location: Location | None = None,
    resolution: str = Resolution.REFUND,
    tracking_number: str = "",
    customer_note: str = "",
) -> ReturnRequest:
    """Request the return of delivered units. Refused, with nothing changed, for units not
    shipped or picked up (422 `line_not_delivered`), beyond what is still returnable
    (`quantity_exceeds_returnable`), after the channel's window (`return_window_closed`), with
    an unknown reason. With `location` (return-to-store at the till) the return is bound to
    that store, which must accept returns and serve the order's channel, and is approved at
    once (the goods are on the counter); otherwise the channel's auto-approve rule decides.
    Locks the order row.
    """
    if len({line.line_number for line in lines}) != len(lines):
        raise DuplicateReturnLine()
    with transaction.atomic():
        order = order_lock(order_id=order_id, channel_id=channel_id)
        if location is not None:
            _check_return_location(location, order)
        order_lines = {line.line_number: line for line in order.lines.all()}
        reasons = {
            r.code: r
            for r in ReturnReason.objects.filter(
                code__in={line.reason for line in lines}, active=True
            )
        }
        policy = policy_for(channel=order.channel)
        returnable = returnable_quantities(order=order)
        now = timezone.now()
        for line in lines:
            order_line = order_lines.get(line.line_number)
            if order_line is None:
                raise ReturnLineUnknown(details={"line_number": line.line_number})
            if line.reason not in reasons:
                raise ReturnReasonUnknown(details={"reason": line.reason})
            figures = returnable[order_line.pk]
            details = {
                "line_number": line.line_number,
                "requested": line.quantity,
                "delivered": figures.delivered,
                "returnable": figures.returnable,
            }
            if figures.delivered == 0 or figures.handed_over_at is None:
                raise LineNotDelivered(details=details)
            if line.quantity <= 0 or line.quantity > figures.returnable:
                raise QuantityNotReturnable(details=details)
            ends = window_ends(policy=policy, handed_over_at=figures.handed_over_at)
            if now > ends:
                raise ReturnWindowClosed(details={**details, "window_ended": ends.isoformat()})
        ret = ReturnRequest.objects.create(
            order=order,
            channel=order.channel,
            created_via=created_via,
            location=location,
            resolution=resolution,
            tracking_number=tracking_number,
            customer_note=customer_note,
            created_by=actor,
        )
        ReturnLine.objects.bulk_create(
            ReturnLine(
                return_request=ret,
                order_line=order_lines[line.line_number],
                quantity=line.quantity,
                reason=reasons[line.reason],
            )
            for line in lines
        )
        events = EventRecorder(order, actor)
        ev.return_requested(
            events,
            ret,
            [
                {
                    "line": line.line_number,
                    "sku": order_lines[line.line_number].sku,
                    "quantity": line.quantity,
                    "reason": line.reason,
                }
                for line in lines
            ],
        )
        value = sum(
            (order_lines[line.line_number].unit_price * line.quantity for line in lines),
            Decimal("0"),
        )
        if created_via == CreatedVia.STORE or _auto_approves(policy, value):
            _approve(order, ret, events, actor, auto=True)
        return finish(order, ret, events)


def _check_return_location(location: Location, order: Order) -> None:
    serves = location.channels.filter(pk=order.channel_id).exists()
    if not (location.active and location.accepts_returns and serves):
        raise LocationNotAcceptingReturns(details={"location": location.code})


def _auto_approves(policy: ReturnPolicy, value: Decimal) -> bool:
    if not policy.auto_approve:
        return False
    return policy.auto_approve_max_amount is None or value <= policy.auto_approve_max_amount


def _approve(
    order: Order, ret: ReturnRequest, events: EventRecorder, actor: str, *, auto: bool
) -> None:
    transition(ret, "approve")
    ev.return_state_changed(events, ret, ev.ReturnEvent.APPROVED, auto=auto)
    if ret.resolution == Resolution.EXCHANGE:
        _place_exchange_order(order, ret, events, actor)


def _place_exchange_order(
    order: Order, ret: ReturnRequest, events: EventRecorder, actor: str
) -> None:
    """The replacement goes through normal order intake (routing, reservation, its own
    events): same SKUs and quantities, at no charge, to the original address, linked."""
    lines = [
        LineInput(sku=line.order_line.sku, quantity=line.quantity, unit_price=Decimal("0"))
        for line in ret.lines.select_related("order_line")
    ]
    replacement = order_create(
        channel=order.channel,
        data=OrderInput(
            external_reference=f"{order.external_reference}-X{ret.pk}",
            currency=order.currency,
            lines=tuple(lines),
            shipping_address=order.shipping_address,
            billing_address=order.billing_address,
            customer_email=order.customer_email,
            customer_name=order.customer_name,
            customer_phone=order.customer_phone,
            payment_status="paid",
        ),
        actor=actor,
    )
    ret.exchange_order = replacement
    ev.exchange_order_created(events, ret, replacement.pk)


def return_approve(*, return_id: int, actor: str, channel_id: int | None = None) -> ReturnRequest:
    """Staff approve a requested return (an exchange places its replacement order now)."""
    with transaction.atomic():
        order, ret = return_lock(return_id=return_id, channel_id=channel_id)
        events = EventRecorder(order, actor)
        _approve(order, ret, events, actor, auto=False)
        return finish(order, ret, events)


def return_reject(
    *, return_id: int, reason: str, actor: str, channel_id: int | None = None
) -> ReturnRequest:
    """Refuse a requested return; its units become returnable again."""
    with transaction.atomic():
        order, ret = return_lock(return_id=return_id, channel_id=channel_id)
        transition(ret, "reject")
        ret.rejection_reason = reason
        events = EventRecorder(order, actor)
        ev.return_state_changed(events, ret, ev.ReturnEvent.REJECTED, reason=reason)
        return finish(order, ret, events)


def return_mark_in_transit(
    *, return_id: int, tracking_number: str, actor: str, channel_id: int | None = None
) -> ReturnRequest:
    """The customer handed the parcel to a carrier."""
    with transaction.atomic():
        order, ret = return_lock(return_id=return_id, channel_id=channel_id)
        transition(ret, "ship_back")
        ret.tracking_number = tracking_number
        events = EventRecorder(order, actor)
        ev.return_state_changed(
            events, ret, ev.ReturnEvent.IN_TRANSIT, tracking_number=tracking_number
        )
        return finish(order, ret, events)


def return_cancel(
    *, return_id: int, actor: str, reason: str = "", channel_id: int | None = None
) -> ReturnRequest:
    """Withdraw a return before anything was received; its units become returnable again."""
    with transaction.atomic():
        order, ret = return_lock(return_id=return_id, channel_id=channel_id)
        transition(ret, "cancel")
        ret.closed_at = timezone.now()
        events = EventRecorder(order, actor)
        ev.return_state_changed(events, ret, ev.ReturnEvent.CANCELLED, reason=reason)
        return finish(order, ret, events)
