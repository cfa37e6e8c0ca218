"""The per-SKU stock page: figures per location and channel (the availability selectors'),
inbound by date, recent movements; "adjust by" and "set counted quantity" go through the
inventory services, write the ledger with the staff member's name and need adjust_stock."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from inventory.models import StockLevel, StockMovement
from inventory.selectors import availability_for_channel, stock_ledger_mismatches
from tests.console_data import PASSWORD, console_world
from tests.factories import InboundStockFactory, LocationFactory, level_of, stock

pytestmark = pytest.mark.django_db


def _user(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="inventory", codename__in=codenames)
    )
    return user


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    world = console_world()  # the order holds 2 shirts at wh-berlin
    stock(world.munich, world.shirt, 0, safety_stock=3)
    InboundStockFactory(location=world.munich, product=world.shirt, reference="PO-77")
    return world


def _url(world) -> str:  # type: ignore[no-untyped-def]
    return reverse("admin:inventory_product_stock", args=[world.shirt.pk])


def _texts(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_page_shows_every_figure(client: Client, world):  # type: ignore[no-untyped-def]
    client.force_login(_user("viewer", "view_product"))
    world.channel.availability_buffer = 1
    world.channel.save()
    LocationFactory(code="wh-empty", name="Empty warehouse")  # holds no shirt: listed with 0

    response = client.get(_url(world))

    assert response.status_code == 200
    stock_page = response.context["stock"]
    by_code = {row.location.code: row.availability for row in stock_page.locations}
    berlin, munich = by_code["wh-berlin"], by_code["wh-munich"]
    assert (berlin.on_hand, berlin.reserved, berlin.safety_stock, berlin.available) == (10, 2, 0, 8)
    assert (munich.on_hand, munich.reserved, munich.safety_stock, munich.available) == (10, 0, 3, 7)
    assert by_code["wh-empty"].available == 0
    # The channel figure is the API's figure, not a second computation.
    [(channel, figure)] = stock_page.channels
    api = availability_for_channel(channel=world.channel, skus=["SHIRT-M"])[0]
    assert channel == world.channel and figure.available == api.available == 8 + 7 + 10 - 1
    html = response.content.decode()
    assert "PO-77" in html and "Inbound by date" in html
    assert "Recent movements" in html and "test stock" in html
    assert 'id="count-form"' not in html  # viewing needs no change permission; changing does


def test_set_counted_quantity_goes_through_the_ledger(client: Client, world):  # type: ignore[no-untyped-def]
    client.force_login(_user("planner", "view_product", "adjust_stock"))

    response = client.post(
        _url(world),
        {
            "change": "count",
            "count-location": world.berlin.pk,
            "count-on_hand": 6,
            "count-reason": "cycle count aisle 4",
        },
    )

    assert response.status_code == 302
    level = level_of(world.berlin, world.shirt)
    assert (level.on_hand, level.reserved) == (6, 2)
    assert level.last_counted_at is not None
    movement = StockMovement.objects.filter(stock_level=level).order_by("-id").first()
    assert (movement.kind, movement.on_hand_delta, movement.actor, movement.reason) == (
        StockMovement.Kind.COUNT,
        -4,
        "user:planner",
        "cycle count aisle 4",
    )
    assert LogEntry.objects.filter(object_id=str(level.pk)).exists()
    assert stock_ledger_mismatches() == []


def test_a_count_below_the_reserved_units_is_refused(client: Client, world):  # type: ignore[no-untyped-def]
    client.force_login(_user("planner", "view_product", "adjust_stock"))

    response = client.post(
        _url(world),
        {
            "change": "count",
            "count-location": world.berlin.pk,
            "count-on_hand": 1,
            "count-reason": "count",
        },
        follow=True,
    )

    assert level_of(world.berlin, world.shirt).on_hand == 10
    [text] = _texts(response)
    assert "below the 2 reserved" in text and "stock_update_rejected" not in text


def test_adjust_by_from_the_page(client: Client, world):  # type: ignore[no-untyped-def]
    client.force_login(_user("planner", "view_product", "adjust_stock"))

    response = client.post(
        _url(world),
        {
            "change": "adjust",
            "adjust-location": world.munich.pk,
            "adjust-delta": -4,
            "adjust-reason": "damaged",
        },
        follow=True,
    )

    assert level_of(world.munich, world.shirt).on_hand == 6
    assert _texts(response) == ["Adjusted on hand of SHIRT-M at wh-munich by -4."]


def test_changing_stock_needs_the_permission(client: Client, world):  # type: ignore[no-untyped-def]
    client.force_login(_user("viewer", "view_product"))

    response = client.post(
        _url(world),
        {
            "change": "count",
            "count-location": world.berlin.pk,
            "count-on_hand": 50,
            "count-reason": "x",
        },
    )

    assert response.status_code == 403
    assert level_of(world.berlin, world.shirt).on_hand == 10
    client.force_login(_user("nobody"))
    assert client.get(_url(world)).status_code == 403


def test_set_counted_quantity_action_on_stock_levels(client: Client, world):  # type: ignore[no-untyped-def]
    client.force_login(_user("planner", "view_stocklevel", "change_stocklevel", "adjust_stock"))
    level = level_of(world.munich, world.mug)

    response = client.post(
        reverse("admin:inventory_stocklevel_changelist"),
        {
            "action": "set_counted",
            "_selected_action": [level.pk],
            "apply": "1",
            "on_hand": 4,
            "reason": "count",
        },
        follow=True,
    )

    assert StockLevel.objects.get(pk=level.pk).on_hand == 4
    assert "Set on hand of MUG-1 at wh-munich to the counted 4." in _texts(response)
