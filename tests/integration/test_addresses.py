"""Shipping addresses: required parts and postal code formats per country, and coordinates that
follow the place (resolved offline from packaged data, or cleared) - never the old place's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from orders import services
from orders.addresses import address_problems, shipping_coordinates
from orders.errors import InvalidAddress
from orders.forms import OrderDetailsForm
from orders.gazetteer import place_coordinates
from tests.console_data import CONSOLE_PERMISSIONS, console_world, staff_user
from tests.factories import BERLIN, order_network, place_order, stock

MUNICH_CENTRE = (48.137, 11.575)


def near(point: tuple[float, float] | None, target: tuple[float, float], km: float = 5) -> bool:
    return (
        point is not None
        and abs(point[0] - target[0]) < km / 111
        and abs(point[1] - target[1]) < km / 70
    )


def place(street: str, city: str, country: str, postal_code: str = "", **more: str) -> dict:
    return {"street": street, "city": city, "country": country, "postal_code": postal_code, **more}


@pytest.mark.parametrize(
    ("address", "problems"),
    [
        ({"country": "DE"}, {"street", "city", "postal_code"}),
        ({**BERLIN, "street": " ", "city": ""}, {"street", "city"}),
        ({**BERLIN, "postal_code": "1017"}, {"postal_code"}),
        ({**BERLIN, "country": "XX"}, {"country"}),
        (place("Damrak 1", "Amsterdam", "NL", "1012 LG"), set()),
        (place("10 Downing St", "London", "GB", "SW1A 2AA"), set()),
        (place("Rua Augusta 1", "Lisboa", "PT", "1100-048"), set()),
        (place("5th Ave 1", "New York", "US", "10001"), {"region"}),
        (place("5th Ave 1", "New York", "US", "1001", region="NY"), {"postal_code"}),
        (place("Main St 1", "Doha", "QA"), set()),  # no postal codes there
    ],
)
def test_required_parts_and_postal_code_formats(address, problems) -> None:  # type: ignore[no-untyped-def]
    assert set(address_problems(address, complete=True)) == problems


def test_the_gazetteer_is_offline_packaged_data() -> None:
    assert near(place_coordinates(country="DE", postal_code="80331", city=""), MUNICH_CENTRE)
    assert near(place_coordinates(country="DE", postal_code="", city="München"), MUNICH_CENTRE)
    assert near(place_coordinates(country="DE", postal_code="", city="Munich"), MUNICH_CENTRE)
    assert near(place_coordinates(country="NL", postal_code="1012 LG", city=""), (52.37, 4.89))
    assert near(place_coordinates(country="US", postal_code="10001", city=""), (40.75, -74.0))
    assert place_coordinates(country="DE", postal_code="00000", city="Nirgendwo") is None


def test_a_new_place_never_keeps_the_old_coordinates() -> None:
    before = dict(BERLIN)
    moved, source = shipping_coordinates(
        before=before, after={**before, "city": "München", "postal_code": "80331"}
    )
    assert source == "gazetteer" and near((moved["latitude"], moved["longitude"]), MUNICH_CENTRE)

    lost, source = shipping_coordinates(
        before=before, after={**before, "city": "Nirgendwo", "postal_code": "00000"}
    )
    assert source == "cleared" and "latitude" not in lost and "longitude" not in lost

    given, source = shipping_coordinates(
        before=before, after={**before, "city": "Potsdam", "latitude": 52.4, "longitude": 13.06}
    )
    assert source == "given" and (given["latitude"], given["longitude"]) == (52.4, 13.06)

    same_place, source = shipping_coordinates(before=before, after={**before, "name": "Erika"})
    assert source == "unchanged" and same_place["latitude"] == BERLIN["latitude"]


@pytest.mark.django_db
def test_staff_edit_of_the_city_moves_the_coordinates(channel) -> None:  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 5)
    order = place_order(channel, ("SHIRT", 1), address=BERLIN)
    # What the console form sends: the stored address with a new city and postal code; the old
    # latitude/longitude are still in it.
    moved = {**order.shipping_address, "city": "München", "postal_code": "80331"}

    services.order_update_details(
        order_id=order.pk, actor="staff", expected_version=1, shipping_address=moved
    )

    order.refresh_from_db()
    assert near((order.shipping_latitude, order.shipping_longitude), MUNICH_CENTRE)
    assert order.shipping_address["latitude"] == order.shipping_latitude
    event = order.events.get(type="address_changed")
    assert event.data["after"]["latitude"] == order.shipping_latitude  # the audit trail shows it

    services.order_update_details(
        order_id=order.pk,
        actor="staff",
        expected_version=2,
        shipping_address={**order.shipping_address, "city": "Nirgendwo", "postal_code": "00000"},
    )
    order.refresh_from_db()
    assert (order.shipping_latitude, order.shipping_longitude) == (None, None)


@pytest.mark.django_db
def test_staff_cannot_save_an_address_without_street_and_city(channel) -> None:  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 5)
    order = place_order(channel, ("SHIRT", 1), address=BERLIN)

    with pytest.raises(InvalidAddress) as refused:
        services.order_update_details(
            order_id=order.pk,
            actor="staff",
            expected_version=1,
            shipping_address={**BERLIN, "street": "", "city": ""},
        )

    assert set(refused.value.details["fields"]) == {"street", "city"}
    order.refresh_from_db()
    assert order.version == 1 and order.shipping_address["city"] == "Berlin"


@pytest.mark.django_db
def test_console_address_form_validates_and_asks_for_no_coordinates(client: Client) -> None:
    world = console_world()
    order = world.order
    client.force_login(staff_user("alice", *CONSOLE_PERMISSIONS))
    url = reverse("admin:orders_order_edit", args=[order.pk, "details"])
    form = OrderDetailsForm(order=order)
    assert "latitude" not in form.fields and "longitude" not in form.fields
    page = client.get(url).content.decode()
    assert 'name="latitude"' not in page and 'name="longitude"' not in page

    base = {
        "version": 1,
        "customer_name": order.customer_name,
        "customer_email": order.customer_email,
        **{k: order.shipping_address.get(k, "") for k in ("name", "street", "postal_code")},
        "city": order.shipping_address["city"],
        "country": "DE",
    }
    refused = client.post(url, {**base, "street": "", "city": ""})
    assert refused.status_code == 200
    assert set(refused.context["form"].errors) == {"street", "city"}
    order.refresh_from_db()
    assert order.version == 1

    moved = client.post(url, {**base, "city": "München", "postal_code": "80331"})
    assert moved.status_code == 302
    order.refresh_from_db()
    assert near((order.shipping_latitude, order.shipping_longitude), MUNICH_CENTRE)


@pytest.mark.django_db
def test_api_refuses_incomplete_shipping_addresses(api_client, channel) -> None:  # type: ignore[no-untyped-def]
    body = {
        "external_reference": "ADDR-1",
        "currency": "EUR",
        "lines": [{"sku": "SHIRT", "quantity": 1, "unit_price": "10.00"}],
        "shipping_address": {"country": "DE", "city": "Berlin", "postal_code": "101"},
    }
    response = api_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="a1")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert set(response.json()["details"]["shipping_address"]) == {"street", "postal_code"}
