"""Pre-orders through the API and the console: availability, intake output, receipt by API
and by stock feed, slip and cancel endpoints, the inbound stock and order admin pages."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from inventory.models import InboundReservation, InboundStock
from inventory.selectors import stock_ledger_mismatches
from orders.models import Order
from routing import config_cache
from tests.factories import LocationFactory, ProductFactory

pytestmark = pytest.mark.django_db

ADDRESS = {"street": "Alexanderplatz 1", "postal_code": "10178", "city": "Berlin"}
ADDRESS.update(country="DE", latitude=52.5, longitude=13.4)


@pytest.fixture
def setup(channel):  # type: ignore[no-untyped-def]
    config_cache.clear()
    channel.sell_inbound = True
    channel.save()
    location = LocationFactory(code="wh-pre", channels=[channel])
    product = ProductFactory(sku="PRE-1")
    line = InboundStock.objects.create(
        location=location,
        product=product,
        reference="PO-77",
        expected_date=timezone.localdate() + dt.timedelta(days=6),
        quantity_expected=5,
    )
    return location, product, line


def place(api_client, quantity: int = 2):  # type: ignore[no-untyped-def]
    return api_client.post(
        "/api/v1/orders/",
        {
            "external_reference": f"E-{uuid.uuid4().hex[:8]}",
            "currency": "EUR",
            "shipping_address": ADDRESS,
            "lines": [{"sku": "PRE-1", "quantity": quantity, "unit_price": "10.00"}],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )


def test_preorder_shows_promised_date_and_source_and_availability(api_client, setup):
    _, _, line = setup
    response = place(api_client)
    assert response.status_code == 201, response.json()
    body = response.json()
    (fulfilment,) = body["fulfilments"]
    expected = line.expected_date.isoformat()
    assert (fulfilment["source"], fulfilment["promised_date"]) == ("inbound", expected)
    assert fulfilment["awaiting_stock"] is True
    assert body["promised_date"] == expected
    assert api_client.get(f"/api/v1/orders/{body['id']}/").json() == body
    (entry,) = api_client.get("/api/v1/availability/", {"skus": "PRE-1"}).json()
    assert (entry["available"], entry["preorder_available"]) == (0, 3)
    assert entry["inbound"] == [
        {
            "location": "wh-pre",
            "expected_date": expected,
            "quantity": 5,
            "reserved": 2,
            "sellable": 3,
        }
    ]


def test_location_cannot_accept_until_received_by_api(api_client, setup):
    _, _, line = setup
    order_id = place(api_client).json()["id"]
    fulfilment_id = Order.objects.get(pk=order_id).fulfilments.get().pk
    accept = api_client.post(f"/api/v1/fulfilments/{fulfilment_id}/accept/")
    assert (accept.status_code, accept.json()["code"]) == (409, "transition_not_allowed")
    received = api_client.post(
        f"/api/v1/inbound/{line.pk}/receive/", {"quantity": 2}, format="json"
    )
    assert received.status_code == 200
    assert received.json()["quantity_reserved"] == 0
    assert api_client.post(f"/api/v1/fulfilments/{fulfilment_id}/accept/").status_code == 200
    events = api_client.get(f"/api/v1/orders/{order_id}/events/").json()
    types = [e["type"] for e in events.get("results", events)]
    assert "fulfilment_stock_received" in types


def test_stock_feed_receives_against_an_inbound_reference(api_client, setup):
    _, _, line = setup
    order_id = place(api_client).json()["id"]
    response = api_client.post(
        "/api/v1/stock/updates/",
        {
            "updates": [
                {"location": "wh-pre", "sku": "PRE-1", "delta": 3, "inbound_reference": "PO-77"}
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    line.refresh_from_db()
    assert (line.quantity_received, line.quantity_reserved) == (3, 0)
    assert not Order.objects.get(pk=order_id).fulfilments.get().awaiting_stock
    bad = api_client.post(
        "/api/v1/stock/updates/",
        {
            "updates": [
                {"location": "wh-pre", "sku": "PRE-1", "delta": 9, "inbound_reference": "PO-77"}
            ]
        },
        format="json",
    )
    assert bad.status_code == 422
    assert bad.json()["details"]["errors"][0]["code"] == "over_receipt"
    assert stock_ledger_mismatches() == []


def test_slip_and_cancel_endpoints(api_client, setup, channel):
    _, _, line = setup
    order_id = place(api_client).json()["id"]
    later = timezone.localdate() + dt.timedelta(days=9)
    slipped = api_client.patch(
        f"/api/v1/inbound/{line.pk}/", {"expected_date": later.isoformat()}, format="json"
    )
    assert slipped.status_code == 200, slipped.json()
    order = api_client.get(f"/api/v1/orders/{order_id}/").json()
    assert order["promised_date"] == later.isoformat()
    assert api_client.patch(f"/api/v1/inbound/{line.pk}/", {}, format="json").status_code == 400
    too_few = api_client.patch(f"/api/v1/inbound/{line.pk}/", {"quantity": 1}, format="json")
    assert too_few.status_code == 200  # the pre-order no longer fits: re-planned (waits)
    cancelled = api_client.post(f"/api/v1/inbound/{line.pk}/cancel/")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert api_client.post(f"/api/v1/inbound/{line.pk}/cancel/").status_code == 409
    assert not InboundReservation.objects.filter(status="active").exists()


def test_console_pages_show_preorders(admin_client, api_client, setup):
    _, _, line = setup
    order_id = place(api_client).json()["id"]
    page = admin_client.get(f"/admin/inventory/inboundstock/{line.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/admin/orders/order/{order_id}/change/" in html
    assert "pre-orders (inbound reservations)" in html.lower()
    listing = admin_client.get("/admin/inventory/inboundstock/").content.decode()
    assert "field-quantity_reserved" in listing
    order_page = admin_client.get(f"/admin/orders/order/{order_id}/change/").content.decode()
    assert f"pre-order: inbound stock expected {line.expected_date.isoformat()}" in order_page
    assert "(awaiting stock)" in order_page
