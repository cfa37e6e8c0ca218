"""The return page: steps offered only where the service allows them (disabled with the
reason otherwise, by the same rule), an inspection form per line, the refund preview and
issuing exactly what was previewed, refusals in words, the timeline."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import StockLevel
from inventory.selectors import atp_by_location, stock_ledger_mismatches
from orders.payments.models import Refund
from returns import services
from returns.models import ReturnRequest, ReturnState
from returns.rules import STEPS, step_refusal
from returns.services import ReturnLineInput
from tests.factories import level_of
from tests.integration.test_returns_admin import messages_of, staff
from tests.payments_helpers import returns_network, shipped_order

pytestmark = pytest.mark.django_db

ALL = ("transition_return", "inspect_return", "issue_refund")


@pytest.fixture
def world(channel):  # type: ignore[no-untyped-def]
    net = returns_network(channel)
    order = shipped_order(net, ("SHIRT", 2, "20.00"), customer_email="eva@example.com")
    ret = services.return_create(
        order_id=order.pk,
        lines=[ReturnLineInput(line_number=1, quantity=2, reason="damaged")],
        actor="shop",
        created_via="api",
    )
    return net, order, ret


def page(client: Client, ret: ReturnRequest, query: str = "") -> str:
    response = client.get(reverse("admin:returns_returnrequest_change", args=[ret.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def step(client: Client, ret: ReturnRequest, name: str, state: str | None = None, **data):  # type: ignore[no-untyped-def]
    body = {f"{name}-state": state or ret.state, **{f"{name}-{k}": v for k, v in data.items()}}
    return client.post(
        reverse("admin:returns_returnrequest_step", args=[ret.pk, name]), body, follow=True
    )


def enabled_steps(html: str) -> set[str]:
    return set(re.findall(r'type="submit" value="[^"]*" data-step="(\w+)"', html))


def disabled_steps(html: str) -> set[str]:
    return set(re.findall(r'<button type="button" disabled data-step="(\w+)"', html))


def test_buttons_follow_the_rule_the_service_enforces(client, world):  # type: ignore[no-untyped-def]
    net, order, ret = world
    c = staff(client, *ALL)
    html = page(c, ret)
    assert enabled_steps(html) == {"approve", "reject", "cancel"}
    assert disabled_steps(html) == {"ship_back", "receive", "close"}
    assert (
        "Only when the return is approved or in transit or partially received; it is requested."
        in html
    )
    # The rule is the service's: every step the page disables is refused by the service.
    for name in disabled_steps(html):
        assert step_refusal(ret, name) is not None
    for name in enabled_steps(html):
        assert step_refusal(ret, name) is None
    assert "Inspection: Only when the return is received or partially received" in html
    assert "Nothing is left to refund" not in html  # the refusal says the state, first
    assert STEPS["refund"].label in html


def test_without_permission_every_button_is_disabled_and_posts_are_forbidden(client, world):  # type: ignore[no-untyped-def]
    _, _, ret = world
    c = staff(client)
    html = page(c, ret)
    assert enabled_steps(html) == set()
    assert "You lack the permission (returns.transition_return)." in html
    assert step(c, ret, "approve").status_code == 403
    ret.refresh_from_db()
    assert ret.state == ReturnState.REQUESTED


def test_a_step_on_a_return_that_changed_meanwhile_is_refused(client, world):  # type: ignore[no-untyped-def]
    _, _, ret = world
    c = staff(client, *ALL)
    services.return_approve(return_id=ret.pk, actor="shop")  # someone else, meanwhile
    response = step(c, ret, "reject", state="requested", reason="too late")
    assert any("changed since you opened the page" in m for m in messages_of(response))
    ret.refresh_from_db()
    assert ret.state == ReturnState.APPROVED


def test_refusals_are_words_not_codes(client, world):  # type: ignore[no-untyped-def]
    net, _, ret = world
    c = staff(client, *ALL)
    step(c, ret, "approve")
    # A stale page offers "approve" again: the service refuses; the message is in words.
    response = step(c, ret, "approve", state="approved")
    text = " ".join(messages_of(response))
    assert "was not approved" in text
    assert "not allowed in the return's current state" in text
    assert "return_transition_not_allowed" not in text
    missing = step(c, ret, "reject", state="approved")
    assert any("was not rejected" in m for m in messages_of(missing))


def test_receive_inspect_per_line_and_refund_what_was_previewed(client, world):  # type: ignore[no-untyped-def]
    net, order, ret = world
    c = staff(client, *ALL)
    assert not StockLevel.objects.filter(location=net.store, product=net.shirt).exists()
    assert "Return #" in " ".join(messages_of(step(c, ret, "approve")))
    ret.refresh_from_db()
    received = step(c, ret, "receive", location=net.store.pk, parcel_reference="PARCEL-1", line_1=2)
    assert any(f"received at {net.store.code}" in m for m in messages_of(received))
    ret.refresh_from_db()
    assert ret.state == ReturnState.RECEIVED

    html = page(c, ret)
    assert 'name="line-1-quantity"' in html and 'name="line-1-disposition"' in html
    inspect_url = reverse("admin:returns_returnrequest_inspect", args=[ret.pk])
    too_many = c.post(
        inspect_url,
        {
            "line-1-line_number": 1,
            "line-1-quantity": 3,
            "line-1-condition": "new",
            "line-1-disposition": "restock",
        },
        follow=True,
    )
    assert any("was not inspected" in m for m in messages_of(too_many))
    for disposition in ("restock", "write_off"):
        c.post(
            inspect_url,
            {
                "line-1-line_number": 1,
                "line-1-quantity": 1,
                "line-1-condition": "new",
                "line-1-disposition": disposition,
            },
        )
    ret.refresh_from_db()
    assert ret.state == ReturnState.INSPECTED
    # Restocked at the store that received it, available at once; the write-off is not.
    assert level_of(net.store, net.shirt).on_hand == 1
    assert atp_by_location(location_ids=[net.store.pk], product_ids=[net.shirt.pk]) == {
        net.store.pk: {net.shirt.pk: 1}
    }
    assert stock_ledger_mismatches() == []

    html = page(c, ret)
    assert 'id="preview-total"><strong>40.00 EUR' in html
    assert "Issue refund of 40.00 EUR" in html
    refund_url = reverse("admin:returns_returnrequest_refund", args=[ret.pk])
    body = {
        "refund-state": "inspected",
        "refund-expected_total": "30.00",
        "refund-adjustment": "0",
        "refund-adjustment_reason": "",
    }
    stale = c.post(refund_url, body, follow=True)
    assert any("changed since it was previewed" in m for m in messages_of(stale))
    assert not Refund.objects.exists()

    body["refund-expected_total"] = "40.00"
    done = c.post(refund_url, body, follow=True)
    assert any("Refund of 40.00 EUR for return" in m for m in messages_of(done))
    assert Refund.objects.get().amount == Decimal("40.00")
    ret.refresh_from_db()
    assert ret.state == ReturnState.CLOSED
    html = page(c, ret)
    assert disabled_steps(html) >= {"approve", "receive", "close", "cancel"}
    assert "Issue refund of" not in html
    # The timeline, in words, with the refund.
    assert "parcel PARCEL-1 received at" in html
    assert "line 1 SHIRT" in html and "write off" in html
    assert "Refund #" in html and "requested" in html


def test_adjusted_preview_then_issue_with_the_reason(client, world):  # type: ignore[no-untyped-def]
    net, order, ret = world
    services.return_approve(return_id=ret.pk, actor="shop")
    services.return_receive(return_id=ret.pk, parcel_reference="P", location=net.store, actor="s")
    c = staff(client, *ALL)
    html = page(c, ret, "?adjustment=-5.00&adjustment_reason=scratched+box")
    assert 'id="preview-total"><strong>35.00 EUR' in html
    assert "adjustment (scratched box)" in html
    no_reason = page(c, ret, "?adjustment=-5.00&adjustment_reason=")
    assert "Adjustment:" in no_reason and 'id="preview-total"><strong>40.00 EUR' in no_reason
    c.post(
        reverse("admin:returns_returnrequest_refund", args=[ret.pk]),
        {
            "refund-state": "received",
            "refund-expected_total": "35.00",
            "refund-adjustment": "-5.00",
            "refund-adjustment_reason": "scratched box",
        },
    )
    assert Refund.objects.get().amount == Decimal("35.00")
    assert order.events.filter(type="return_refund_adjusted", actor="user:anna").exists()


def test_refund_refused_above_what_the_payments_can_refund(client, world):  # type: ignore[no-untyped-def]
    net, order, ret = world
    services.return_approve(return_id=ret.pk, actor="shop")
    services.return_receive(return_id=ret.pk, parcel_reference="P", location=net.store, actor="s")
    c = staff(client, *ALL)
    html = page(c, ret, "?adjustment=500&adjustment_reason=goodwill")
    assert "The payments can refund only 40.00 EUR" in html
    assert "Issue refund of" not in html
    response = c.post(
        reverse("admin:returns_returnrequest_refund", args=[ret.pk]),
        {
            "refund-state": "received",
            "refund-expected_total": "540.00",
            "refund-adjustment": "500",
            "refund-adjustment_reason": "goodwill",
        },
        follow=True,
    )
    text = " ".join(messages_of(response))
    assert "was not refunded" in text and "refund_exceeds_captured" not in text
    assert not Refund.objects.exists()


def test_bulk_approve_uses_the_same_steps(client, world):  # type: ignore[no-untyped-def]
    _, _, ret = world
    c = staff(client, *ALL)
    response = c.post(
        reverse("admin:returns_returnrequest_changelist"),
        {"action": "approve_selected", "_selected_action": [ret.pk]},
        follow=True,
    )
    assert any(f"Return #{ret.pk} approved" in m for m in messages_of(response))
    ret.refresh_from_db()
    assert ret.state == ReturnState.APPROVED


def test_quality_hold_released_from_the_return_page(client, world):  # type: ignore[no-untyped-def]
    from returns.models import QualityHold

    net, order, ret = world
    services.return_approve(return_id=ret.pk, actor="shop")
    services.return_receive(return_id=ret.pk, parcel_reference="P", location=net.store, actor="s")
    c = staff(client, *ALL)
    c.post(
        reverse("admin:returns_returnrequest_inspect", args=[ret.pk]),
        {
            "line-1-line_number": 1,
            "line-1-quantity": 2,
            "line-1-condition": "opened",
            "line-1-disposition": "quality_control",
        },
    )
    hold = QualityHold.objects.get()
    html = page(c, ret)
    assert f'id="hold-{hold.pk}"' in html and 'data-hold="release"' in html

    def atp() -> int:
        return (
            atp_by_location(location_ids=[net.store.pk], product_ids=[net.shirt.pk])
            .get(net.store.pk, {})
            .get(net.shirt.pk, 0)
        )

    assert atp() == 0  # held back
    url = reverse("admin:returns_returnrequest_hold", args=[ret.pk, hold.pk, "release"])
    done = c.post(url, follow=True)
    assert any("released to sellable stock" in m for m in messages_of(done))
    assert atp() == 2
    again = c.post(url, follow=True)
    text = " ".join(messages_of(again))
    assert "was not released" in text and "quality_hold_decided" not in text
    assert atp() == 2
    assert stock_ledger_mismatches() == []


def test_a_partial_parcel_from_the_page(client, world):  # type: ignore[no-untyped-def]
    net, order, ret = world
    services.return_approve(return_id=ret.pk, actor="shop")
    ret.refresh_from_db()
    c = staff(client, *ALL)
    assert 'name="receive-line_1"' in page(c, ret)
    empty = step(c, ret, "receive", location=net.store.pk, parcel_reference="P0", line_1=0)
    assert any("Enter the units in this parcel" in m for m in messages_of(empty))
    step(c, ret, "receive", location=net.store.pk, parcel_reference="P1", line_1=1)
    ret.refresh_from_db()
    assert (ret.state, ret.lines.get().received_quantity) == (ReturnState.PARTIALLY_RECEIVED, 1)
    html = page(c, ret)
    assert 'name="receive-line_1" value="1"' in html  # the one still outstanding
    step(c, ret, "receive", location=net.store.pk, parcel_reference="P2", line_1=1)
    ret.refresh_from_db()
    assert ret.state == ReturnState.RECEIVED
    assert ret.receipts.count() == 2


def test_the_return_page_queries_do_not_grow_with_its_lines(client, world):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    net, small_order, small = world
    order = shipped_order(net, ("SHIRT", 2, "20.00"), ("MUG", 3, "5.00"))
    large = services.return_create(
        order_id=order.pk,
        lines=[
            ReturnLineInput(line_number=1, quantity=2, reason="damaged"),
            ReturnLineInput(line_number=2, quantity=3, reason="wrong_size"),
        ],
        actor="shop",
        created_via="api",
    )
    c = staff(client, *ALL)
    counts = []
    for ret in (small, large):
        services.return_approve(return_id=ret.pk, actor="shop")
        services.return_receive(
            return_id=ret.pk, parcel_reference="P", location=net.store, actor="s"
        )
        ret.refresh_from_db()
        page(c, ret)  # warm the session and permission caches alike
        with CaptureQueriesContext(connection) as queries:
            html = page(c, ret)
        assert html.count('name="line-') >= 4  # an inspection form per line
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 20
