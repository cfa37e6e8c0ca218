"""Orders intake refuses (409 out of stock, 422 unknown SKU) are counted per channel, day and
code by one UPSERT run after the refused transaction has rolled back (none on the accepted
path), and the dashboard shows today's total with a breakdown by code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import IntakeRefusalCount
from tests.factories import order_network, stock

ADDRESS = {
    "street": "Alexanderplatz 1",
    "postal_code": "10178",
    "city": "Berlin",
    "country": "DE",
    "latitude": 52.52,
    "longitude": 13.40,
}


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 5)
    return net


def _order(api_client, reference: str, sku: str, quantity: int) -> Any:  # type: ignore[no-untyped-def]
    return api_client.post(
        "/api/v1/orders/",
        {
            "external_reference": reference,
            "currency": "EUR",
            "lines": [{"sku": sku, "quantity": quantity, "unit_price": "10.00"}],
            "shipping_address": ADDRESS,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=reference,
    )


def _counted() -> dict[str, int]:
    return {row.code: row.n for row in IntakeRefusalCount.objects.filter(day=timezone.localdate())}


@pytest.mark.django_db(transaction=True)
def test_a_refused_order_is_counted_after_its_transaction_not_on_the_accepted_path(api_client, net):  # type: ignore[no-untyped-def]
    upserts: list[bool] = []  # per counting statement: was a transaction open?

    def watch(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if IntakeRefusalCount._meta.db_table in sql and sql.startswith("INSERT"):
            upserts.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        assert _order(api_client, "R-1", "SHIRT", 2).status_code == 201
        assert upserts == []  # nothing on the accepted path
        assert _order(api_client, "R-2", "SHIRT", 50).status_code == 409
        assert _order(api_client, "R-3", "SHIRT", 50).status_code == 409
        assert _order(api_client, "R-4", "NO-SUCH-SKU", 1).status_code == 422
    # Each in autocommit: the refused order's transaction (and its locks) was gone.
    assert upserts == [False, False, False]
    assert _counted() == {"out_of_stock": 2, "unknown_sku": 1}
    assert IntakeRefusalCount.objects.get(code="out_of_stock").channel_id == net.channel.pk


@pytest.mark.django_db
def test_the_dashboard_shows_refusals_at_intake_by_code(api_client, admin_client, net):  # type: ignore[no-untyped-def]
    assert _order(api_client, "D-1", "SHIRT", 50).status_code == 409
    assert _order(api_client, "D-2", "SHIRT", 60).status_code == 409
    assert _order(api_client, "D-3", "NO-SUCH-SKU", 1).status_code == 422
    page = admin_client.get("/admin/").content.decode()
    figure = re.search(r'<li id="figure-refused-at-intake">(.*?)</li>', page, re.S)
    assert figure, page
    text = figure.group(1)
    assert '<span class="value">3</span>orders refused at intake' in text
    assert re.findall(r'<span class="part">([^<]+)</span>', text) == [
        "out of stock: 2",
        "unknown sku: 1",
    ]
