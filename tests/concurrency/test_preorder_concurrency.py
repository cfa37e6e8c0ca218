"""Pre-orders under real concurrency (threads against PostgreSQL): 200 orders race for an
inbound line of 50 units with no stock on hand. Exactly 50 get pre-order reservations, the
rest are refused or parked per the channel's setting; a receipt of 30 converts exactly the
30 oldest; the ledger stays clean."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from inventory.errors import InsufficientStock
from inventory.models import InboundReservation, InboundStock, Reservation
from inventory.selectors import stock_ledger_mismatches
from inventory.services import inbound_receive
from oms.models import Channel
from orders.models import Fulfilment, Order, OrderState
from orders.services import LineInput, OrderInput, order_create
from routing import config_cache
from tests.concurrency.test_order_concurrency import ADDRESS, run_pool
from tests.factories import ChannelFactory, LocationFactory, ProductFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

ORDERS = 200
THREADS = 16  # spare the shared machine: 16 connections doing 200 orders
SUPPLY = 50


def _setup(policy: str, limit: str) -> tuple[Channel, InboundStock]:
    config_cache.clear()
    channel = ChannelFactory(
        code=f"pre-{uuid.uuid4().hex[:6]}",
        sell_inbound=True,
        unroutable_policy=policy,
        waiting_limit=limit,
    )
    product = ProductFactory()
    line = InboundStock.objects.create(
        location=LocationFactory(channels=[channel]),
        product=product,
        reference="PO-RACE",
        expected_date=timezone.localdate() + dt.timedelta(days=5),
        quantity_expected=SUPPLY,
    )
    return channel, line


def _place(channel: Channel, sku: str):  # type: ignore[no-untyped-def]
    def job() -> Order | InsufficientStock:
        try:
            return order_create(
                channel=channel,
                data=OrderInput(
                    external_reference=f"R-{uuid.uuid4().hex[:12]}",
                    currency="EUR",
                    lines=(LineInput(sku=sku, quantity=1, unit_price=Decimal("5")),),
                    shipping_address=ADDRESS,
                ),
                actor="race",
            )
        except InsufficientStock as exc:
            return exc
        finally:
            connection.close()

    return job


@pytest.mark.parametrize(
    ("policy", "limit", "parked"),
    [
        (Channel.UnroutablePolicy.REFUSE, Channel.WaitingLimit.UNBOUNDED, 0),
        (Channel.UnroutablePolicy.WAIT, Channel.WaitingLimit.INBOUND_SUPPLY, 0),
        (Channel.UnroutablePolicy.WAIT, Channel.WaitingLimit.UNBOUNDED, ORDERS - SUPPLY),
    ],
)
def test_200_preorders_for_50_inbound_units(policy, limit, parked):
    channel, line = _setup(policy, limit)
    results = run_pool([_place(channel, line.product.sku)] * ORDERS, workers=THREADS)
    errors = [r for r in results if not isinstance(r, Order | InsufficientStock)]
    assert errors == []
    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    routed = [o for o in placed if o.state == OrderState.ROUTED]
    waiting = [o for o in placed if o.state == OrderState.WAITING]
    assert len(routed) == SUPPLY
    assert len(waiting) == parked
    assert len(refused) == ORDERS - SUPPLY - parked
    line.refresh_from_db()
    assert line.quantity_reserved == SUPPLY
    active = list(InboundReservation.objects.filter(status="active").order_by("pk"))
    assert len(active) == SUPPLY and sum(r.quantity for r in active) == SUPPLY
    assert Fulfilment.objects.filter(awaiting_stock=True).count() == SUPPLY
    assert stock_ledger_mismatches() == []

    inbound_receive(inbound_id=line.pk, quantity=30, actor="dock")
    converted = list(InboundReservation.objects.filter(status="converted").order_by("pk"))
    assert [r.pk for r in converted] == [r.pk for r in active[:30]]  # exactly the 30 oldest
    assert all(r.converted_to.status == Reservation.Status.ACTIVE for r in converted)
    holders = {r.holder for r in converted}
    actionable = Fulfilment.objects.filter(awaiting_stock=False, promised_date__isnull=False)
    assert actionable.count() == 30
    assert {f"order:{f.order_id}/line:{f.lines.get().order_line_id}" for f in actionable} == (
        holders
    )
    line.refresh_from_db()
    assert (line.quantity_received, line.quantity_reserved) == (30, 20)
    assert stock_ledger_mismatches() == []
