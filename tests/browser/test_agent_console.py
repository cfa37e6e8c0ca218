"""A new customer-service agent's day in a real browser, with only the `agent` group's
permissions (manage.py setup_groups): the dashboard, a queue followed to its list, an order
found by tracking number and by SKU, and an action shown disabled with its reason. At 1366 px
wide (a common office laptop) nothing is cut off.

Screenshots of the main pages are saved under tests/browser/screenshots/ (gitignored;
`OMS_SCREENSHOTS` moves them) for a reviewer to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone

from orders import services
from orders.models import Order
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS
from tests.console_data import PASSWORD, ConsoleWorld, console_world
from tests.factories import ProductFactory, stock

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(
    os.environ.get("OMS_SCREENSHOTS", Path(__file__).resolve().parent / "screenshots")
)
WIDTH, HEIGHT = 1366, 900

pytestmark = BROWSER_MARKS


def _place(world: ConsoleWorld, reference: str, sku: str) -> Order:
    return services.order_create(
        channel=world.channel,
        data=services.OrderInput(
            external_reference=reference,
            currency="EUR",
            customer_email=f"{reference.lower()}@example.com",
            customer_name="Max Power",
            lines=(services.LineInput(sku=sku, quantity=1, unit_price=Decimal("12.00")),),
            shipping_address={
                "street": "Marienplatz 1",
                "postal_code": "80331",
                "city": "Munich",
                "country": "DE",
            },
        ),
        actor="api-key:test",
    )


@pytest.fixture
def world() -> ConsoleWorld:
    # Created before Playwright starts (see test_staff_console.py on connections).
    world = console_world(reference="WEB-1001")
    fulfilment = world.order.fulfilments.get()
    for action in ("accept", "start_picking", "pack"):
        services.fulfilment_transition(fulfilment_id=fulfilment.pk, action=action, actor="loc")
    services.fulfilment_transition(
        fulfilment_id=fulfilment.pk,
        action="ship",
        actor="loc",
        carrier="DHL",
        tracking_number="JJD000111",
    )
    stock(world.munich, ProductFactory(sku="CAP-1", name="Baseball cap"), 5)
    _place(world, "WEB-2002", "CAP-1")
    # A SKU nobody stocks: with the channel's waiting room on, the order waits, and it has
    # waited too long (escalation is the waiting room's job, tested there; set here).
    world.channel.unroutable_policy = "wait"
    world.channel.save()
    ProductFactory(sku="GHOST-1", name="Sold-out hoodie")
    waiting = _place(world, "WEB-3003", "GHOST-1")
    Order.objects.filter(pk=waiting.pk).update(escalated_at=timezone.now())
    call_command("setup_groups", stdout=StringIO())
    agent = User.objects.create_user("agnes", password=PASSWORD, is_staff=True)
    agent.groups.add(Group.objects.get(name="agent"))
    return world


@pytest.fixture
def page(world: ConsoleWorld) -> Iterator:  # type: ignore[type-arg]
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()
            connections.close_all()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing sticks out to the right of a 1366 px window."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"page is {width} px wide at a {WIDTH} px window"


def _search(page, term: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#searchbar", term)
    page.press("#searchbar", "Enter")


def test_agent_dashboard_queue_search_and_disabled_action(live_server, world, page):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "agnes")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    # The home page is the dashboard: queues and today's figures.
    expect(page.locator("h1").first).to_have_text("Dashboard")
    escalated = page.locator("#queue-orders-escalated")
    expect(escalated.locator(".count")).to_have_text("1")
    expect(page.locator("#figure-placed .value")).to_have_text("3")
    expect(page.locator("#figure-shipped .value")).to_have_text("1")
    menu = page.locator("#content-main caption")
    expect(menu).to_have_text(["Orders", "Stock", "Routing", "Returns", "Integration"])
    expect(page.locator("#content-main")).not_to_contain_text("Outbox")
    _fits(page)
    _shot(page, "01-dashboard")

    # Follow the queue: the list shows that order and no other.
    escalated.get_by_role("link", name="Escalated (waiting too long)").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("WEB-3003")
    _fits(page)
    _shot(page, "02-queue-escalated")

    # Find an order by the tracking number the customer reads out (any case).
    page.locator("#nav-sidebar .model-order th a").click()  # the menu, grouped by task
    expect(page.locator("#changelist")).to_be_visible()
    _search(page, "jjd000111")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("WEB-1001")
    _shot(page, "03-search-tracking-number")

    # And by SKU.
    _search(page, "cap-1")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("WEB-2002")
    _shot(page, "04-search-sku")

    # The shipped order: every action is there, disabled, and says why.
    _search(page, "JJD000111")
    rows.first.get_by_role("link", name="WEB-1001").click()
    expect(page.locator("h1")).to_have_text("Order web-de/WEB-1001")
    cancel = page.locator("#edit-cancel-disabled")
    expect(cancel).to_be_visible()
    expect(cancel).to_have_attribute("aria-disabled", "true")
    reasons = page.locator("#action-reasons")
    expect(reasons).to_contain_text(
        "Address & customer, Delivery option, Reroute, Cancel order: not available. "
        "The order is completed"
    )
    expect(page.locator("#edit-cancel")).to_have_count(0)
    line = page.locator("#line-1")
    expect(line.locator("td.name")).to_have_text("T-shirt M")
    expect(line.locator("td.shipped")).to_have_text("2")
    expect(line.locator("td.open")).to_have_text("0")
    expect(line.locator("td.line-total")).to_have_text("39.80 EUR")
    expect(line.locator("#cancel-line-1-disabled")).to_have_attribute(
        "title", re.compile("^The order is completed")
    )
    expect(page.locator("body")).not_to_contain_text("(order_closed)")
    _fits(page)
    _shot(page, "05-order-completed")
    # Stock levels (with the "available" column) fit the window too.
    page.locator("#nav-sidebar .model-stocklevel th a").click()
    expect(page.locator("#result_list")).to_contain_text("SHIRT-M")
    _fits(page)
    _shot(page, "06-stock-levels")
