"""Routing in the staff console, in a real browser, as a new agent with only the `agent`
group's permissions (manage.py setup_groups): the routing map on the order page with the
chosen location marked, a reroute previewed and confirmed with a reason, a SKU's stock page,
and a draft strategy simulated with its replay summary read; a manager then activates the
draft after reading the same summary on the confirmation page.

Screenshots are saved under tests/browser/screenshots/ (gitignored; `OMS_SCREENSHOTS`
moves them) for a reviewer to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command

from inventory.models import Location
from routing.models import RoutingStrategy, StrategyVersion
from tests.browser.support import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS
from tests.console_data import PASSWORD, ConsoleWorld, console_world

SCREENSHOTS = Path(
    os.environ.get("OMS_SCREENSHOTS", Path(__file__).resolve().parent / "screenshots")
)

pytestmark = BROWSER_MARKS


def _agent_group() -> Group:
    call_command("setup_groups", stdout=StringIO())  # the roles as deployed
    return Group.objects.get(name="agent")


@pytest.fixture
def world() -> ConsoleWorld:
    # Created before Playwright starts (see test_staff_console.py on connections).
    world = console_world(reference="WEB-1001")  # routed to wh-berlin, near the customer
    Location.objects.filter(code__in=["wh-berlin", "wh-munich"]).update(
        cost_per_km=Decimal("0.10"), base_cost=Decimal("4")
    )
    Location.objects.filter(code="wh-munich").update(priority=10)
    strategy = RoutingStrategy.objects.create(name="web", channel=world.channel)
    StrategyVersion.objects.create(
        strategy=strategy, number=1, status="active", rating_weights={"shipping_cost": 1}
    )
    StrategyVersion.objects.create(
        strategy=strategy, number=2, status="draft", rating_weights={"priority": 1}
    )
    agents = _agent_group()
    User.objects.create_user("agnes", password=PASSWORD, is_staff=True).groups.add(agents)
    manager = User.objects.create_user("maria", password=PASSWORD, is_staff=True)
    manager.groups.add(agents)
    manager.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="routing",
            codename__in=["change_strategyversion", "activate_strategyversion"],
        )
    )
    return world


@pytest.fixture
def browser() -> Iterator:  # type: ignore[type-arg]
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


def _login(browser, live_server, username: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/orders/order/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#changelist")).to_be_visible()
    return page


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_agent_reroutes_with_a_preview_reads_stock_and_tries_a_strategy(
    live_server, world, browser
):
    from playwright.sync_api import expect

    page = _login(browser, live_server, "agnes")

    # The order page: the routing map, the chosen warehouse marked.
    page.fill("#searchbar", "WEB-1001")
    page.press("#searchbar", "Enter")
    page.locator("#result_list").get_by_role("link", name="WEB-1001").click()
    routing_map = page.locator("#routing-map svg")
    expect(routing_map).to_be_visible()
    expect(routing_map.locator('[data-status="chosen"]')).to_have_count(1)
    expect(routing_map.locator('[data-code="wh-berlin"]')).to_have_attribute(
        "data-status", "chosen"
    )
    expect(routing_map.locator('[data-status="destination"]')).to_have_count(1)
    expect(routing_map.locator(".route-link")).to_have_count(1)
    _shot(page, "order_page_with_routing_map")

    # Reroute: candidates with stock and distance, a preview, a reason, then confirm.
    page.click("#edit-reroute")
    munich = page.locator("#candidate-wh-munich")
    expect(munich).to_contain_text("km")
    expect(munich.locator("td.num").nth(1)).to_have_text("10")  # MUG-1 (SKUs sorted)
    expect(page.locator("#candidate-wh-berlin")).to_contain_text("fulfils now")
    expect(page.locator("#confirm-reroute")).to_have_count(0)  # nothing previewed yet
    page.get_by_label(re.compile(r"wh-berlin - Berlin warehouse")).check()
    page.fill("#id_reason", "Berlin reported water damage in aisle 4")
    page.click("input[type=submit][value='Preview']")
    expect(page.locator("#plan-after")).to_contain_text("wh-munich")
    expect(page.locator("#plan-now")).to_contain_text("wh-berlin")
    expect(
        page.locator('#reroute-preview svg [data-code="wh-munich"][data-status="chosen"]')
    ).to_have_count(1)
    _shot(page, "reroute_preview")
    page.click("#confirm-reroute")
    expect(page.locator(".messagelist")).to_contain_text("Rerouted the order, excluding wh-berlin")
    expect(page.locator("#timeline")).to_contain_text(
        "Reason: Berlin reported water damage in aisle 4"
    )
    expect(
        page.locator('#routing-map svg [data-code="wh-munich"][data-status="chosen"]')
    ).to_have_count(1)

    # The SKU's stock page, from the product list.
    page.goto(f"{live_server.url}/admin/inventory/product/?q=SHIRT-M")
    page.locator("#result_list a.stock-link").first.click()
    expect(page.locator("h1")).to_contain_text("Stock of SHIRT-M")
    munich_row = page.locator("#stock-wh-munich")
    expect(munich_row.locator("td.reserved")).to_have_text("2")  # the rerouted order
    expect(munich_row.locator("td.atp")).to_have_text("8")
    expect(page.locator("#channel-web-de td.atp")).to_have_text("28")
    expect(page.locator("#stock-movements")).to_contain_text("Reservation")
    expect(page.locator("#count-form")).to_have_count(0)  # agents read stock, not change it
    _shot(page, "sku_stock_page")

    # The draft strategy: simulate a past order, then read the replay summary.
    page.goto(f"{live_server.url}/admin/routing/strategyversion/")
    expect(page.locator("#built-in-default")).to_contain_text("default v1 (built-in)")
    page.locator("#result_list tbody tr", has_text="Draft").get_by_role("link").first.click()
    page.click("#try-strategy")
    page.fill("#id_past-reference", "web-de/WEB-1001")
    page.click("input[type=submit][value='Simulate past order']")
    expect(page.locator("#trial-plan")).to_contain_text("wh-munich")
    expect(
        page.locator('#trial-result svg [data-code="wh-munich"][data-status="chosen"]')
    ).to_have_count(1)
    _shot(page, "strategy_try_past_order")
    page.fill("#id_replay_orders", "50")
    page.click("input[type=submit][value='Replay']")
    summary = page.locator("#replay-summary")
    expect(summary.locator("tr.changed")).to_contain_text("1 of 1")
    expect(summary).to_contain_text("web v1 (active)")
    expect(page.locator("#activate-version")).to_have_count(0)  # a manager's decision
    _shot(page, "strategy_try_and_replay")
    page.close()

    # The manager reads the same summary on the confirmation page, then activates.
    page = _login(browser, live_server, "maria")
    draft = StrategyVersion.objects.get(number=2)
    page.goto(f"{live_server.url}/admin/routing/strategyversion/{draft.pk}/try/")
    page.click("#activate-version")
    confirm = page.locator(f"#activate-summary-{draft.pk}")
    expect(confirm.locator("tr.changed")).to_contain_text("1 of 1")
    expect(confirm.locator("tr.distance")).to_be_visible()
    _shot(page, "strategy_activation_confirmation")
    page.click("#confirm-activate")
    expect(page.locator(".messagelist")).to_contain_text(
        re.compile("web v2 is now active; retired v1.", re.IGNORECASE)
    )
    assert StrategyVersion.objects.get(number=2).status == "active"
