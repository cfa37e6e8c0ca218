"""Refunds under real concurrency: staff (the service) and the shop (the API) refunding the
same order at once never promise more than was captured; the losers get a clean 422."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from oms.errors import OMSError
from orders.payments import services as payments
from orders.payments.models import Payment, Refund
from tests.concurrency.test_order_concurrency import run_threads
from tests.factories import api_client_for, order_network, place_order, raw_api_key, stock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


def test_concurrent_staff_and_api_refunds_never_exceed_captured(channel):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 10)
    order = place_order(channel, ("SHIRT", 5, "20.00"), payment_status="paid")  # 100 captured
    raw = raw_api_key(channel, ["orders"])
    outcomes: list[Any] = []

    def staff(n: int) -> None:
        try:
            payments.refund_request(order_id=order.pk, amount=Decimal("30"), actor=f"user:{n}")
            outcomes.append("ok")
        except OMSError as exc:
            outcomes.append(exc.code)

    def shop(n: int) -> None:
        response = api_client_for(raw).post(
            f"/api/v1/orders/{order.pk}/refunds/",
            {"amount": "30.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"refund-{n}",
        )
        outcomes.append("ok" if response.status_code == 201 else response.json()["code"])
        connection.close()

    workers = [(lambda n=n: staff(n)) if n % 2 else (lambda n=n: shop(n)) for n in range(12)]
    assert run_threads(workers) == []
    assert sorted(outcomes) == ["ok"] * 3 + ["refund_exceeds_captured"] * 9
    payment = Payment.objects.get(order=order)
    assert payment.refund_pending == Decimal("90")
    assert sum(r.amount for r in Refund.objects.filter(order=order)) == Decimal("90")
    order.refresh_from_db()
    sequences = list(order.events.values_list("sequence", flat=True))
    assert sorted(sequences) == list(range(1, order.event_count + 1))
