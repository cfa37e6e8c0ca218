"""Customer e-mails through the status hub: planned with the events, sent by the delivery
workers through Django's e-mail backend (locmem in tests), retried when the mail server
fails, switchable per channel, visible and resendable in the admin."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from oms.hub.dispatch import deliveries_dispatch
from oms.models import Delivery
from orders import services
from orders.models import Fulfilment, OrderEvent
from orders.notifications.catalogue import NOTIFICATIONS, REFUND_ISSUED_EVENT
from tests.factories import order_network, place_order, stock

CUSTOMER = "ada@example.com"


class BrokenMailServer(BaseEmailBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("mail server down")


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    channel.email_from = "shop@web-de.example"
    channel.email_brand_name = "Web DE"
    channel.email_brand_color = "#aa0000"
    channel.email_footer = "Web DE GmbH, Berlin"
    channel.save()
    net = order_network(channel)
    stock(net.berlin, net.shirt, 20)
    return net


def drain() -> None:
    while deliveries_dispatch().claimed:
        pass


def emails(order) -> list[Delivery]:  # type: ignore[no-untyped-def]
    return list(Delivery.objects.filter(kind="email", message__order_id=order.pk).order_by("id"))


def place(net, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("customer_email", CUSTOMER)
    kwargs.setdefault("customer_name", "Ada")
    return place_order(net.channel, ("SHIRT", 2), **kwargs)


def ship(order, **kwargs):  # type: ignore[no-untyped-def]
    fulfilment = Fulfilment.objects.get(order=order)
    for action in ("accept", "start_picking", "pack"):
        services.fulfilment_transition(fulfilment_id=fulfilment.pk, action=action, actor="loc")
    services.fulfilment_transition(
        fulfilment_id=fulfilment.pk, action="ship", actor="loc", **kwargs
    )


def test_every_notification_has_its_templates_and_channel_switch() -> None:
    from django.template.loader import get_template

    from oms.models import Channel

    for notification in NOTIFICATIONS:
        for suffix in ("_subject.txt", ".txt", ".html"):
            get_template(f"notifications/{notification.key}{suffix}")
        assert isinstance(Channel._meta.get_field(notification.channel_switch).default, bool)


def test_order_confirmed_mail_is_sent_by_the_delivery_workers(net):  # type: ignore[no-untyped-def]
    order = place(net)
    [delivery] = emails(order)
    assert (delivery.target, delivery.status, delivery.ordering_key) == (
        CUSTOMER,
        "pending",
        f"email:{order.pk}",
    )
    assert mail.outbox == []  # nothing is sent inside the order's transaction
    drain()
    [sent] = mail.outbox
    assert sent.to == [CUSTOMER]
    assert sent.from_email == "Web DE <shop@web-de.example>"
    assert order.external_reference in sent.subject
    assert "Hello Ada" in sent.body and "SHIRT" in sent.body
    html, mimetype = sent.alternatives[0]
    assert mimetype == "text/html"
    assert "#aa0000" in html and "Web DE GmbH, Berlin" in html
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert delivery.delivered_at is not None


def test_shipped_mail_carries_the_tracking_link(net):  # type: ignore[no-untyped-def]
    order = place(net)
    ship(
        order,
        carrier="DHL",
        tracking_number="JD0001",
        tracking_url="https://track.example/JD0001",
    )
    drain()
    assert [m.subject for m in mail.outbox][1].endswith("is on its way")
    shipped = mail.outbox[1]
    assert "https://track.example/JD0001" in shipped.body
    assert 'href="https://track.example/JD0001"' in shipped.alternatives[0][0]
    assert "DHL" in shipped.body


def test_ready_for_pickup_and_cancelled_mails(net):  # type: ignore[no-untyped-def]
    stock(net.store, net.shirt, 5)
    pickup = place(net, delivery_type="click_collect", pickup_location_code="store-berlin")
    fulfilment = Fulfilment.objects.get(order=pickup)
    for action in ("accept", "start_picking", "pack", "ready_for_pickup"):
        services.fulfilment_transition(fulfilment_id=fulfilment.pk, action=action, actor="store")
    cancelled = place(net)
    services.order_cancel(
        order_id=cancelled.pk, reason="customer asked", actor="staff", expected_version=None
    )
    drain()
    subjects = {m.subject for m in mail.outbox}
    assert f"Web DE: your order {pickup.external_reference} is ready for pickup" in subjects
    assert f"Web DE: your order {cancelled.external_reference} was cancelled" in subjects
    ready = next(m for m in mail.outbox if "ready for pickup" in m.subject)
    assert net.store.name in ready.body
    cancel_mail = next(m for m in mail.outbox if "cancelled" in m.subject)
    assert "customer asked" in cancel_mail.body


def test_a_channel_can_switch_each_mail_off(net):  # type: ignore[no-untyped-def]
    net.channel.email_order_confirmed = False
    net.channel.save()
    order = place(net)
    assert emails(order) == []
    ship(order, carrier="DHL", tracking_number="1", tracking_url="https://t.example/1")
    assert [d.message.topic for d in emails(order)] == ["fulfilment_shipped"]


def test_no_address_no_mail(net):  # type: ignore[no-untyped-def]
    assert emails(place(net, customer_email="")) == []


def test_a_failing_mail_server_is_retried_and_never_blocks_the_order(net, settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailServer"
    order = place(net)  # the order is placed although no mail can go out
    assert order.pk and order.state == "routed"
    drain()
    [delivery] = emails(order)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "mail server down" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    assert mail.outbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    drain()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert [m.to for m in mail.outbox] == [[CUSTOMER]]
    assert list(delivery.attempt_log.values_list("outcome", flat=True)) == ["retry", "delivered"]


def test_a_refused_recipient_is_not_retried(net, settings, monkeypatch):  # type: ignore[no-untyped-def]
    def refuse(self, messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPRecipientsRefused({CUSTOMER: (550, b"no such user")})

    monkeypatch.setattr(BrokenMailServer, "send_messages", refuse)
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailServer"
    order = place(net)
    drain()
    [delivery] = emails(order)
    assert (delivery.status, delivery.attempts) == ("failed", 1)


def test_refund_issued_mail_hooks_onto_the_refund_event(net):  # type: ignore[no-untyped-def]
    from orders import event_types as et
    from orders.events import EventRecorder
    from orders.locks import order_lock

    assert REFUND_ISSUED_EVENT == et.RefundSucceeded.type
    order = place(net)
    from django.db import transaction

    with transaction.atomic():
        locked = order_lock(order_id=order.pk)
        events = EventRecorder(locked, "psp")
        events.add(
            et.RefundSucceeded(
                refund_id=1,
                payment_id=1,
                amount="12.50",
                currency="EUR",
                psp_reference="re_1",
                source="return",
            )
        )
        locked.save(update_fields=["event_count"])
        events.flush()
    drain()
    refund = next(m for m in mail.outbox if "refund" in m.subject)
    assert "12.50 EUR" in refund.body


def test_the_order_page_lists_the_mails_and_staff_can_resend(net, client, django_user_model):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Permission

    order = place(net)
    drain()
    [delivery] = emails(order)
    staff = django_user_model.objects.create_user("cs", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(staff)
    page = client.get(f"/admin/orders/order/{order.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "Customer e-mails" in content and CUSTOMER in content and "Order confirmed" in content
    resend_url = f"/admin/orders/order/{order.pk}/emails/{delivery.pk}/resend/"
    assert resend_url not in content  # no permission, no button
    assert client.post(resend_url).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="resend_notification"))
    staff = django_user_model.objects.get(pk=staff.pk)
    client.force_login(staff)
    assert resend_url in client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert client.get(resend_url).status_code == 405
    response = client.post(resend_url)
    assert response.status_code == 302
    first, again = emails(order)
    assert first.pk == delivery.pk and again.target == CUSTOMER and again.status == "pending"
    audit = OrderEvent.objects.get(order=order, type="notification_resent")
    assert audit.public is False
    assert audit.actor.endswith("cs") or "cs" in audit.actor
    assert audit.data["original_delivery_id"] == delivery.pk
    drain()
    assert len(mail.outbox) == 2 and mail.outbox[1].subject == mail.outbox[0].subject


def test_resend_of_another_orders_mail_is_refused(net):  # type: ignore[no-untyped-def]
    from orders.errors import NotificationNotFound
    from orders.notifications.services import notification_resend

    one, two = place(net), place(net)
    [delivery] = emails(one)
    with pytest.raises(NotificationNotFound):
        notification_resend(delivery_id=delivery.pk, order_id=two.pk, actor="staff")
