"""The returns flow in a real browser: staff create a return for a shipped order from its
page, approve it, receive it at a store, inspect it (restock), preview and issue the refund,
and see it all on the order page; the restocked unit is available at the store at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User

from inventory.selectors import atp_by_location, stock_ledger_mismatches
from orders.payments.models import Refund
from returns.models import ReturnRequest, ReturnState
from tests.browser.support import BROWSER_MARKS, log_in
from tests.factories import ChannelFactory, level_of
from tests.payments_helpers import returns_network, shipped_order

PASSWORD = "returns-pass-123"
SCREENSHOT = Path("/tmp/return_page.png")
ORDER_SCREENSHOT = Path("/tmp/order_page_returns.png")

pytestmark = BROWSER_MARKS

PERMISSIONS = [
    ("orders", "view_order"),
    ("orders", "issue_refund"),
    ("returns", "view_returnrequest"),
    ("returns", "add_returnrequest"),
    ("returns", "transition_return"),
    ("returns", "inspect_return"),
]


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    net = returns_network(ChannelFactory(code="web-de", name="Web shop DE"))
    net.order = shipped_order(net, ("SHIRT", 2, "20.00"), customer_email="eva@example.com")
    user = User.objects.create_user("bea", password=PASSWORD, is_staff=True)
    for app, codename in PERMISSIONS:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return net


def test_staff_return_to_store_inspect_restock_refund_and_see_it_on_the_order(
    live_server, world, browser_page
):
    from playwright.sync_api import expect

    page = browser_page
    net = world
    order_url = f"/admin/orders/order/{net.order.pk}/change/"
    log_in(page, live_server, "bea", PASSWORD, order_url)

    # The order page: shipped, two units returnable, a button to create a return.
    returns = page.locator("#returns")
    expect(returns).to_contain_text("2 unit(s) can still be returned.")
    page.click("#create-return")

    # The create form: one unit of line 1, damaged, coming back to the store.
    expect(page.locator("h1")).to_have_text(
        f"Create a return for order {net.order.external_reference}"
    )
    page.fill("input[name=quantity_1]", "1")
    page.select_option("select[name=reason_1]", "damaged")
    page.select_option(
        "select[name=location]", label=f"{net.store.code} - {net.store.name} (store)"
    )
    page.click("input[type=submit][value='Create return']")
    ret = ReturnRequest.objects.get()
    expect(page.locator(".messagelist")).to_contain_text(f"Return #{ret.pk} created")
    expect(page.locator("#return-state")).to_have_text("Requested")
    # Only what the service would allow is offered; the rest says why not.
    expect(page.locator("#steps button[data-step=receive]")).to_be_disabled()
    expect(page.locator("#steps .step-receive")).to_contain_text("Only when the return is approved")

    page.click("input[data-step=approve]")
    expect(page.locator(".messagelist")).to_contain_text(f"Return #{ret.pk} approved.")
    expect(page.locator("#return-state")).to_have_text("Approved")

    # Received at the store (the parcel reference is what the counter scans).
    page.fill("input[name=receive-parcel_reference]", "PARCEL-77")
    page.click("input[data-step=receive]")
    expect(page.locator(".messagelist")).to_contain_text(
        f"received at {net.store.code} (parcel PARCEL-77)"
    )
    expect(page.locator("#return-state")).to_have_text("Received")

    # Inspection form on the line: as new, restock.
    line = page.locator("#return-line-1")
    expect(line.locator("input[name=line-1-quantity]")).to_have_value("1")
    line.locator("select[name=line-1-condition]").select_option("new")
    line.locator("select[name=line-1-disposition]").select_option("restock")
    page.click("#inspect-submit")
    expect(page.locator(".messagelist")).to_contain_text("1 unit(s) new, restock")
    expect(page.locator("#return-state")).to_have_text("Inspected")
    expect(line.locator("td.inspected")).to_have_text("1")

    # The preview, then the refund of exactly that.
    expect(page.locator("#preview-goods")).to_have_text("20.00 EUR")
    expect(page.locator("#preview-total")).to_have_text("20.00 EUR")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.click("#issue-refund")
    expect(page.locator(".messagelist")).to_contain_text(
        f"Refund of 20.00 EUR for return #{ret.pk} issued"
    )
    expect(page.locator("#return-state")).to_have_text("Closed")
    expect(page.locator("#return-refunds")).to_contain_text("20.00 EUR")
    expect(page.locator("#timeline")).to_contain_text(f"Return #{ret.pk} inspected")

    # The order page shows the return and its refund.
    page.click("#order-link")
    row = page.locator(f"#return-{ret.pk}")
    expect(row).to_contain_text("Closed")
    expect(row.locator("td.return-refunds")).to_contain_text("20.00 EUR")
    expect(page.locator("#refunds")).to_contain_text(f"return:{ret.pk}")
    expect(page.locator("#returns")).to_contain_text("1 unit(s) can still be returned.")
    expect(page.locator("#timeline")).to_contain_text(f"Return #{ret.pk} closed")
    page.screenshot(path=str(ORDER_SCREENSHOT), full_page=True)

    # What the browser showed is what the database holds; the unit is sellable at the store.
    ret.refresh_from_db()
    assert (ret.state, ret.location_id, ret.created_by) == (
        ReturnState.CLOSED,
        net.store.pk,
        "user:bea",
    )
    assert Refund.objects.get().amount == 20
    assert level_of(net.store, net.shirt).on_hand == 1
    assert atp_by_location(location_ids=[net.store.pk], product_ids=[net.shirt.pk]) == {
        net.store.pk: {net.shirt.pk: 1}
    }
    assert stock_ledger_mismatches() == []
