"""Per-order event sequences under real concurrency: staff notes, customer edits and the
warehouse's fulfilment steps on one order at once (threads, PostgreSQL) leave the order's
events numbered 1..n without gaps or repeats, the published messages and their deliveries
carry exactly the public events' numbers, and the deliveries go out in that order."""

from __future__ import annotations

import pytest

from oms.hub.dispatch import deliveries_dispatch
from oms.models import Delivery, OutboxMessage
from orders import services
from tests.concurrency.test_order_concurrency import run_threads
from tests.factories import order_network, place_order, stock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]
ROUNDS = 6


def test_sequences_stay_gapless_and_monotonic_under_concurrent_changes(channel, probe):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 10)
    order = place_order(channel, ("SHIRT", 2))
    fulfilment = order.fulfilments.get()

    def note(n: int) -> None:
        services.order_add_note(order_id=order.pk, text=f"note {n}", actor=f"staff:{n}")

    def customer(n: int) -> None:
        services.order_update_details(
            order_id=order.pk,
            actor=f"shop:{n}",
            expected_version=None,
            customer={"name": f"Customer {n}"},
        )

    def warehouse() -> None:
        for action in ("accept", "start_picking", "pack"):
            services.fulfilment_transition(fulfilment_id=fulfilment.pk, action=action, actor="wh")

    workers = [warehouse]
    for n in range(ROUNDS):
        workers += [lambda n=n: note(n), lambda n=n: customer(n)]
    assert run_threads(workers) == []

    order.refresh_from_db()
    events = list(order.events.order_by("sequence").values_list("sequence", "type", "public"))
    sequences = [s for s, _, _ in events]
    assert sequences == list(range(1, order.event_count + 1))
    types = [t for _, t, _ in events]
    assert types.count("note_added") == ROUNDS
    assert types.count("customer_changed") == ROUNDS
    steps = [t for t in types if t.startswith("fulfilment_") and t != "fulfilment_created"]
    assert steps == ["fulfilment_accepted", "fulfilment_picking_started", "fulfilment_packed"]

    public = [s for s, _, p in events if p]
    messages = OutboxMessage.objects.filter(order_id=order.pk).order_by("id")
    assert list(messages.values_list("sequence", flat=True)) == public  # id order = sequence
    deliveries = Delivery.objects.filter(message__order_id=order.pk, kind="probe")
    assert sorted(deliveries.values_list("sequence", flat=True)) == public

    while deliveries_dispatch().claimed:
        pass
    assert [s for o, _, s in probe.sent if o == order.pk] == public
