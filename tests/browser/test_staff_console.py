"""The main staff flow in a real browser: log in, find an order, change its address, cancel a
line, reroute it away from its warehouse; each time check what the order page shows.

Playwright (sync API) drives Debian's Chromium, headless, against pytest-django's live server.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.support import BROWSER_MARKS, log_in
from tests.console_data import (
    CONSOLE_PERMISSIONS,
    PASSWORD,
    ConsoleWorld,
    console_world,
    staff_user,
)

SCREENSHOT = Path("/tmp/order_page.png")

pytestmark = BROWSER_MARKS


@pytest.fixture
def world() -> ConsoleWorld:
    # Created before Playwright starts: see tests/browser/conftest.py.
    world = console_world(reference="WEB-1001")
    staff_user("alice", *CONSOLE_PERMISSIONS)
    return world


def test_staff_finds_an_order_changes_address_cancels_a_line_and_reroutes(
    live_server, world, browser_page
):
    from playwright.sync_api import expect

    page = browser_page

    log_in(page, live_server, "alice", PASSWORD, "/admin/orders/order/")
    expect(page.locator("#changelist")).to_be_visible()

    # Find the order by its external reference and open it.
    page.fill("#searchbar", "WEB-1001")
    page.press("#searchbar", "Enter")
    result = page.locator("#result_list").get_by_role("link", name="WEB-1001")
    expect(result).to_have_count(1)
    result.click()
    expect(page.locator("h1")).to_have_text("Order web-de/WEB-1001")
    expect(page.locator("#order-state")).to_have_text("Routed")
    expect(page.locator("#fulfilments tbody tr")).to_have_count(1)
    expect(page.locator("#fulfilments tbody tr").first).to_contain_text("wh-berlin")

    # Change the shipping street.
    page.click("#edit-details")
    expect(page.locator("#id_street")).to_have_value("Street A 1")
    page.fill("#id_street", "Street B 2")
    page.click("input[type=submit][value='Save address and customer']")
    expect(page.locator(".messagelist")).to_contain_text(
        "Changed the shipping address and customer details."
    )
    expect(page.locator("#shipping-address .street").first).to_have_text("Street B 2")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Shipping address changed: street: Street A 1 → Street B 2")
    expect(timeline).to_contain_text("user:alice")

    # Cancel line 2 (the mug).
    page.click("#cancel-line-2")
    page.fill("#id_reason", "customer changed their mind")
    page.click("input[type=submit][value='Cancel line']")
    expect(page.locator(".messagelist")).to_contain_text("Cancelled 1 unit(s) of line 2 (MUG-1).")
    line_2 = page.locator("#line-2")
    expect(line_2.locator("td.cancelled")).to_have_text("1")
    expect(line_2.locator("td.open")).to_have_text("0")
    expect(line_2).to_contain_text("cancelled")
    expect(timeline).to_contain_text(
        "Line 2 (MUG-1): 1 unit(s) cancelled (customer changed their mind)"
    )

    # Reroute, excluding the current warehouse.
    page.click("#edit-reroute")
    page.get_by_label(re.compile(r"wh-berlin - Berlin warehouse")).check()
    page.fill("#id_reason", "Berlin reported a flooded aisle")
    page.click("input[type=submit][value='Preview']")
    expect(page.locator("#plan-after")).to_contain_text("wh-munich")
    page.click("#confirm-reroute")
    expect(page.locator(".messagelist")).to_contain_text("Rerouted the order, excluding wh-berlin.")
    fulfilments = page.locator("#fulfilments tbody tr")
    expect(fulfilments).to_have_count(2)
    live = fulfilments.filter(has_text="wh-munich")
    expect(live).to_contain_text("Created")
    expect(live).to_contain_text("line 1 SHIRT-M × 2")
    expect(fulfilments.filter(has_text="wh-berlin")).to_contain_text("Cancelled")
    expect(page.locator("#excluded-locations")).to_have_text("wh-berlin")
    expect(page.locator("#line-1")).to_contain_text("2 at wh-munich (created)")
    expect(timeline).to_contain_text("Rerouted by staff (excluding wh-berlin)")
    expect(timeline).to_contain_text("created at wh-munich: line 1 SHIRT-M × 2 by staff")
    expect(page.locator("#routing details").first).to_contain_text("Routing by staff")
    expect(page.locator("#routing details").first).to_contain_text("wh-munich fulfils all 2 units")
    expect(page.locator("#routing details").first).to_contain_text("excluded for this order")

    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # What the browser showed is what the database holds.
    world.order.refresh_from_db()
    assert world.order.shipping_address["street"] == "Street B 2"
    assert world.order.excluded_location_ids == [world.berlin.pk]
    assert world.order.version == 4
