"""The returns console, list and creation: filters and search, the staff "create return" form
(returnable quantity, window, permission, audit) and the order page's returns section."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from oms.models import Channel
from orders.models import Fulfilment
from returns import services
from returns.models import ReturnPolicy, ReturnRequest, ReturnState
from returns.services import ReturnLineInput
from tests.factories import ChannelFactory, LocationFactory
from tests.payments_helpers import returns_network, shipped_order

pytestmark = pytest.mark.django_db


def staff(client: Client, *perms: str) -> Client:
    user = User.objects.create_user("anna", password="pw-123456", is_staff=True)
    codenames = ["view_returnrequest", "view_order", *perms]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def world(channel):  # type: ignore[no-untyped-def]
    net = returns_network(channel)
    order = shipped_order(net, ("SHIRT", 2, "20.00"), customer_email="eva@example.com")
    ret = services.return_create(
        order_id=order.pk,
        lines=[ReturnLineInput(line_number=1, quantity=1, reason="damaged")],
        actor="shop",
        created_via="api",
        tracking_number="RET-TRACK-1",
    )
    return net, order, ret


def _listed(client: Client, query: dict) -> bool:  # type: ignore[type-arg]
    page = client.get(reverse("admin:returns_returnrequest_changelist"), query)
    assert page.status_code == 200
    return "RET-TRACK-1" in page.content.decode()


def test_list_filters_and_search(client, world):  # type: ignore[no-untyped-def]
    net, order, ret = world
    c = staff(client)
    other = ChannelFactory(code="other")
    assert _listed(c, {"q": "eva@example.com"})
    assert _listed(c, {"q": order.external_reference})
    assert _listed(c, {"q": "RET-TRACK-1"})
    assert not _listed(c, {"q": "nobody@example.com"})
    assert _listed(c, {"state__exact": "requested"})
    assert not _listed(c, {"state__exact": "received"})
    assert _listed(c, {"channel__id__exact": net.channel.pk})
    assert not _listed(c, {"channel__id__exact": other.pk})
    assert _listed(c, {"lines__reason__id__exact": ret.lines.get().reason_id})
    assert not _listed(c, {"age": "7"})
    ReturnRequest.objects.filter(pk=ret.pk).update(created_at=ret.created_at - timedelta(days=8))
    assert _listed(c, {"age": "7"})
    services.return_approve(return_id=ret.pk, actor="user:anna")
    services.return_receive(return_id=ret.pk, parcel_reference="P", location=net.store, actor="s")
    assert _listed(c, {"location__id__exact": net.store.pk})
    assert not _listed(c, {"location__id__exact": net.berlin.pk})


def _create(client: Client, order, **data):  # type: ignore[no-untyped-def]
    body = {"resolution": "refund", "location": "", "tracking_number": "", "customer_note": ""}
    body.update({k: str(v) for k, v in data.items()})
    return client.post(reverse("admin:returns_returnrequest_create", args=[order.pk]), body)


def test_staff_create_a_return_within_the_returnable_quantity(client, world):  # type: ignore[no-untyped-def]
    net, order, ret = world  # one of the two units is already in a return
    c = staff(client, "add_returnrequest")
    form = c.get(reverse("admin:returns_returnrequest_create", args=[order.pk]))
    assert form.status_code == 200
    assert 'name="quantity_1"' in form.content.decode()

    too_many = _create(c, order, quantity_1=2, reason_1="damaged")
    assert too_many.status_code == 200  # the form again, with the error
    assert "less than or equal to 1" in too_many.content.decode()
    nothing = _create(c, order, quantity_1=0, reason_1="damaged")
    assert "Choose at least one unit" in nothing.content.decode()
    assert ReturnRequest.objects.count() == 1

    done = _create(c, order, quantity_1=1, reason_1="wrong_size", location=net.store.pk)
    new = ReturnRequest.objects.exclude(pk=ret.pk).get()
    assert done.status_code == 302
    assert done["Location"] == reverse("admin:returns_returnrequest_change", args=[new.pk])
    assert (new.created_via, new.created_by) == ("staff", "user:anna")
    assert new.location_id == net.store.pk
    assert new.lines.get().reason.code == "wrong_size"
    event = order.events.get(type="return_requested", data__return_id=new.pk)
    assert event.actor == "user:anna"
    assert LogEntry.objects.filter(object_id=str(new.pk), action_flag=ADDITION).exists()

    # Nothing is returnable any more: the form is not offered, the order page says why.
    again = c.get(reverse("admin:returns_returnrequest_create", args=[order.pk]), follow=True)
    assert any("can be returned" in m for m in messages_of(again))


def test_create_after_the_window_is_refused_in_words(client, world):  # type: ignore[no-untyped-def]
    net, order, _ = world
    ReturnPolicy.objects.create(channel=net.channel, window_days=1)
    Fulfilment.objects.filter(order=order).update(updated_at=order.placed_at - timedelta(days=5))
    c = staff(client, "add_returnrequest")
    response = _create(c, order, quantity_1=1, reason_1="damaged")
    page = response.content.decode()
    assert response.status_code == 200
    assert "return window for this line has closed" in page
    assert "return_window_closed" not in page  # words, not codes
    assert ReturnRequest.objects.count() == 1


def test_create_needs_the_permission_and_a_shipped_order(client, world, channel):  # type: ignore[no-untyped-def]
    net, order, _ = world
    c = staff(client)
    assert c.get(reverse("admin:returns_returnrequest_create", args=[order.pk])).status_code == 403
    assert _create(c, order, quantity_1=1, reason_1="damaged").status_code == 403
    page = c.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'id="create-return"' not in page


def test_create_offers_only_stores_that_take_returns_for_the_channel(client, world):  # type: ignore[no-untyped-def]
    net, order, _ = world
    elsewhere = LocationFactory(code="store-x", accepts_returns=True, channels=[ChannelFactory()])
    c = staff(client, "add_returnrequest")
    page = c.get(reverse("admin:returns_returnrequest_create", args=[order.pk])).content.decode()
    assert net.store.code in page and elsewhere.code not in page
    assert net.berlin.code not in page or net.berlin.accepts_returns
    refused = _create(c, order, quantity_1=1, reason_1="damaged", location=elsewhere.pk)
    assert "Select a valid choice" in refused.content.decode()


def test_order_page_shows_returns_refunds_and_what_is_owed(client, world):  # type: ignore[no-untyped-def]
    net, order, ret = world
    services.return_approve(return_id=ret.pk, actor="user:anna")
    services.return_receive(return_id=ret.pk, parcel_reference="P", location=net.store, actor="s")
    c = staff(client, "add_returnrequest")
    url = reverse("admin:orders_order_change", args=[order.pk])
    page = c.get(url).content.decode()
    assert 'id="returns"' in page and f'id="return-{ret.pk}"' in page
    assert 'id="owed-for-returns">20.00 EUR' in page  # received, not yet refunded
    assert 'id="create-return"' in page  # one unit is still returnable
    assert "1 unit(s) can still be returned" in page
    # The timeline says it in words.
    assert f"Return #{ret.pk}: parcel P received at {net.store.code}" in page

    services.return_refund(return_id=ret.pk, actor="user:anna")
    page = c.get(url).content.decode()
    assert 'id="owed-for-returns"' not in page
    assert f"return:{ret.pk}" in page  # the refund, in the payments section
    assert "20.00 EUR requested" in page  # on the return's row
    assert 'class="owed">20.00 EUR' in page  # still owed: requested, not yet confirmed


def test_channel_filter_lists_every_channel_with_returns(client, world):  # type: ignore[no-untyped-def]
    c = staff(client)
    page = c.get(reverse("admin:returns_returnrequest_changelist")).content.decode()
    for channel in Channel.objects.all():
        assert channel.name in page
    assert ReturnState.REQUESTED.label in page


def test_order_page_queries_do_not_grow_with_its_returns(client, channel):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    net = returns_network(channel)
    order = shipped_order(net, ("SHIRT", 4, "20.00"), ("MUG", 4, "5.00"))
    c = staff(client, "add_returnrequest")
    url = reverse("admin:orders_order_change", args=[order.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert c.get(url).status_code == 200
        return len(queries)

    def request(line: int) -> None:
        services.return_create(
            order_id=order.pk,
            lines=[ReturnLineInput(line_number=line, quantity=1, reason="damaged")],
            actor="shop",
            created_via="api",
        )

    request(1)
    one = count()
    for line in (1, 2, 2):
        request(line)
    assert count() == one
