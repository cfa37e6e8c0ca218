from decimal import Decimal

import pytest

from inventory.selectors import stock_ledger_mismatches
from orders import services
from orders.models import FulfilmentState, OrderState
from tests.factories import TRACKING, ChannelFactory, LocationFactory, ProductFactory, stock


@pytest.mark.django_db
def test_smoke_flow():
    ch = ChannelFactory()
    a = LocationFactory(channels=[ch], latitude=52.5, longitude=13.4)
    b = LocationFactory(channels=[ch], latitude=48.1, longitude=11.6)
    p = ProductFactory()
    stock(a, p, 5)
    stock(b, p, 5)
    data = services.OrderInput(
        external_reference="X1",
        currency="EUR",
        lines=(services.LineInput(sku=p.sku, quantity=3, unit_price=Decimal("10")),),
        shipping_address={"country": "DE", "latitude": 52.4, "longitude": 13.3},
    )
    order = services.order_create(channel=ch, data=data, actor="test")
    assert order.state == OrderState.ROUTED
    f = order.fulfilments.get()
    assert f.location == a
    services.fulfilment_reject(fulfilment_id=f.pk, reason="damaged", actor="loc")
    order.refresh_from_db()
    f2 = order.fulfilments.exclude(pk=f.pk).get()
    assert f2.location == b
    for action in ["accept", "pack", "ship"]:
        services.fulfilment_transition(
            fulfilment_id=f2.pk, action=action, actor="loc", **TRACKING.get(action, {})
        )
    order.refresh_from_db()
    assert order.state == OrderState.COMPLETED
    f2.refresh_from_db()
    assert f2.state == FulfilmentState.SHIPPED
    assert stock_ledger_mismatches() == []
    assert list(order.events.values_list("sequence", flat=True)) == list(
        range(1, order.event_count + 1)
    )
