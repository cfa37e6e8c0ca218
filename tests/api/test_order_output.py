"""OrderOutputSerializer builds its output directly (speed); it must stay exactly what the
declared DRF fields produce, which also define the OpenAPI schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework import serializers

from orders import services
from orders.api.serializers import OrderOutputSerializer
from orders.models import Order, OrderState
from orders.selectors import order_detail_queryset
from tests.factories import BERLIN, LocationFactory, ProductFactory, place_order, stock

pytestmark = pytest.mark.django_db


def _generic(order: Order) -> dict:  # type: ignore[type-arg]
    """What DRF's ModelSerializer makes of the declared fields."""
    serializer = OrderOutputSerializer()
    return dict(serializers.ModelSerializer.to_representation(serializer, order))


def _orders(channel) -> list[Order]:  # type: ignore[no-untyped-def]
    berlin = LocationFactory(code="out-berlin", channels=[channel], latitude=52.52, longitude=13.40)
    munich = LocationFactory(code="out-munich", channels=[channel], latitude=48.14, longitude=11.58)
    store = LocationFactory(code="out-store", channels=[channel], ships=False, click_collect=True)
    shirt, mug = ProductFactory(sku="OUT-SHIRT"), ProductFactory(sku="OUT-MUG")
    for location in (berlin, munich, store):
        stock(location, shirt, 3)
        stock(location, mug, 50)
    place_order(channel, ("OUT-SHIRT", 5), ("OUT-MUG", 2), address=BERLIN)
    shipped = place_order(channel, ("OUT-MUG", 1), address=BERLIN)
    fulfilment = shipped.fulfilments.get()
    for action in ("accept", "start_picking", "pack"):
        services.fulfilment_transition(fulfilment_id=fulfilment.pk, action=action, actor="t")
    services.fulfilment_transition(
        fulfilment_id=fulfilment.pk,
        action="ship",
        actor="t",
        carrier="DHL",
        tracking_number="JJD0001",
    )
    pickup = place_order(
        channel,
        ("OUT-MUG", 3),
        address={},
        delivery_type="click_collect",
        pickup_location_code="out-store",
    )
    cancelled_line = place_order(channel, ("OUT-MUG", 4), ("OUT-SHIRT", 1), address=BERLIN)
    cancelled_line.refresh_from_db()
    line = cancelled_line.lines.get(sku="OUT-SHIRT")
    services.order_line_cancel(
        order_id=cancelled_line.pk,
        line_id=line.pk,
        actor="t",
        expected_version=cancelled_line.version,
    )
    Order.objects.filter(pk=pickup.pk).update(
        waiting_since=timezone.now(), escalated_at=timezone.now(), subtotal=Decimal("7.1")
    )
    return list(order_detail_queryset().filter(channel=channel).order_by("pk"))


def test_direct_output_equals_the_declared_fields(channel):  # type: ignore[no-untyped-def]
    orders = _orders(channel)
    assert {o.state for o in orders} >= {OrderState.ROUTED, OrderState.COMPLETED}

    for order in orders:
        assert OrderOutputSerializer(order).data == _generic(order)
    listed = OrderOutputSerializer(orders, many=True).data
    assert listed == [_generic(order) for order in orders]


@override_settings(TIME_ZONE="Europe/Berlin")
def test_direct_output_equals_the_declared_fields_outside_utc(channel):  # type: ignore[no-untyped-def]
    for order in _orders(channel):
        direct = OrderOutputSerializer(order).data
        assert direct == _generic(order)
        assert direct["placed_at"].endswith(("+01:00", "+02:00"))
