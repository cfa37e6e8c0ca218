"""Returns API: a shop requests a return, a store (location-bound key) receives and inspects
it or takes a return at the till; restocked units show in the availability API at once."""

from __future__ import annotations

import pytest

from orders.models import Fulfilment
from returns.models import ReturnRequest
from tests.factories import ChannelFactory, api_client_for, place_order, raw_api_key
from tests.payments_helpers import returns_network, shipped_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    net = returns_network(channel)
    net.till = api_client_for(raw_api_key(channel, ["location"], location=net.store))
    return net


def _create(client, order, lines, key="k1", **extra):  # type: ignore[no-untyped-def]
    body = {
        "order_id": order.pk,
        "lines": [{"line_number": n, "quantity": q, "reason": "wrong_size"} for n, q in lines],
        **extra,
    }
    return client.post("/api/v1/returns/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def _atp_at_store(client) -> int:  # type: ignore[no-untyped-def]
    (row,) = client.get("/api/v1/availability/", {"skus": "SHIRT"}).json()
    return sum(loc["available"] for loc in row["locations"] if loc["location"] == "store-berlin")


def test_return_to_store_restocks_at_the_store_and_sells_again(net, api_client):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"))
    created = _create(net.till, order, [(1, 2)])
    assert created.status_code == 201, created.json()
    ret = created.json()
    assert (ret["state"], ret["created_via"], ret["location"]) == (
        "approved",
        "store",
        "store-berlin",
    )
    url = f"/api/v1/returns/{ret['id']}"
    received = net.till.post(f"{url}/receive/", {"parcel_reference": "TILL-1"}, format="json")
    assert received.json()["state"] == "received"
    assert _atp_at_store(api_client) == 0
    inspected = net.till.post(
        f"{url}/inspect/",
        {
            "lines": [
                {"line_number": 1, "quantity": 2, "condition": "new", "disposition": "restock"}
            ]
        },
        format="json",
    )
    assert inspected.status_code == 200, inspected.json()
    assert inspected.json()["state"] == "inspected"
    assert _atp_at_store(api_client) == 2
    placed = api_client.post(
        "/api/v1/orders/",
        {
            "external_reference": "AGAIN-1",
            "currency": "EUR",
            "delivery_type": "click_collect",
            "pickup_location": "store-berlin",
            "lines": [{"sku": "SHIRT", "quantity": 2, "unit_price": "20.00"}],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="again-1",
    )
    assert placed.status_code == 201, placed.json()
    assert [f["location"] for f in placed.json()["fulfilments"]] == ["store-berlin"]


def test_receiving_the_same_parcel_twice_answers_the_same(net, api_client):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 1, "20.00"))
    ret = _create(net.till, order, [(1, 1)]).json()
    url = f"/api/v1/returns/{ret['id']}/receive/"
    first = net.till.post(url, {"parcel_reference": "P"}, format="json").json()
    second = net.till.post(url, {"parcel_reference": "P"}, format="json").json()
    assert first == second
    assert len(second["receipts"]) == 1


@pytest.mark.parametrize(
    ("lines", "status", "code"),
    [
        ([(1, 3)], 422, "quantity_exceeds_returnable"),
        ([(7, 1)], 422, "return_line_unknown"),
        ([(1, 0)], 400, "invalid_request"),
    ],
)
def test_bad_return_requests_are_refused(net, api_client, lines, status, code):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"))
    response = _create(api_client, order, lines)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not ReturnRequest.objects.exists()


def test_an_unshipped_line_is_422(net, api_client):  # type: ignore[no-untyped-def]
    order = place_order(net.channel, ("SHIRT", 1, "20.00"))
    response = _create(api_client, order, [(1, 1)])
    assert (response.status_code, response.json()["code"]) == (422, "line_not_delivered")
    assert not ReturnRequest.objects.exists()


def test_after_the_window_is_422(net, api_client):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    order = shipped_order(net, ("SHIRT", 1, "20.00"))
    Fulfilment.objects.filter(order=order).update(updated_at=timezone.now() - timedelta(days=40))
    response = _create(api_client, order, [(1, 1)])
    assert (response.status_code, response.json()["code"]) == (422, "return_window_closed")
    assert not ReturnRequest.objects.exists()


def test_another_channels_order_and_return_are_404(net, api_client):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 1, "20.00"))
    other = api_client_for(raw_api_key(ChannelFactory(), ["orders"]))
    response = _create(other, order, [(1, 1)])
    assert (response.status_code, response.json()["code"]) == (404, "order_not_found")
    ret = _create(api_client, order, [(1, 1)]).json()
    assert other.get(f"/api/v1/returns/{ret['id']}/").status_code == 404
    cancel = other.post(f"/api/v1/returns/{ret['id']}/cancel/", {}, format="json")
    assert cancel.status_code == 404
    assert ReturnRequest.objects.get().state == "requested"


def test_shop_cancels_and_lists(net, api_client):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 1, "20.00"))
    ret = _create(api_client, order, [(1, 1)]).json()
    cancelled = api_client.post(f"/api/v1/returns/{ret['id']}/cancel/", {}, format="json")
    assert cancelled.json()["state"] == "cancelled"
    listed = api_client.get("/api/v1/returns/", {"state": "cancelled"}).json()
    assert [r["id"] for r in listed["results"]] == [ret["id"]]
    reasons = api_client.get("/api/v1/returns/reasons/").json()
    assert "wrong_size" in [r["code"] for r in reasons]


def test_a_return_refund_above_what_is_left_is_422_and_changes_nothing(net, api_client):  # type: ignore[no-untyped-def]
    from orders.payments.models import Refund

    order = shipped_order(net, ("SHIRT", 2, "20.00"))  # paid: 40.00 captured
    goodwill = api_client.post(
        f"/api/v1/orders/{order.pk}/refunds/",
        {"amount": "30.00", "reason": "goodwill"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="goodwill-1",
    )
    assert goodwill.status_code == 201, goodwill.json()
    ret = _create(net.till, order, [(1, 2)]).json()
    url = f"/api/v1/returns/{ret['id']}"
    received = net.till.post(f"{url}/receive/", {"parcel_reference": "P"}, format="json")
    assert received.status_code == 200, received.json()
    preview = api_client.get(f"{url}/refund-preview/").json()
    assert (preview["total"], preview["refundable"]) == ("40.00", "10.00")

    response = api_client.post(f"{url}/refund/", {"expected_total": "40.00"}, format="json")
    assert (response.status_code, response.json()["code"]) == (422, "refund_exceeds_captured")
    assert Refund.objects.count() == 1  # the goodwill refund only
    assert api_client.get(f"{url}/").json()["state"] == "received"
    money = api_client.get(f"/api/v1/orders/{order.pk}/payments/").json()
    assert money["refundable"] == "10.00"
