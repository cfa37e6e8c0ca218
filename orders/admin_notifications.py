"""The customer e-mails on the order page of the admin: what was sent to whom and when,
and the staff resend button (permission `orders.resend_notification`)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse

from oms.api.context import user_actor
from oms.errors import OMSError
from oms.models import Delivery

from .models import Order
from .notifications.catalogue import notification_for
from .notifications.email import KIND
from .notifications.services import notification_resend

RESEND_NOTIFICATION = "orders.resend_notification"


def customer_emails(order: Order) -> list[dict[str, Any]]:
    """Every customer e-mail of the order, oldest first, with its delivery state."""
    rows = []
    deliveries = (
        Delivery.objects.filter(kind=KIND, message__order_id=order.pk)
        .select_related("message")
        .order_by("id")
    )
    for delivery in deliveries:
        notification = notification_for(delivery.message.topic)
        rows.append(
            {
                "delivery": delivery,
                "label": notification.label if notification else delivery.message.topic,
                "to": delivery.target,
            }
        )
    return rows


def resend_view(
    model_admin: Any, request: HttpRequest, object_id: int, delivery_id: int
) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.has_perm(RESEND_NOTIFICATION):
        raise PermissionDenied
    order_url = reverse("admin:orders_order_change", args=[object_id])
    try:
        resent = notification_resend(
            delivery_id=delivery_id, order_id=object_id, actor=user_actor(request.user)
        )
    except OMSError as exc:
        messages.error(request, exc.message)  # agents read words, not codes
        return HttpResponseRedirect(order_url)
    done = f"E-mail queued again to {resent.target}."
    model_admin.log_change(request, Order.objects.select_related("channel").get(pk=object_id), done)
    messages.success(request, done)
    return HttpResponseRedirect(order_url)
