"""Refunding a return: the preview (returns.refund_math), issuing it through the channel's
payment adapter (orders.payments), closing the return.

Locks: the order row, the return, then the order's payments (pk order) - so a return refund,
a staff refund and a shop's API refund of the same order run one after the other and never
promise more than was captured.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from orders.events import EventRecorder
from orders.models import Order
from orders.payments.models import Refund, RefundState
from orders.payments.services import payments_lock, refund_issue
from orders.payments.state import payment_state

from .. import events as ev
from ..errors import (
    AdjustmentNeedsReason,
    NothingToRefund,
    RefundAmountChanged,
    ReturnIsExchange,
)
from ..models import LIVE_RETURN_STATES, Resolution, ReturnLine, ReturnRequest, ReturnState
from ..refund_math import RefundComputation, RefundLine, RefundTerms, compute_refund
from ..rules import step_require
from ..selectors import policy_for
from .common import finish, return_lock, transition


def refund_source(ret: ReturnRequest) -> str:
    return f"return:{ret.pk}"


def return_refund_compute(
    *, ret: ReturnRequest, adjustment: Decimal = Decimal("0"), adjustment_reason: str = ""
) -> RefundComputation:
    """What refunding `ret` now would pay back, and how (the preview). Received units only."""
    order: Order = ret.order
    lines = list(ReturnLine.objects.filter(return_request=ret).select_related("order_line"))
    order_lines = list(order.lines.all())
    policy = policy_for(channel=order.channel)
    in_returns = (
        ReturnLine.objects.filter(
            order_line__order=order, return_request__state__in=LIVE_RETURN_STATES
        ).aggregate(units=Sum("quantity"))["units"]
        or 0
    )
    already = Refund.objects.filter(
        source=refund_source(ret), state__in=[RefundState.REQUESTED, RefundState.SUCCEEDED]
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return compute_refund(
        [
            RefundLine(
                line_number=line.order_line.line_number,
                sku=line.order_line.sku,
                quantity=line.received_quantity,
                unit_price=line.order_line.unit_price,
            )
            for line in lines
            if line.received_quantity
        ],
        RefundTerms(
            order_goods=sum((ol.unit_price * ol.quantity for ol in order_lines), Decimal("0")),
            discount_total=order.discount_total,
            shipping_total=order.shipping_total,
            shipping_policy=policy.shipping_refund,
            restocking_fee_percent=policy.restocking_fee_percent,
            everything_returned=in_returns >= sum(ol.open_quantity for ol in order_lines),
        ),
        adjustment=adjustment,
        adjustment_reason=adjustment_reason,
        already_refunded=already,
    )


@dataclass(frozen=True)
class ReturnRefundOutcome:
    return_request: ReturnRequest
    refunds: list[Refund]
    computation: RefundComputation


def return_refund(
    *,
    return_id: int,
    actor: str,
    adjustment: Decimal = Decimal("0"),
    adjustment_reason: str = "",
    expected_total: Decimal | None = None,
    channel_id: int | None = None,
) -> ReturnRefundOutcome:
    """Refund the received units of a return through the channel's payment adapter, as
    `return_refund_compute` computes it; an inspected return is then closed. A staff
    adjustment needs a reason and is recorded (the caller checks the permission). Refused
    with nothing changed above what is captured and not yet refunded (422
    `refund_exceeds_captured`), for an exchange, or when nothing is left to refund. With
    `expected_total` (the amount a preview showed) a different amount now is refused (409
    `refund_amount_changed`), so what is issued is what was seen.
    """
    if adjustment and not adjustment_reason.strip():
        raise AdjustmentNeedsReason()
    with transaction.atomic():
        order, ret = return_lock(return_id=return_id, channel_id=channel_id)
        if ret.resolution == Resolution.EXCHANGE:
            raise ReturnIsExchange(details={"return_id": ret.pk})
        step_require(ret, "refund")
        computation = return_refund_compute(
            ret=ret, adjustment=adjustment, adjustment_reason=adjustment_reason
        )
        if computation.total <= 0:
            raise NothingToRefund(details=computation.breakdown())
        if expected_total is not None and computation.total != expected_total:
            raise RefundAmountChanged(
                details={"expected": str(expected_total), "total": str(computation.total)}
            )
        payments = payments_lock(order=order)
        events = EventRecorder(order, actor)
        if adjustment:
            ev.refund_adjusted(events, ret, adjustment, adjustment_reason)
        refunds = refund_issue(
            order=order,
            payments=payments,
            amount=computation.total,
            reason=f"return {ret.pk}",
            source=refund_source(ret),
            actor=actor,
            events=events,
            breakdown=computation.breakdown(),
        )
        if ret.state == ReturnState.INSPECTED:
            _close(ret, events)
        order.payment_status = payment_state(payments)
        finish(order, ret, events)
        return ReturnRefundOutcome(ret, refunds, computation)


def _close(ret: ReturnRequest, events: EventRecorder) -> None:
    transition(ret, "close")
    ret.closed_at = timezone.now()
    ev.return_state_changed(events, ret, ev.ReturnEvent.CLOSED)


def return_close(*, return_id: int, actor: str, channel_id: int | None = None) -> ReturnRequest:
    """Close an inspected return without (further) refund: an exchange, or one refunded
    before inspection."""
    with transaction.atomic():
        order, ret = return_lock(return_id=return_id, channel_id=channel_id)
        events = EventRecorder(order, actor)
        _close(ret, events)
        return finish(order, ret, events)
