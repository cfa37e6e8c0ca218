"""Staff resend of a customer e-mail."""

from __future__ import annotations

from django.db import transaction

from oms.hub.publish import nudge_workers_on_commit
from oms.models import Delivery

from .. import event_types as et
from ..errors import NotificationNotFound
from ..events import EventRecorder
from ..locks import order_lock
from .catalogue import notification_for
from .email import KIND


def notification_resend(*, delivery_id: int, actor: str, order_id: int | None = None) -> Delivery:
    """Send a customer e-mail again: a new delivery of the same message to the same address
    (the original keeps its own history), recorded on the order's timeline as the internal
    event `notification_resent`. Locks the order row. With `order_id`, an e-mail of another
    order is reported as missing."""
    with transaction.atomic():
        original = (
            Delivery.objects.select_related("message")
            .filter(pk=delivery_id, kind=KIND, message__order_id__isnull=False)
            .first()
        )
        notification = notification_for(original.message.topic) if original else None
        owner = original.message.order_id if original else None
        if (
            original is None
            or notification is None
            or owner is None
            or (order_id is not None and owner != order_id)
        ):
            raise NotificationNotFound(details={"delivery_id": delivery_id})
        order = order_lock(order_id=owner)
        resent = Delivery.objects.create(
            message=original.message,
            kind=KIND,
            target=original.target,
            sequence=original.sequence,
        )
        events = EventRecorder(order, actor)
        events.add(
            et.NotificationResent(
                notification=notification.key,
                to=original.target,
                delivery_id=resent.pk,
                original_delivery_id=original.pk,
            )
        )
        order.save(update_fields=["event_count"])
        events.flush()
        nudge_workers_on_commit()
    return resent
