"""EventRecorder.flush writes the events, and with `order_fields` the order's fields in the
same statement on PostgreSQL (the ORM's UPDATE elsewhere), with or without events."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orders import event_types as et
from orders.events import EventRecorder
from orders.locks import order_lock
from orders.models import Order, OrderEvent
from tests.factories import ChannelFactory, LocationFactory, ProductFactory, place_order, stock

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]


@pytest.fixture
def order() -> Order:
    channel = ChannelFactory()
    product = ProductFactory(sku="FLUSH-1")
    stock(LocationFactory(channels=[channel]), product, 5)
    return place_order(channel, ("FLUSH-1", 1))


def test_order_fields_are_saved_with_the_events(order: Order) -> None:
    with transaction.atomic():
        locked = order_lock(order_id=order.pk)
        events = EventRecorder(locked, "staff:ada")
        events.add(et.NoteAdded(text="call the customer first"))
        locked.strategy_name = "renamed v9"
        locked.priority = 7  # changed, but not among the fields saved
        with CaptureQueriesContext(connection) as queries:
            events.flush(order_fields=("strategy_name", "event_count"))

    stored = Order.objects.get(pk=order.pk)
    assert (stored.strategy_name, stored.event_count) == ("renamed v9", locked.event_count)
    assert stored.priority == order.priority
    assert OrderEvent.objects.filter(order=order, type=et.NoteAdded.type).count() == 1
    if connection.vendor == "postgresql":
        assert len(queries.captured_queries) == 1


def test_order_fields_are_saved_without_events(order: Order) -> None:
    with transaction.atomic():
        locked = order_lock(order_id=order.pk)
        locked.strategy_name = "nothing to record"
        EventRecorder(locked, "staff:ada").flush(order_fields=("strategy_name",))

    assert Order.objects.get(pk=order.pk).strategy_name == "nothing to record"
