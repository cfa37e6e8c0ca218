"""The delivery outbox: published in the change's transaction, sent outside any, isolated
per delivery, retried with backoff and jitter, ordered per key, leases taken over."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from oms.hub import dispatch
from oms.hub.dispatch import LEASE, MAX_ATTEMPTS, RETRY_SCHEDULE, backoff, deliveries_dispatch
from oms.hub.targets import SendResult
from oms.models import Channel, Delivery, OutboxMessage
from orders import services
from orders.models import OrderEvent
from tests.factories import ChannelFactory, order_network, place_order, stock


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 50)
    return net


def later(minutes: float = 0, days: float = 0):  # type: ignore[no-untyped-def]
    return timezone.now() + timedelta(minutes=minutes, days=days)


def drain(**kwargs):  # type: ignore[no-untyped-def]
    while deliveries_dispatch(**kwargs).claimed:
        pass


def test_a_rolled_back_transaction_publishes_and_delivers_nothing(net, probe):  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), transaction.atomic():
        place_order(net.channel, ("SHIRT", 1))
        assert Delivery.objects.count() > 0  # written in the transaction ...
        raise RuntimeError("the caller fails after the order was written")
    assert OutboxMessage.objects.count() == 0  # ... and gone with it
    assert Delivery.objects.count() == 0
    drain()
    assert probe.sent == []


def test_each_public_event_gets_a_message_and_one_delivery_per_target(net, probe):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 1))
    public = list(order.events.filter(public=True).values_list("sequence", "type"))
    assert [t for _, t in public] == ["order_placed", "fulfilment_created", "order_routed"]
    messages = OutboxMessage.objects.order_by("sequence")
    assert [(m.sequence, m.topic) for m in messages] == public
    body = messages[0].payload
    assert (body["type"], body["order_id"], body["sequence"], body["version"]) == (
        "order_placed",
        order.pk,
        1,
        1,
    )
    assert body["data"]["lines"] == [{"line": 1, "sku": "SHIRT", "quantity": 1}]
    deliveries = Delivery.objects.order_by("sequence")
    assert [(d.kind, d.sequence, d.ordering_key) for d in deliveries] == [
        ("probe", s, f"probe:{order.pk}") for s, _ in public
    ]
    drain()
    assert probe.sent == [(order.pk, t, s) for s, t in public]
    assert set(Delivery.objects.values_list("status", "attempts")) == {("delivered", 1)}


def test_internal_events_are_never_published(net, probe):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 1))
    services.order_add_note(order_id=order.pk, text="customer called", actor="staff")
    note = OrderEvent.objects.get(order=order, type="note_added")
    assert note.public is False
    assert not OutboxMessage.objects.filter(topic="note_added").exists()
    assert not OutboxMessage.objects.filter(sequence=note.sequence).exists()
    drain()
    assert "note_added" not in {t for _, t, _ in probe.sent}


@pytest.mark.django_db(transaction=True)
def test_sending_holds_no_transaction_and_no_row_lock(channel, probe):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 5)
    place_order(net.channel, ("SHIRT", 1))
    seen: list[tuple[bool, bool]] = []

    def behaviour(delivery):  # type: ignore[no-untyped-def]
        locked_elsewhere = []

        def other_worker() -> None:
            # Another connection can lock the row at once: the sender holds nothing.
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT id FROM {Delivery._meta.db_table} WHERE id = %s FOR UPDATE NOWAIT",
                        [delivery.pk],
                    )
                    locked_elsewhere.append(True)
            finally:
                connections.close_all()

        thread = threading.Thread(target=other_worker)
        thread.start()
        thread.join()
        seen.append((connection.in_atomic_block, bool(locked_elsewhere)))
        return SendResult(ok=True)

    probe.behaviour = behaviour
    drain()
    assert seen == [(False, True)] * 3


@pytest.mark.django_db(transaction=True)
def test_a_database_error_in_one_delivery_neither_blocks_nor_redelivers_the_others(  # type: ignore[no-untyped-def]
    channel, probe
):
    net = order_network(channel)
    stock(net.berlin, net.shirt, 5)
    bad = place_order(net.channel, ("SHIRT", 1))
    good = place_order(net.channel, ("SHIRT", 1))
    calls: list[int] = []

    def behaviour(delivery):  # type: ignore[no-untyped-def]
        calls.append(delivery.pk)
        if delivery.message.order_id == bad.pk:
            ChannelFactory(code=channel.code)  # a real database error (unique violation)
        return SendResult(ok=True)

    probe.behaviour = behaviour
    drain()
    good_rows = Delivery.objects.filter(message__order_id=good.pk)
    assert set(good_rows.values_list("status", "attempts")) == {("delivered", 1)}
    failing = Delivery.objects.filter(message__order_id=bad.pk).order_by("sequence")
    first = failing[0]
    assert (first.status, first.attempts) == ("pending", 1)
    assert "IntegrityError" in first.last_error and first.next_attempt_at > timezone.now()
    # Its later events wait behind it (per-order order); the good order got all of its own.
    assert list(failing[1:].values_list("attempts", flat=True)) == [0, 0]
    assert [o for o, _, _ in probe.sent] == [good.pk] * 3
    assert Channel.objects.filter(code=channel.code).count() == 1

    sent_before = len(calls)
    drain()  # nothing is due: no delivery is sent twice
    assert len(calls) == sent_before
    probe.behaviour = None
    drain(now=later(minutes=5))
    assert [o for o, _, _ in probe.sent] == [good.pk] * 3 + [bad.pk] * 3
    assert Delivery.objects.exclude(status="delivered").count() == 0


def test_a_later_event_waits_while_an_earlier_one_is_retried(net, probe):  # type: ignore[no-untyped-def]
    first, second = place_order(net.channel, ("SHIRT", 1)), place_order(net.channel, ("SHIRT", 1))
    failures = {"left": 3}

    def behaviour(delivery):  # type: ignore[no-untyped-def]
        if delivery.message.order_id == first.pk and delivery.sequence == 1 and failures["left"]:
            failures["left"] -= 1
            return SendResult(ok=False, status_code=500, error="HTTP 500")
        return SendResult(ok=True)

    probe.behaviour = behaviour
    drain()
    assert [(o, s) for o, _, s in probe.sent] == [(second.pk, 1), (second.pk, 2), (second.pk, 3)]
    for hours in (1, 2, 3):
        drain(now=later(minutes=60 * hours))
    assert [s for o, _, s in probe.sent if o == first.pk] == [1, 2, 3]


def test_a_crashed_workers_lease_expires_and_another_worker_takes_the_row(net, probe):  # type: ignore[no-untyped-def]
    place_order(net.channel, ("SHIRT", 1))
    claimed = dispatch.deliveries_claim(batch_size=1)  # the worker dies before sending
    assert len(claimed) == 1
    assert dispatch.deliveries_claim(batch_size=10) == []  # leased, and the others wait
    taken_over = dispatch.deliveries_claim(batch_size=10, now=later() + LEASE)
    assert [d.pk for d in taken_over] == [claimed[0].pk]


def test_a_worker_starts_no_send_that_could_outlast_its_lease(net, probe, monkeypatch):  # type: ignore[no-untyped-def]
    import time

    place_order(net.channel, ("SHIRT", 1))
    place_order(net.channel, ("SHIRT", 1))  # two orders: two heads in one batch
    monkeypatch.setattr(dispatch, "SEND_BUDGET", LEASE - timedelta(seconds=0.5))

    def slow(delivery):  # type: ignore[no-untyped-def]
        time.sleep(0.6)  # the lease now has less left than a send may take
        return SendResult(ok=True)

    probe.behaviour = slow
    report = deliveries_dispatch()
    assert report.claimed >= 2  # (with the orders' e-mails, when they have any)
    assert (report.delivered, report.released) == (1, report.claimed - 1)
    released = Delivery.objects.filter(attempts=0, sequence=1)
    assert released.count() == report.released
    assert set(released.values_list("lease_until", flat=True)) == {None}
    claimed = {d.pk for d in dispatch.deliveries_claim()}  # claimable again at once
    assert set(released.values_list("pk", flat=True)) <= claimed


def test_retries_back_off_with_jitter_over_about_three_days():
    span = sum(RETRY_SCHEDULE, timedelta())
    assert timedelta(days=2.5) < span < timedelta(days=3.5)
    assert MAX_ATTEMPTS == len(RETRY_SCHEDULE) + 1
    one, two = random.Random(1), random.Random(2)
    delays = [backoff(n, rng=one) for n in range(1, MAX_ATTEMPTS)]
    assert delays != [backoff(n, rng=two) for n in range(1, MAX_ATTEMPTS)]
    for delay, base in zip(delays, RETRY_SCHEDULE, strict=True):
        assert base * 0.8 <= delay <= base * 1.2
    assert [backoff(n, rng=random.Random(0)) for n in (1, 2, 3)] == sorted(
        backoff(n, rng=random.Random(0)) for n in (1, 2, 3)
    )


def test_the_backoff_scale_setting_shortens_the_schedule(settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOKS_BACKOFF_SCALE = 0.001  # benchmarks and drills only
    assert backoff(1, rng=random.Random(3)) <= timedelta(seconds=5) * 0.001 * 1.2
    settings.WEBHOOKS_BACKOFF_SCALE = 1.0
    assert backoff(1, rng=random.Random(3)) >= timedelta(seconds=5) * 0.8


def test_the_last_scheduled_try_failing_fails_the_delivery(net, probe):  # type: ignore[no-untyped-def]
    place_order(net.channel, ("SHIRT", 1))
    probe.behaviour = lambda d: SendResult(ok=False, status_code=503, error="HTTP 503")
    Delivery.objects.update(attempts=MAX_ATTEMPTS - 1)
    drain()
    head = Delivery.objects.order_by("sequence").first()
    assert (head.status, head.attempts) == ("failed", MAX_ATTEMPTS)
    assert head.attempt_log.get().outcome == "failed"


def test_the_orders_event_api_leaves_internal_events_out(net, api_client):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 1))
    services.order_add_note(order_id=order.pk, text="VIP, call before shipping", actor="staff")
    response = api_client.get(f"/api/v1/orders/{order.pk}/events/")
    assert response.status_code == 200
    types = [e["type"] for e in response.json()["results"]]
    assert types == ["order_placed", "fulfilment_created", "order_routed"]
