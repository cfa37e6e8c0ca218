"""The order page shows every action, disabled with the reason when it is not allowed; the
reason is the one the service gives when it refuses (orders.rules: one rule for both). Lines
show the product's name, the line total, shipped, returned and still-to-ship units; refusals
read without machine codes, and "out of stock" says which SKU and where the stock is."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from oms.errors import OMSError
from orders import rules, services
from orders.models import Fulfilment, Order
from tests.console_data import ConsoleWorld, staff_user
from tests.factories import ProductFactory, stock

pytestmark = pytest.mark.django_db


def _page(client: Client, order: Order) -> str:
    return client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()


def _ship(fulfilment: Fulfilment) -> None:
    for action in ("accept", "start_picking", "pack"):
        services.fulfilment_transition(fulfilment_id=fulfilment.pk, action=action, actor="loc")
    services.fulfilment_transition(
        fulfilment_id=fulfilment.pk, action="ship", actor="loc", carrier="DHL", tracking_number="T1"
    )


def _split_order(world: ConsoleWorld) -> Order:
    """Socks only in Berlin, caps only in Munich: two fulfilments."""
    socks, caps = ProductFactory(sku="SOCK-1", name="Socks"), ProductFactory(sku="CAP-1")
    stock(world.berlin, socks, 5)
    stock(world.munich, caps, 5)
    return services.order_create(
        channel=world.channel,
        data=services.OrderInput(
            external_reference="WEB-3003",
            currency="EUR",
            lines=(
                services.LineInput(sku="SOCK-1", quantity=2, unit_price=Decimal("4.50")),
                services.LineInput(sku="CAP-1", quantity=1, unit_price=Decimal("12.00")),
            ),
            shipping_address={"country": "DE", "latitude": 52.5, "longitude": 13.4},
        ),
        actor="test",
    )


def _refusal(call) -> OMSError:  # type: ignore[no-untyped-def]
    with pytest.raises(OMSError) as exc:
        call()
    return exc.value


def _disabled_reason(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}" aria-disabled="true" title="([^"]*)"', page)
    assert match, f"{element_id} is not shown disabled"
    return match.group(1).replace("&#x27;", "'").replace("&quot;", '"')


def test_a_fully_shipped_line_shows_no_open_units_and_no_cancel(world, staff):
    order = _split_order(world)
    socks_fulfilment = order.fulfilments.get(location=world.berlin)
    _ship(socks_fulfilment)
    order.refresh_from_db()
    page = _page(staff, order)
    row = re.search(r'<tr id="line-1".*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    assert "Socks" in row  # the product's name (the line has none of its own)
    assert re.search(r'class="num shipped">2<', row)
    assert re.search(r'class="num open">0<', row)  # nothing left to ship
    assert "9.00 EUR" in row  # line total: 2 x 4.50
    assert 'id="cancel-line-1"' not in row
    reason = _disabled_reason(page, "cancel-line-1-disabled")
    # The service refuses with the same words.
    line = order.lines.get(line_number=1)
    error = _refusal(
        lambda: services.order_line_cancel(
            order_id=order.pk, line_id=line.pk, actor="user:alice", expected_version=None
        )
    )
    assert error.code == "already_shipped"
    assert (
        error.message
        == reason
        == "Every unit of this line has shipped or is at the pickup counter."
    )
    # Line 2 (caps, not shipped yet) can still be cancelled.
    assert 'id="cancel-line-2"' in page


def test_partly_shipped_order_disables_cancel_and_delivery_with_the_service_reason(world, staff):
    order = _split_order(world)
    _ship(order.fulfilments.get(location=world.berlin))
    order.refresh_from_db()
    page = _page(staff, order)
    assert 'id="edit-reroute"' in page  # the open units may still be rerouted
    cancel_reason = _disabled_reason(page, "edit-cancel-disabled")
    delivery_reason = _disabled_reason(page, "edit-delivery-disabled")
    shown = page.replace("&#x27;", "'")
    assert f"<strong>Cancel order</strong>: not available. {cancel_reason}" in shown
    error = _refusal(
        lambda: services.order_cancel(order_id=order.pk, actor="user:alice", expected_version=None)
    )
    assert (error.code, error.message) == ("already_shipped", cancel_reason)
    error = _refusal(
        lambda: services.order_change_delivery(
            order_id=order.pk,
            actor="user:alice",
            expected_version=None,
            delivery_type="click_collect",
            pickup_location_code="store-hamburg",
        )
    )
    assert (error.code, error.message) == ("already_shipped", delivery_reason)


def test_a_closed_order_shows_every_action_disabled_with_why(world, staff):
    services.order_cancel(order_id=world.order.pk, actor="user:alice", expected_version=None)
    world.order.refresh_from_db()
    page = _page(staff, world.order)
    for key in ("details", "delivery", "reroute", "cancel"):
        reason = _disabled_reason(page, f"edit-{key}-disabled")
        assert reason == "The order is cancelled: nothing about it can change any more."
    assert _disabled_reason(page, "quantity-1-disabled").startswith("The order is cancelled")
    error = _refusal(
        lambda: services.order_reroute(order_id=world.order.pk, actor="x", expected_version=None)
    )
    assert error.code == "order_closed"
    assert error.message == rules.order_open_rule(order=world.order).reason


def test_missing_permission_is_a_reason_too(world, client):
    client.force_login(staff_user("viewer"))
    page = _page(client, world.order)
    assert _disabled_reason(page, "edit-cancel-disabled").startswith(
        "Needs the permission to cancel orders"
    )


def test_fulfilment_steps_not_possible_yet_are_shown_disabled_with_when(world, staff):
    page = _page(staff, world.order)  # a created fulfilment
    assert 'data-action="accept"' in page and 'data-action="reject"' in page
    match = re.search(r'data-disabled-action="ship" aria-disabled="true" title="([^"]*)"', page)
    assert match and match.group(1) == "Only when packed."
    assert 'data-disabled-action="ready_for_pickup"' not in page  # never for a parcel


def test_out_of_stock_says_which_sku_and_where_without_the_code(world, staff):
    world.order.refresh_from_db()
    url = reverse(
        "admin:orders_order_line_edit",
        args=[world.order.pk, world.order.lines.get(line_number=1).pk, "quantity"],
    )
    response = staff.post(url, {"version": world.order.version, "quantity": 50}, follow=True)
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "(out_of_stock)" not in text and "out_of_stock" not in text
    assert "SHIRT-M" in text and "missing" in text
    assert re.search(r"wh-munich has \d+ available", text)
    assert "store-hamburg does not offer shipping" in text


def test_error_codes_are_not_shown_to_agents(world, staff):
    services.order_cancel(order_id=world.order.pk, actor="user:bob", expected_version=None)
    url = reverse("admin:orders_order_edit", args=[world.order.pk, "cancel"])
    response = staff.post(url, {"version": 2, "reason": "again"}, follow=True)
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "order_closed" not in text
    assert "cancelled" in text


def test_objects_are_named_by_what_they_are(world):
    fulfilment = world.order.fulfilments.get()
    assert (
        str(fulfilment) == f"Fulfilment #{fulfilment.pk} of order WEB-1001 at wh-berlin (created)"
    )
    level = world.berlin.stock_levels.select_related("product", "location").get(product=world.shirt)
    assert str(level) == "SHIRT-M at Berlin warehouse"
    assert str(fulfilment.lines.first()) in ("2 x SHIRT-M", "1 x MUG-1")


def test_fulfilment_list_rounds_distances(world, admin_client):
    fulfilment = world.order.fulfilments.get()
    Fulfilment.objects.filter(pk=fulfilment.pk).update(distance_km=1.23456789)
    page = admin_client.get(reverse("admin:orders_fulfilment_changelist")).content.decode()
    assert "1.2 km" in page and "1.2345" not in page


def test_opening_a_refused_edit_says_so_at_once(world, staff):
    services.order_cancel(order_id=world.order.pk, actor="user:bob", expected_version=None)
    url = reverse("admin:orders_order_edit", args=[world.order.pk, "cancel"])
    response = staff.get(url)
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == [
        "This will be refused: The order is cancelled: nothing about it can change any more."
    ]
