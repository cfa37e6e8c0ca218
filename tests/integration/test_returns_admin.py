"""The returns console: list filters and search, the return page with its refund preview,
permission-guarded transitions with clear refusals, and the order page's money and returns."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from orders.payments.models import Refund
from returns import services
from returns.models import ReturnRequest, ReturnState
from returns.services import ReturnLineInput
from tests.payments_helpers import returns_network, shipped_order

pytestmark = pytest.mark.django_db


def _staff(client: Client, *perms: str) -> Client:
    user = User.objects.create_user("anna", password="pw-123456", is_staff=True)
    codenames = ["view_returnrequest", "view_order", *perms]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


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


def _act(client: Client, action: str, ret: ReturnRequest):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("admin:returns_returnrequest_changelist"),
        {"action": action, "_selected_action": [ret.pk]},
        follow=True,
    )


def test_list_filters_and_search(client, world):  # type: ignore[no-untyped-def]
    net, order, ret = world
    staff = _staff(client)
    url = reverse("admin:returns_returnrequest_changelist")
    for query in (
        {"state__exact": "requested"},
        {"q": "eva@example.com"},
        {"q": order.external_reference},
        {"age": "7"},
        {"lines__reason__id__exact": ret.lines.get().reason_id},
    ):
        response = staff.get(url, query)
        assert response.status_code == 200
    assert f">{ret.pk}<" in staff.get(url, {"q": "eva@example.com"}).content.decode()
    assert f">{ret.pk}<" not in staff.get(url, {"q": "nobody@example.com"}).content.decode()


def test_transitions_need_the_permission(client, world):  # type: ignore[no-untyped-def]
    _, _, ret = world
    staff = _staff(client)
    response = _act(staff, "approve", ret)
    assert any("permission" in str(m) for m in get_messages(response.wsgi_request))
    ret.refresh_from_db()
    assert ret.state == ReturnState.REQUESTED


def test_approve_then_refund_before_receipt_is_refused_clearly(client, world):  # type: ignore[no-untyped-def]
    net, order, ret = world
    staff = _staff(client, "transition_return", "issue_refund")
    _act(staff, "approve", ret)
    ret.refresh_from_db()
    assert ret.state == ReturnState.APPROVED
    response = _act(staff, "refund", ret)
    assert any(
        "return_transition_not_allowed" in str(m) for m in get_messages(response.wsgi_request)
    )
    assert not Refund.objects.exists()
    page = staff.get(reverse("admin:returns_returnrequest_change", args=[ret.pk])).content.decode()
    assert "refund-preview" in page
    assert "return_approved" in page


def test_order_page_shows_payments_refunds_and_returns(client, world):  # type: ignore[no-untyped-def]
    net, order, ret = world
    services.return_approve(return_id=ret.pk, actor="user:anna")
    services.return_receive(return_id=ret.pk, parcel_reference="P", location=net.store, actor="s")
    services.return_refund(return_id=ret.pk, actor="user:anna")
    staff = _staff(client)
    page = staff.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'id="payments"' in page and 'id="returns"' in page
    assert f"return:{ret.pk}" in page
    assert "40.00 EUR" in page  # still owed: the requested refund
