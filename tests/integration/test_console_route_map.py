"""The order page's routing map: an inline SVG (no tiles, no network) with the customer,
every candidate of the latest decision coloured by outcome, the chosen location marked and
a line from it to the customer."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from orders import services
from tests.console_data import CONSOLE_PERMISSIONS, console_world, staff_user

pytestmark = pytest.mark.django_db


def _map(client: Client, order) -> str:  # type: ignore[no-untyped-def]
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    found = re.search(r'<div class="module" id="routing-map">.*?</svg>', page, re.S)
    assert found, "no routing map on the order page"
    return found.group(0)


def _status(svg: str, code: str) -> str:
    found = re.search(rf'data-code="{code}" data-status="(\w+)"', svg)
    assert found, f"{code} is not on the map"
    return found.group(1)


def test_the_map_marks_the_chosen_location_and_the_others(client: Client):  # type: ignore[no-untyped-def]
    world = console_world()
    client.force_login(staff_user("alice", *CONSOLE_PERMISSIONS))

    svg = _map(client, world.order)

    assert "http" not in svg.replace("http://www.w3.org", "")  # nothing fetched from anywhere
    assert _status(svg, "wh-berlin") == "chosen"
    assert _status(svg, "wh-munich") == "rated"
    # The Hamburg store does not ship: fenced out, and the hover text says why.
    assert _status(svg, "store-hamburg") == "fenced"
    assert "<title>store-hamburg: fenced - fenced out: does not offer shipping</title>" in svg
    assert 'data-status="destination"' in svg
    assert svg.count('class="route-link"') == 1
    assert "chosen: wh-berlin" in svg  # the picture's accessible name


def test_after_a_reroute_the_new_location_is_the_chosen_one(client: Client):  # type: ignore[no-untyped-def]
    world = console_world()
    client.force_login(staff_user("alice", *CONSOLE_PERMISSIONS))
    services.order_reroute(
        order_id=world.order.pk,
        actor="staff",
        expected_version=world.order.version,
        exclude_location_ids=[world.berlin.pk],
        reason="test",
    )

    svg = _map(client, world.order)

    assert _status(svg, "wh-munich") == "chosen"
    assert _status(svg, "wh-berlin") == "fenced"
