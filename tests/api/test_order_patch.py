"""PATCH /api/v1/orders/{id}/ is one edit: one version, one totals event, all or nothing."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from inventory.models import Reservation
from inventory.selectors import stock_ledger_mismatches
from orders import services
from orders.models import Order
from orders.services import DeliveryChange, OrderChanges
from tests.factories import (
    BERLIN,
    MUNICH,
    LocationFactory,
    ProductFactory,
    level_of,
    stock,
)

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    berlin = LocationFactory(
        code="wh-berlin",
        channels=[channel],
        cost_per_km=Decimal("0.1"),
        latitude=BERLIN["latitude"],
        longitude=BERLIN["longitude"],
    )
    munich = LocationFactory(
        code="wh-munich",
        channels=[channel],
        cost_per_km=Decimal("0.1"),
        latitude=MUNICH["latitude"],
        longitude=MUNICH["longitude"],
    )
    shirt = ProductFactory(sku="SHIRT")
    stock(berlin, shirt, 10)
    stock(munich, shirt, 10)
    return SimpleNamespace(channel=channel, berlin=berlin, munich=munich, shirt=shirt)


@pytest.fixture
def placed(api_client, net):  # type: ignore[no-untyped-def]
    body = {
        "external_reference": "WEB-1",
        "currency": "EUR",
        "customer": {"email": "erika@example.com", "name": "Erika Mustermann"},
        "shipping_address": dict(BERLIN),
        "lines": [
            {"sku": "SHIRT", "quantity": 3, "unit_price": "10.00"},
            {"sku": "SHIRT", "quantity": 2, "unit_price": "5.00"},
        ],
    }
    response = api_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 201, response.content
    return response


def _reserved(net) -> int:  # type: ignore[no-untyped-def]
    return level_of(net.berlin, net.shirt).reserved + level_of(net.munich, net.shirt).reserved


def test_empty_lines_list_is_a_400_not_a_500(api_client, placed):  # type: ignore[no-untyped-def]
    url = f"{ORDERS}{placed.json()['id']}/"

    response = api_client.patch(url, {"lines": []}, format="json", HTTP_IF_MATCH=placed["ETag"])

    assert response.status_code == 400, response.content
    assert (
        response.json()["code"]
        == api_client.patch(url, {}, format="json", HTTP_IF_MATCH=placed["ETag"]).json()["code"]
    )
    assert api_client.get(url)["ETag"] == placed["ETag"]


def test_empty_lines_beside_another_change_is_that_change(api_client, placed):  # type: ignore[no-untyped-def]
    url = f"{ORDERS}{placed.json()['id']}/"
    change = {"customer": {"name": "Erika M."}, "lines": []}

    response = api_client.patch(url, change, format="json", HTTP_IF_MATCH=placed["ETag"])

    assert response.status_code == 200, response.content
    assert response.json()["customer"]["name"] == "Erika M."
    assert response["ETag"] == f'"{placed.json()["id"]}-2"'


def test_one_patch_with_several_changes_is_one_version_and_one_totals_event(  # type: ignore[no-untyped-def]
    api_client, net, placed
):
    order_id = placed.json()["id"]
    url = f"{ORDERS}{order_id}/"
    change = {
        "customer": {"name": "Erika M."},
        "shipping_address": dict(MUNICH),
        "billing_address": dict(MUNICH),
        "lines": [{"line_number": 1, "quantity": 1}, {"line_number": 2, "quantity": 4}],
    }

    response = api_client.patch(url, change, format="json", HTTP_IF_MATCH=placed["ETag"])

    assert response.status_code == 200, response.content
    assert response["ETag"] == f'"{order_id}-2"'
    assert response.json()["version"] == 2
    order = Order.objects.get(pk=order_id)
    totals = list(order.events.filter(type="totals_changed").values_list("data", flat=True))
    assert len(totals) == 1
    assert totals[0]["before"]["subtotal"] == "40.00"
    assert totals[0]["after"]["subtotal"] == "30.00"
    assert [ln["open_quantity"] for ln in response.json()["lines"]] == [1, 4]
    assert _reserved(net) == 5
    assert stock_ledger_mismatches() == []


def test_a_refused_part_changes_nothing(api_client, net, placed):  # type: ignore[no-untyped-def]
    order_id = placed.json()["id"]
    url = f"{ORDERS}{order_id}/"
    events_before = Order.objects.get(pk=order_id).events.count()
    reservations_before = sorted(
        Reservation.objects.filter(status=Reservation.Status.ACTIVE).values_list("pk", "quantity")
    )
    change = {
        "customer": {"name": "Someone Else"},
        "shipping_address": dict(MUNICH),
        "lines": [{"line_number": 1, "quantity": 1}, {"line_number": 2, "quantity": 500}],
    }

    response = api_client.patch(url, change, format="json", HTTP_IF_MATCH=placed["ETag"])

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "out_of_stock"
    order = Order.objects.get(pk=order_id)
    assert (order.version, order.customer_name) == (1, "Erika Mustermann")
    assert order.shipping_address["city"] == BERLIN["city"]
    assert order.events.count() == events_before
    assert (
        sorted(
            Reservation.objects.filter(status=Reservation.Status.ACTIVE).values_list(
                "pk", "quantity"
            )
        )
        == reservations_before
    )
    assert _reserved(net) == 5


def test_order_edit_service_applies_every_part_under_one_version(net, placed):  # type: ignore[no-untyped-def]
    order_id = placed.json()["id"]

    order = services.order_edit(
        order_id=order_id,
        actor="staff:1",
        expected_version=1,
        changes=OrderChanges(
            delivery=DeliveryChange(delivery_type="ship", shipping_address=dict(MUNICH)),
            line_quantities=((1, 0), (2, 2)),
        ),
    )

    assert order.version == 2
    assert order.subtotal == Decimal("10.00")
    types = list(order.events.order_by("sequence").values_list("type", flat=True))
    assert types.count("totals_changed") == 1
    assert types.count("delivery_option_changed") == 1
    assert _reserved(net) == 2


def test_order_edit_without_changes_keeps_the_version(net, placed):  # type: ignore[no-untyped-def]
    order = services.order_edit(
        order_id=placed.json()["id"], actor="staff:1", expected_version=1, changes=OrderChanges()
    )

    assert order.version == 1


def test_a_higher_quantity_joins_the_unpicked_fulfilment(api_client, net, placed):  # type: ignore[no-untyped-def]
    order_id = placed.json()["id"]
    url = f"{ORDERS}{order_id}/"
    [fulfilment] = placed.json()["fulfilments"]

    response = api_client.patch(
        url,
        {"lines": [{"line_number": 1, "quantity": 5}]},
        format="json",
        HTTP_IF_MATCH=placed["ETag"],
    )

    assert response.status_code == 200, response.content
    [after] = response.json()["fulfilments"]  # still one parcel, from the same warehouse
    assert (after["id"], after["location"]) == (fulfilment["id"], fulfilment["location"])
    assert sum(ln["quantity"] for ln in after["lines"]) == 7
    order = Order.objects.get(pk=order_id)
    assert order.events.filter(type="fulfilment_extended").count() == 1
    assert level_of(net.berlin, net.shirt).reserved == 7
    assert stock_ledger_mismatches() == []
