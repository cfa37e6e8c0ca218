"""Replays (service and `manage.py webhooks_replay`): the same webhook-id again, a fresh
retry schedule, per-order order kept, in-flight rows left to their worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from oms.errors import OMSError
from oms.hub.dispatch import LEASE, MAX_ATTEMPTS, deliveries_claim, deliveries_dispatch
from oms.hub.replay import deliveries_replay
from oms.hub.services import webhook_subscription_create, webhook_subscription_update
from oms.models import Delivery
from orders import services
from tests.factories import order_network, place_order, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 50)
    return net


@pytest.fixture
def sub(net, receiver, settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    return webhook_subscription_create(channel=net.channel, url=receiver.url)[0]


def drain(now=None) -> None:  # type: ignore[no-untyped-def]
    while deliveries_dispatch(now=now).claimed:
        pass


def received(receiver) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    """(webhook-id, order, sequence) of every request, in arrival order."""
    return [
        (headers["webhook-id"], body["order_id"], body["sequence"])
        for (headers, _), body in zip(receiver.requests, receiver.bodies(), strict=True)
    ]


def test_a_replayed_delivery_is_sent_again_with_the_same_webhook_id(net, sub, receiver):  # type: ignore[no-untyped-def]
    place_order(net.channel, ("SHIRT", 1))
    drain()
    first = Delivery.objects.order_by("sequence").first()
    report = deliveries_replay(delivery_id=first.pk, actor="user:ops")
    assert (report.requeued, report.in_flight, report.paused) == (1, 0, 0)
    first.refresh_from_db()
    assert (first.status, first.replayed_by) == ("pending", "user:ops")
    drain()
    ids = [h for h, _, _ in received(receiver)]
    assert len(ids) == 4 and ids[-1] == ids[0] == first.webhook_id
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("delivered", 2)
    assert [a.number for a in first.attempt_log.all()] == [1, 2]


def test_a_replayed_event_goes_out_before_later_pending_events_of_its_order(net, sub, receiver):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 1))
    drain()
    services.order_cancel(
        order_id=order.pk, actor="staff", expected_version=None, reason="customer"
    )
    later = list(Delivery.objects.filter(status="pending").values_list("sequence", flat=True))
    assert later  # the cancellation's events wait to be sent
    placed = Delivery.objects.get(sequence=1)
    deliveries_replay(delivery_id=placed.pk, actor="user:ops")
    receiver.requests.clear()
    drain()
    assert [s for _, _, s in received(receiver)] == [1, *sorted(later)]


def test_a_subscription_replay_takes_what_was_published_since_then(net, sub, receiver):  # type: ignore[no-untyped-def]
    old = place_order(net.channel, ("SHIRT", 1))
    drain()
    Delivery.objects.update(created_at=timezone.now() - timedelta(hours=3))
    new = place_order(net.channel, ("SHIRT", 1))
    drain()
    receiver.requests.clear()
    since = timezone.now() - timedelta(hours=1)
    report = deliveries_replay(subscription_id=sub.pk, since=since, actor="cli:ops")
    assert report.requeued == Delivery.objects.filter(message__order_id=new.pk).count() == 3
    drain()
    assert {o for _, o, _ in received(receiver)} == {new.pk}
    assert [s for _, _, s in received(receiver)] == [1, 2, 3]
    assert not Delivery.objects.filter(message__order_id=old.pk, replayed_at__isnull=False)


def test_a_failed_delivery_replayed_gets_a_fresh_schedule_and_waits_for_its_subscription(  # type: ignore[no-untyped-def]
    net, sub, receiver
):
    receiver.script = [(503, {})]
    place_order(net.channel, ("SHIRT", 1))
    Delivery.objects.update(attempts=MAX_ATTEMPTS - 1)
    drain()  # the last scheduled try fails: delivery failed, subscription disabled
    sub.refresh_from_db()
    head = Delivery.objects.get(sequence=1)
    assert (head.status, sub.active, sub.disabled_at is not None) == ("failed", False, True)

    report = deliveries_replay(delivery_id=head.pk, actor="user:ops")
    assert (report.requeued, report.paused) == (1, 1)
    drain()
    assert len(receiver.requests) == 1  # disabled: nothing goes out
    webhook_subscription_update(channel=net.channel, subscription_id=sub.pk, active=True)
    receiver.script = [(500, {})]
    drain()
    head.refresh_from_db()
    # A failure after the replay is retried (tries count from the replay), not final.
    assert (head.status, head.attempts, head.attempts_before_replay) == (
        "pending",
        MAX_ATTEMPTS + 1,
        MAX_ATTEMPTS,
    )
    assert head.next_attempt_at - timezone.now() < timedelta(seconds=10)
    drain(now=timezone.now() + timedelta(minutes=1))
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_delivery_being_sent_is_left_to_its_worker(net, sub):  # type: ignore[no-untyped-def]
    place_order(net.channel, ("SHIRT", 1))
    [leased] = deliveries_claim(batch_size=1)
    report = deliveries_replay(delivery_id=leased.pk, actor="user:ops")
    assert (report.requeued, report.in_flight) == (0, 1)
    row = Delivery.objects.get(pk=leased.pk)
    assert row.lease_until == leased.lease_until and row.replayed_at is None
    # Once the lease expired (the worker died), a replay takes it.
    Delivery.objects.filter(pk=leased.pk).update(lease_until=timezone.now() - LEASE)
    assert deliveries_replay(delivery_id=leased.pk, actor="user:ops").requeued == 1


def test_a_replay_must_name_what_to_replay(net, sub):  # type: ignore[no-untyped-def]
    cases = [
        ({}, "replay_request_invalid"),
        ({"delivery_id": 1, "subscription_id": sub.pk}, "replay_request_invalid"),
        ({"subscription_id": sub.pk}, "replay_request_invalid"),
        ({"delivery_id": 999_999}, "delivery_not_found"),
        ({"subscription_id": 999_999, "since": timezone.now()}, "webhook_subscription_not_found"),
    ]
    for kwargs, code in cases:
        with pytest.raises(OMSError) as error:
            deliveries_replay(actor="x", **kwargs)
        assert error.value.code == code


@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
def test_the_command_replays_one_delivery_or_a_subscription_since(net, sub, receiver, capsys):  # type: ignore[no-untyped-def]
    place_order(net.channel, ("SHIRT", 1))
    drain()
    first = Delivery.objects.order_by("sequence").first()
    call_command("webhooks_replay", "--delivery", str(first.pk), "--actor", "cli:ops")
    assert "requeued: 1;" in capsys.readouterr().out
    assert Delivery.objects.get(pk=first.pk).replayed_by == "cli:ops"
    drain()
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    call_command("webhooks_replay", "--subscription", str(sub.pk), "--since", since)
    assert "requeued: 3;" in capsys.readouterr().out
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    assert Delivery.objects.get(pk=first.pk).replayed_by.startswith("cli:")
    drain()
    assert len(receiver.requests) == 3 + 1 + 3

    for argv, message in [
        (["--subscription", str(sub.pk)], "needs --since"),
        (["--delivery", str(first.pk), "--since", since], "goes with --subscription"),
        (["--subscription", str(sub.pk), "--since", "yesterday"], "not an ISO 8601"),
        (["--delivery", "999999"], "delivery_not_found"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("webhooks_replay", *argv)
