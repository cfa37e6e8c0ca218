"""Signed webhook deliveries to a real HTTP receiver on 127.0.0.1 (a thread)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from oms.hub import ssrf
from oms.hub.dispatch import deliveries_dispatch
from oms.hub.services import webhook_secret_rotate, webhook_subscription_create
from oms.hub.ssrf import WebhookTargetRefused
from oms.models import Delivery, WebhookSubscription
from orders import services
from tests.factories import order_network, place_order, stock


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 50)
    return net


def drain(now=None) -> None:  # type: ignore[no-untyped-def]
    while deliveries_dispatch(now=now).claimed:
        pass


def later(minutes: float) -> object:
    return timezone.now() + timedelta(minutes=minutes)


@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
def test_500_four_times_then_200_is_five_attempts_with_one_webhook_id_and_a_valid_signature(  # type: ignore[no-untyped-def]
    net, receiver
):
    sub, secret = webhook_subscription_create(
        channel=net.channel, url=receiver.url, event_types=["order_placed"]
    )
    assert secret.startswith("whsec_") and sub.secret == secret
    receiver.script = [(500, {})] * 4
    order = place_order(net.channel, ("SHIRT", 1))
    drain()
    for minutes in (1, 5, 30, 120):
        drain(now=later(minutes))
    assert len(receiver.requests) == 5
    assert len({h["webhook-id"] for h, _ in receiver.requests}) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 5)
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 500, 500, 500, 200]
    headers, body = receiver.requests[-1]
    payload = Webhook(secret).verify(body, headers)
    assert (payload["type"], payload["order_id"], payload["sequence"]) == (
        "order_placed",
        order.pk,
        1,
    )
    tampered = bytearray(body)
    tampered[-2] = ord("0") if tampered[-2] != ord("0") else ord("1")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(bytes(tampered), headers)


@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
def test_retry_after_is_honoured(net, receiver):  # type: ignore[no-untyped-def]
    webhook_subscription_create(channel=net.channel, url=receiver.url, event_types=["order_placed"])
    receiver.script = [(503, {"Retry-After": "3600"})]
    place_order(net.channel, ("SHIRT", 1))
    drain()
    delivery = Delivery.objects.get()
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(minutes=59) < wait <= timedelta(hours=1)
    drain(now=later(30))  # the 5-second backoff would have retried by now
    assert len(receiver.requests) == 1
    drain(now=later(61))
    assert Delivery.objects.get().status == "delivered"


@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
def test_410_disables_the_subscription(net, receiver):  # type: ignore[no-untyped-def]
    sub, _ = webhook_subscription_create(channel=net.channel, url=receiver.url)
    receiver.script = [(410, {})]
    place_order(net.channel, ("SHIRT", 1))
    drain(now=later(60))
    sub.refresh_from_db()
    assert sub.active is False and "410" in sub.disabled_reason
    assert len(receiver.requests) == 1  # the order's later events are not sent any more
    assert Delivery.objects.filter(status="failed").count() == 1


def test_a_private_address_is_refused_at_creation(net):  # type: ignore[no-untyped-def]
    for url in (
        "http://127.0.0.1:9/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "ftp://example.com/x",
    ):
        with pytest.raises(WebhookTargetRefused) as refused:
            webhook_subscription_create(channel=net.channel, url=url)
        assert refused.value.code == "webhook_target_refused"
    assert WebhookSubscription.objects.count() == 0


def test_a_target_whose_dns_later_points_inside_is_refused_at_delivery(net, monkeypatch):  # type: ignore[no-untyped-def]
    answers = {"hooks.example.com": ["93.184.216.34"]}
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: answers[host])
    webhook_subscription_create(
        channel=net.channel, url="https://hooks.example.com/x", event_types=["order_placed"]
    )
    answers["hooks.example.com"] = ["10.0.0.7"]  # DNS rebinding
    place_order(net.channel, ("SHIRT", 1))
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "webhook_target_refused" in delivery.last_error
    assert delivery.attempt_log.get().status_code is None  # nothing was sent


@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
def test_during_a_rotation_both_secrets_sign(net, receiver):  # type: ignore[no-untyped-def]
    sub, old = webhook_subscription_create(
        channel=net.channel, url=receiver.url, event_types=["order_placed"]
    )
    new = webhook_secret_rotate(subscription_id=sub.pk)
    place_order(net.channel, ("SHIRT", 1))
    drain()
    headers, body = receiver.requests[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)


@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
def test_an_integrator_sees_placed_routed_and_shipped_with_tracking_in_order(  # type: ignore[no-untyped-def]
    net, receiver
):
    _, secret = webhook_subscription_create(
        channel=net.channel,
        url=receiver.url,
        event_types=["order_placed", "order_routed", "fulfilment_shipped"],
    )
    order = place_order(net.channel, ("SHIRT", 1))
    fulfilment = order.fulfilments.get()
    for action in ("accept", "start_picking", "pack"):
        services.fulfilment_transition(fulfilment_id=fulfilment.pk, action=action, actor="wh")
    services.fulfilment_transition(
        fulfilment_id=fulfilment.pk,
        action="ship",
        actor="wh",
        carrier="DHL",
        tracking_number="JJD1",
        tracking_url="https://track.example/JJD1",
    )
    services.order_add_note(order_id=order.pk, text="internal", actor="staff")
    drain()
    received = [Webhook(secret).verify(body, headers) for headers, body in receiver.requests]
    assert [(m["type"], m["order_id"]) for m in received] == [
        ("order_placed", order.pk),
        ("order_routed", order.pk),
        ("fulfilment_shipped", order.pk),
    ]
    sequences = [m["sequence"] for m in received]
    assert sequences == sorted(sequences)
    assert received[-1]["data"]["tracking_url"] == "https://track.example/JJD1"
