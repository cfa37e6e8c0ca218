"""Statements per order placed through the API, counted as in production: no test transaction
around the request (so no extra savepoints), the API key already known to the worker, 3 lines
over a network of 10 locations.

Issue 13 asks for <= 15: BEGIN, the idempotency claim (which also checks the cached API key,
oms/api/key_in_statement.py), INSERT order, INSERT
payment, INSERT lines (with the SKU lookup in it), SELECT stock levels, SAVEPOINT (the
reservation touches several levels), the reservation statement, INSERT fulfilments, INSERT
fulfilment lines, UPDATE order, the history statement, INSERT idempotency record, COMMIT.
An authorized or paid payment adds its PSP transaction (16).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderState
from tests.factories import BERLIN, LocationFactory, ProductFactory, stock

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = "/api/v1/orders/"
BUDGET = 15
# An authorized or paid payment adds its PSP transaction row.
PAYMENT_TRANSACTION = 1


def _body(ref: str, skus: list[str], **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "external_reference": ref,
        "currency": "EUR",
        "customer": {"email": "erika@example.com", "name": "Erika Mustermann"},
        "shipping_address": dict(BERLIN),
        "lines": [{"sku": sku, "quantity": 2, "unit_price": "19.99"} for sku in skus],
        **extra,
    }


@pytest.fixture
def skus(channel) -> list[str]:  # type: ignore[no-untyped-def]
    products = [ProductFactory() for _ in range(3)]
    for i in range(10):
        location = LocationFactory(
            channels=[channel],
            latitude=47.5 + i * 0.5,
            longitude=6.0 + i,
            cost_per_km=Decimal("0.05"),
        )
        for product in products:
            stock(location, product, 50)
    return [p.sku for p in products]


def _warm_up(client, skus: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Two orders: the first touches the key's last_used_at (a new row version), which the
    second reloads; from the third on the key comes from the worker's cache."""
    for n in range(2):
        body = _body(f"W-{n}", skus)
        response = client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY=f"w{n}")
        assert response.status_code == 201


@pytest.mark.parametrize(
    ("payment_status", "budget"),
    [("pending", BUDGET), ("authorized", BUDGET + PAYMENT_TRANSACTION)],
)
def test_statements_per_placed_order(
    api_client, skus, payment_status: str, budget: int, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    _warm_up(api_client, skus)

    with django_assert_max_num_queries(budget):
        response = api_client.post(
            ORDERS,
            _body("Q-1", skus, payment_status=payment_status),
            format="json",
            HTTP_IDEMPOTENCY_KEY="q1",
        )

    assert response.status_code == 201
    assert Order.objects.get(external_reference="Q-1").state == OrderState.ROUTED


def test_the_count_does_not_depend_on_the_key_cache(api_client, skus) -> None:  # type: ignore[no-untyped-def]
    """A worker that has not seen the key yet checks and loads it first: two statements more,
    no other change. A cached key is checked in the claim, not in a statement of its own."""
    from oms.api import key_cache

    _warm_up(api_client, skus)
    with CaptureQueriesContext(connection) as warm:
        api_client.post(ORDERS, _body("Q-1", skus), format="json", HTTP_IDEMPOTENCY_KEY="q1")
    key_cache.clear()
    with CaptureQueriesContext(connection) as cold:
        api_client.post(ORDERS, _body("Q-2", skus), format="json", HTTP_IDEMPOTENCY_KEY="q2")

    assert len(cold.captured_queries) == len(warm.captured_queries) + 2
    warm_sql = [q["sql"] for q in warm.captured_queries]
    assert warm_sql[0] == "BEGIN" and "pg_try_advisory_xact_lock" in warm_sql[1]
    assert "oms_apikey" in warm_sql[1]
    assert not any("oms_apikey" in sql for sql in warm_sql[2:])
