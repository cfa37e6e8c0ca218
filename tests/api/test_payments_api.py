"""Payments API as a shop integrator uses it: report PSP transactions (idempotent), request
refunds, confirm them; clear 4xx codes and nothing changed on bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.payments.models import Refund
from tests.factories import ChannelFactory, api_client_for, order_network, place_order, raw_api_key
from tests.factories import stock as stock_of
from tests.payments_helpers import amounts, event_types

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def order(channel):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock_of(net.berlin, net.shirt, 5)
    return place_order(channel, ("SHIRT", 2, "20.00"), payment_status="authorized")


def _tx(api_client, order, **body):  # type: ignore[no-untyped-def]
    return api_client.post(f"/api/v1/orders/{order.pk}/payments/transactions/", body, format="json")


def test_report_capture_then_replay_then_conflict(api_client, order):  # type: ignore[no-untyped-def]
    first = _tx(api_client, order, kind="capture", amount="25.00", psp_reference="ch_1")
    assert first.status_code == 201, first.json()
    again = _tx(api_client, order, kind="capture", amount="25.00", psp_reference="ch_1")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    conflict = _tx(api_client, order, kind="capture", amount="26.00", psp_reference="ch_1")
    assert (conflict.status_code, conflict.json()["code"]) == (409, "psp_reference_conflict")
    assert amounts(order)[1] == D("25")
    summary = api_client.get(f"/api/v1/orders/{order.pk}/payments/").json()
    assert summary["state"] == "partially_captured"
    assert (summary["captured"], summary["refundable"]) == ("25.00", "25.00")
    assert [t["kind"] for t in summary["payments"][0]["transactions"]] == [
        "authorization",
        "capture",
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"kind": "capture", "amount": "40.01", "psp_reference": "x"},
            422,
            "capture_exceeds_authorized",
        ),
        ({"kind": "capture", "amount": "-1", "psp_reference": "x"}, 400, "invalid_request"),
        ({"kind": "capture", "amount": "1.001", "psp_reference": "x"}, 400, "invalid_request"),
        ({"kind": "capture", "amount": "1"}, 400, "invalid_request"),
        ({"kind": "steal", "amount": "1", "psp_reference": "x"}, 400, "invalid_request"),
        ({"kind": "refund", "amount": "1", "psp_reference": "x"}, 422, "refund_exceeds_captured"),
        (
            {"kind": "capture", "amount": "1", "psp_reference": "x", "currency": "USD"},
            422,
            "currency_mismatch",
        ),
    ],
)
def test_bad_transactions_are_refused_and_change_nothing(api_client, order, body, status, code):  # type: ignore[no-untyped-def]
    response = _tx(api_client, order, **body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert amounts(order) == (D("40"), D("0"), D("0"), D("0"))
    assert event_types(order)[-1] == "order_routed"


def test_refund_request_and_confirmation(api_client, order):  # type: ignore[no-untyped-def]
    _tx(api_client, order, kind="capture", amount="40.00", psp_reference="ch_1")
    headers = {"HTTP_IDEMPOTENCY_KEY": "refund-1"}
    url = f"/api/v1/orders/{order.pk}/refunds/"
    created = api_client.post(
        url, {"amount": "12.50", "reason": "goodwill"}, format="json", **headers
    )
    assert created.status_code == 201, created.json()
    (refund,) = created.json()
    assert (refund["state"], refund["amount"], refund["source"]) == ("requested", "12.50", "api")
    replay = api_client.post(
        url, {"amount": "12.50", "reason": "goodwill"}, format="json", **headers
    )
    assert replay.json() == created.json()
    assert Refund.objects.count() == 1
    confirm = api_client.post(
        f"{url}{refund['id']}/confirm/",
        {"outcome": "succeeded", "psp_reference": "re_9"},
        format="json",
    )
    assert confirm.status_code == 200
    assert (confirm.json()["state"], confirm.json()["psp_reference"]) == ("succeeded", "re_9")
    assert amounts(order) == (D("40"), D("40"), D("12.5"), D("0"))
    types = event_types(order)
    assert types[-2:] == ["refund_requested", "refund_succeeded"]


def test_refund_above_what_is_left_is_422_and_changes_nothing(api_client, order):  # type: ignore[no-untyped-def]
    _tx(api_client, order, kind="capture", amount="40.00", psp_reference="ch_1")
    response = api_client.post(
        f"/api/v1/orders/{order.pk}/refunds/",
        {"amount": "40.01"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="r-2",
    )
    assert (response.status_code, response.json()["code"]) == (422, "refund_exceeds_captured")
    assert not Refund.objects.exists()
    assert amounts(order) == (D("40"), D("40"), D("0"), D("0"))


def test_unknown_refund_is_404(api_client, order):  # type: ignore[no-untyped-def]
    response = api_client.post(
        f"/api/v1/orders/{order.pk}/refunds/999999/confirm/", {"outcome": "failed"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "refund_not_found")


def test_another_channels_order_is_404_everywhere(order):  # type: ignore[no-untyped-def]
    other = api_client_for(raw_api_key(ChannelFactory(), ["orders"]))
    base = f"/api/v1/orders/{order.pk}"
    responses = [
        other.get(f"{base}/payments/"),
        other.post(
            f"{base}/payments/transactions/",
            {"kind": "capture", "amount": "1", "psp_reference": "x"},
            format="json",
        ),
        other.post(f"{base}/refunds/", {"amount": "1"}, format="json", HTTP_IDEMPOTENCY_KEY="k"),
    ]
    assert [r.status_code for r in responses] == [404, 404, 404]
    assert amounts(order) == (D("40"), D("0"), D("0"), D("0"))
