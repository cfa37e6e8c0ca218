"""The customer e-mails: which public order event sends which one, and its channel switch.

Each channel can switch each e-mail off (the `email_*` booleans on `oms.Channel`): shops
that send their own mails subscribe to webhooks instead. Templates live in
`templates/notifications/<key>.txt`, `<key>.html` and `<key>_subject.txt`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..event_types import (
    FulfilmentReadyForPickup,
    FulfilmentShipped,
    OrderCancelled,
    OrderDelayed,
    OrderPlaced,
    RefundSucceeded,
)

# The hook for "refund issued": the public event whose arrival sends the refund e-mail.
# Today the payment adapters emit `refund_succeeded` when a refund settles; when returns
# emit their own refund event, point this at it.
REFUND_ISSUED_EVENT = RefundSucceeded.type


@dataclass(frozen=True)
class Notification:
    key: str
    label: str
    event_type: str
    channel_switch: str


NOTIFICATIONS: tuple[Notification, ...] = (
    Notification("order_confirmed", "Order confirmed", OrderPlaced.type, "email_order_confirmed"),
    Notification("order_shipped", "Shipped", FulfilmentShipped.type, "email_order_shipped"),
    Notification(
        "ready_for_pickup",
        "Ready for pickup",
        FulfilmentReadyForPickup.type,
        "email_ready_for_pickup",
    ),
    Notification(
        "order_cancelled", "Order cancelled", OrderCancelled.type, "email_order_cancelled"
    ),
    Notification("refund_issued", "Refund issued", REFUND_ISSUED_EVENT, "email_refund_issued"),
    Notification("order_delayed", "Pre-order delayed", OrderDelayed.type, "email_order_delayed"),
)
BY_EVENT_TYPE = {n.event_type: n for n in NOTIFICATIONS}
BY_KEY = {n.key: n for n in NOTIFICATIONS}


def notification_for(event_type: str) -> Notification | None:
    return BY_EVENT_TYPE.get(event_type)
