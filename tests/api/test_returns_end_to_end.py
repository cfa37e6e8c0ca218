"""A shop integrator's end-to-end test of the return flow, through the API only:
order -> ship -> return request -> received at a store -> inspected (one restocked, one
written off) -> refund via shop_handled -> the shop confirms -> the events, in order."""

from __future__ import annotations

import pytest

from inventory.selectors import stock_ledger_mismatches
from returns.models import ReturnPolicy
from tests.factories import api_client_for, raw_api_key
from tests.payments_helpers import returns_network

pytestmark = pytest.mark.django_db


def test_return_to_store_refunded_through_the_shop(channel, api_client, probe):  # type: ignore[no-untyped-def]
    net = returns_network(channel)
    ReturnPolicy.objects.create(channel=channel, auto_approve=True)
    warehouse = api_client_for(raw_api_key(channel, ["location"], location=net.berlin))
    store = api_client_for(raw_api_key(channel, ["location"], location=net.store))

    # 1. The shop places a paid order; the warehouse ships it.
    order = api_client.post(
        "/api/v1/orders/",
        {
            "external_reference": "WEB-1001",
            "currency": "EUR",
            "shipping_address": {
                "street": "Alexanderplatz 1",
                "postal_code": "10178",
                "city": "Berlin",
                "country": "DE",
                "latitude": 52.52,
                "longitude": 13.405,
            },
            "lines": [{"sku": "SHIRT", "quantity": 2, "unit_price": "25.00"}],
            "shipping_total": "4.90",
            "payment_status": "paid",
            "payment_provider": "stripe",
            "payment_reference": "pi_123",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="order-1001",
    ).json()
    (fulfilment,) = order["fulfilments"]
    for step in ("accept", "pack"):
        assert warehouse.post(f"/api/v1/fulfilments/{fulfilment['id']}/{step}/").status_code == 200
    shipped = warehouse.post(
        f"/api/v1/fulfilments/{fulfilment['id']}/ship/",
        {"carrier": "DHL", "tracking_number": "DHL-1"},
        format="json",
    )
    assert shipped.status_code == 200, shipped.json()

    # 2. The customer asks to return both shirts (the channel auto-approves returns).
    created = api_client.post(
        "/api/v1/returns/",
        {
            "order_id": order["id"],
            "lines": [{"line_number": 1, "quantity": 2, "reason": "wrong_size"}],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="return-1",
    )
    assert created.status_code == 201, created.json()
    ret = created.json()
    assert ret["state"] == "approved"

    # 3. The customer brings the parcel to the Berlin store, which receives and inspects it.
    url = f"/api/v1/returns/{ret['id']}"
    received = store.post(f"{url}/receive/", {"parcel_reference": "BAG-7"}, format="json")
    assert received.json()["state"] == "received"
    inspected = store.post(
        f"{url}/inspect/",
        {
            "lines": [
                {"line_number": 1, "quantity": 1, "condition": "new", "disposition": "restock"},
                {
                    "line_number": 1,
                    "quantity": 1,
                    "condition": "damaged",
                    "disposition": "write_off",
                },
            ]
        },
        format="json",
    )
    assert inspected.json()["state"] == "inspected"

    # 4. Preview, refund (shop_handled: a refund_requested event), the shop confirms.
    preview = api_client.get(f"{url}/refund-preview/").json()
    assert (preview["total"], preview["refundable"]) == (
        "54.90",
        "54.90",
    )  # full return: shipping too
    stale = api_client.post(f"{url}/refund/", {"expected_total": "50.00"}, format="json")
    assert (stale.status_code, stale.json()["code"]) == (409, "refund_amount_changed")
    refunded = api_client.post(
        f"{url}/refund/", {"expected_total": preview["total"]}, format="json"
    )
    assert refunded.status_code == 200, refunded.json()
    (refund,) = refunded.json()["refunds"]
    assert (refund["state"], refunded.json()["state"]) == ("requested", "closed")
    confirmed = api_client.post(
        f"/api/v1/orders/{order['id']}/refunds/{refund['id']}/confirm/",
        {"outcome": "succeeded", "psp_reference": "re_777"},
        format="json",
    )
    assert confirmed.json()["state"] == "succeeded"

    # 5. What the shop sees: the money, the stock, the events in order.
    money = api_client.get(f"/api/v1/orders/{order['id']}/payments/").json()
    assert (money["state"], money["refunded"], money["refundable"]) == ("refunded", "54.90", "0.00")
    (row,) = api_client.get("/api/v1/availability/", {"skus": "SHIRT"}).json()
    at_store = [loc["available"] for loc in row["locations"] if loc["location"] == "store-berlin"]
    assert at_store == [1]
    assert stock_ledger_mismatches() == []
    events = api_client.get(f"/api/v1/orders/{order['id']}/events/").json()
    types = [e["type"] for e in events.get("results", events)]
    wanted = [
        "order_placed",
        "return_requested",
        "return_approved",
        "return_received",
        "return_inspected",
        "refund_requested",
        "return_closed",
        "refund_succeeded",
    ]
    assert [t for t in types if t in wanted] == wanted

    # 6. The status hub delivered them to the receiver, in the order's sequence.
    from oms.hub.dispatch import deliveries_dispatch

    while deliveries_dispatch().claimed:
        pass
    delivered = [t for order_id, t, _ in sorted(probe.sent, key=lambda s: s[2]) if t in wanted]
    assert delivered == wanted
    sequences = [seq for order_id, _, seq in probe.sent if order_id == order["id"]]
    assert sequences == sorted(sequences)
