"""Return requests under real concurrency: the returnable quantity of a line is never
exceeded, however many requests (shop API and store till) arrive at once."""

from __future__ import annotations

from typing import Any

import pytest

from oms.errors import OMSError
from returns import services
from returns.models import ReturnLine
from returns.services import ReturnLineInput
from tests.concurrency.test_order_concurrency import run_threads
from tests.payments_helpers import returns_network, shipped_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


def test_concurrent_requests_never_exceed_the_returnable_quantity(channel):  # type: ignore[no-untyped-def]
    net = returns_network(channel)
    net.store.channels.add(channel)
    order = shipped_order(net, ("SHIRT", 5, "20.00"))
    outcomes: list[Any] = []

    def request(n: int) -> None:
        try:
            services.return_create(
                order_id=order.pk,
                lines=[ReturnLineInput(line_number=1, quantity=2, reason="wrong_size")],
                actor=f"w{n}",
                created_via="store" if n % 2 else "api",
                location=net.store if n % 2 else None,
            )
            outcomes.append("ok")
        except OMSError as exc:
            outcomes.append(exc.code)

    assert run_threads([lambda n=n: request(n) for n in range(10)]) == []
    assert sorted(outcomes) == ["ok"] * 2 + ["quantity_exceeds_returnable"] * 8
    assert sum(ReturnLine.objects.values_list("quantity", flat=True)) == 4
