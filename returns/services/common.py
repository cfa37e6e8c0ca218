"""Shared by the return services: locking a return, declared transitions, the order save."""

from __future__ import annotations

from django_fsm import can_proceed

from orders.events import EventRecorder
from orders.locks import order_lock
from orders.models import Order

from ..errors import ReturnNotFound, ReturnTransitionNotAllowed
from ..models import ReturnRequest


def return_lock(*, return_id: int, channel_id: int | None = None) -> tuple[Order, ReturnRequest]:
    """Lock the return's order (the project's first lock), then the return. Inside a
    transaction. With `channel_id`, another channel's return is reported missing."""
    order_id = ReturnRequest.objects.filter(pk=return_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise ReturnNotFound(details={"return_id": return_id})
    order = order_lock(order_id=order_id)
    ret = ReturnRequest.objects.select_for_update().filter(pk=return_id).first()
    if ret is None or (channel_id is not None and ret.channel_id != channel_id):
        raise ReturnNotFound(details={"return_id": return_id})
    ret.order = order
    return order, ret


def transition(ret: ReturnRequest, method: str) -> None:
    bound = getattr(ret, method)
    if not can_proceed(bound):
        raise ReturnTransitionNotAllowed(
            details={"return_id": ret.pk, "state": ret.state, "action": method}
        )
    bound()


def finish(order: Order, ret: ReturnRequest, events: EventRecorder) -> ReturnRequest:
    """Save the return and the order's event count (and payment state), write the events."""
    ret.save()
    order.save(update_fields=["event_count", "payment_status", "updated_at"])
    events.flush()
    return ret
