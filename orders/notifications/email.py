"""The `email` delivery target: customer e-mails through Django's e-mail backend.

`plan` runs in the transaction that publishes an order's events and adds one delivery per
notified event (see `catalogue.py`) to the order's customer address, unless the channel
switched that e-mail off or the order has no address. The deliveries of one order share an
ordering key, so "shipped" never overtakes "confirmed". `send` runs in a worker with no
transaction open: it renders the templates with the order as it is now and the event's
payload, and sends. An exception (mail server down, timeout) is a failed try that the hub
retries with backoff; a refused recipient is permanent.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from oms.hub.targets import MessageDraft, PlannedDelivery, SendResult
from oms.models import Channel, Delivery

from ..models import Order
from .catalogue import Notification, notification_for

KIND = "email"


def ordering_key(order_id: int) -> str:
    return f"{KIND}:{order_id}"


def branding(channel: Channel) -> dict[str, str]:
    return {
        "name": channel.email_brand_name or channel.name,
        "color": channel.email_brand_color,
        "logo_url": channel.email_logo_url,
        "footer": channel.email_footer,
    }


def sender(channel: Channel) -> str:
    address = channel.email_from or settings.DEFAULT_FROM_EMAIL
    return formataddr((channel.email_brand_name or channel.name, address))


def notification_email(
    notification: Notification, order: Order, payload: dict[str, Any], *, to: str
) -> EmailMultiAlternatives:
    """The e-mail for one notified event: subject, plain text and HTML from the templates."""
    channel = order.channel
    context = {
        "order": order,
        "brand": branding(channel),
        "event": payload.get("data", {}),
        "notification": notification,
        "lines": list(order.lines.all()),
    }
    base = f"notifications/{notification.key}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{base}.txt", context),
        from_email=sender(channel),
        to=[to],
        reply_to=[channel.email_reply_to] if channel.email_reply_to else None,
        headers={"X-OMS-Order": order.external_reference, "X-OMS-Notification": notification.key},
    )
    email.attach_alternative(render_to_string(f"{base}.html", context), "text/html")
    return email


class EmailTarget:
    kind = KIND

    def plan(self, messages: Sequence[MessageDraft]) -> list[PlannedDelivery]:
        planned = []
        for index, message in enumerate(messages):
            notification = notification_for(message.topic)
            order = message.subject
            if notification is None or not isinstance(order, Order) or not order.customer_email:
                continue
            if not getattr(order.channel, notification.channel_switch):
                continue
            planned.append(
                PlannedDelivery(
                    index=index,
                    kind=self.kind,
                    target=order.customer_email,
                    ordering_key=ordering_key(order.pk),
                )
            )
        return planned

    def send(self, delivery: Delivery) -> SendResult:
        message = delivery.message
        notification = notification_for(message.topic)
        if notification is None or message.order_id is None:
            return SendResult(ok=False, permanent=True, error=f"no e-mail for {message.topic}")
        order = Order.objects.select_related("channel", "pickup_location").get(pk=message.order_id)
        email = notification_email(notification, order, message.payload, to=delivery.target)
        try:
            sent = email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            return SendResult(ok=False, permanent=True, error=repr(exc)[:2000])
        if not sent:
            return SendResult(ok=False, error="the e-mail backend sent nothing")
        return SendResult(ok=True)
