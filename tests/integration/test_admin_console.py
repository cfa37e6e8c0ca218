"""The staff console in the admin: list, order page, edit pages, fulfilment buttons.

Each edit goes through the service and lands in the order's timeline and the admin history;
missing permissions hide the button and answer 403; a stale version or a shipped fulfilment is
refused with a clear message and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from inventory.models import StockLevel
from orders import services
from orders.events import EventType
from orders.models import Fulfilment, FulfilmentState, Order, OrderState
from tests.console_data import CONSOLE_PERMISSIONS, ConsoleWorld, staff_user
from tests.factories import TRACKING, ProductFactory, stock

pytestmark = pytest.mark.django_db


def order_url(order: Order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def edit_url(order: Order, slug: str) -> str:
    return reverse("admin:orders_order_edit", args=[order.pk, slug])


def line_url(order: Order, line_number: int, slug: str) -> str:
    line = order.lines.get(line_number=line_number)
    return reverse("admin:orders_order_line_edit", args=[order.pk, line.pk, slug])


def fulfilment_url(fulfilment: Fulfilment) -> str:
    return reverse(
        "admin:orders_order_fulfilment_action", args=[fulfilment.order_id, fulfilment.pk]
    )


def texts(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def details_form(order: Order, **changes: object) -> dict[str, object]:
    address = order.shipping_address
    data: dict[str, object] = {
        "version": order.version,
        "customer_name": order.customer_name,
        "customer_email": order.customer_email,
        "customer_phone": order.customer_phone,
        **{k: address.get(k, "") for k in ("name", "street", "postal_code", "city", "country")},
        "latitude": address.get("latitude", ""),
        "longitude": address.get("longitude", ""),
    }
    data.update(changes)
    return data


def live_fulfilment(order: Order) -> Fulfilment:
    return order.fulfilments.exclude(
        state__in=[FulfilmentState.CANCELLED, FulfilmentState.REJECTED]
    ).get()


def reserved(world: ConsoleWorld, location, product) -> int:  # type: ignore[no-untyped-def]
    return StockLevel.objects.get(location=location, product=product).reserved


def event_types(order: Order) -> list[str]:
    return list(order.events.order_by("sequence").values_list("type", flat=True))


# --- List and order page --------------------------------------------------------------------


def test_list_searches_by_reference_email_and_name_and_filters(world, staff):
    stock(world.munich, ProductFactory(sku="CAP-1"), 5)  # only Munich has caps
    other = services.order_create(
        channel=world.channel,
        data=services.OrderInput(
            external_reference="WEB-2002",
            currency="EUR",
            customer_email="max@example.com",
            customer_name="Max Power",
            lines=(services.LineInput(sku="CAP-1", quantity=1, unit_price=Decimal("9")),),
            shipping_address={"country": "DE", "latitude": 48.1, "longitude": 11.6},
        ),
        actor="test",
    )
    changelist = reverse("admin:orders_order_changelist")
    for query in ("WEB-1001", "erika@example", "Mustermann"):
        page = staff.get(changelist, {"q": query}).content.decode()
        assert "WEB-1001" in page and "WEB-2002" not in page, query
    munich = staff.get(changelist, {"fulfilments__location__id__exact": world.munich.pk})
    assert "WEB-2002" in munich.content.decode() and "WEB-1001" not in munich.content.decode()
    assert other.fulfilments.get().location == world.munich
    routed = staff.get(changelist, {"state__exact": "routed", "delivery_type__exact": "ship"})
    page = routed.content.decode()
    assert "WEB-1001" in page and "wh-berlin" in page and "Erika Mustermann" in page


def test_order_page_shows_lines_fulfilments_timeline_and_routing(
    world, staff, django_assert_max_num_queries
):
    # One query per section, whatever the order's size: session, user, order, lines,
    # fulfilments (+ lines), events, decisions, 2 x permissions, payments (+ transactions),
    # refunds, returns, returned units per line, customer e-mails, the routing map's locations.
    with django_assert_max_num_queries(17):
        response = staff.get(order_url(world.order))
    page = response.content.decode()
    assert response.status_code == 200
    for expected in (
        "SHIRT-M",
        "MUG-1",
        "wh-berlin",
        "Street A 1",
        "Order placed: line 1 SHIRT-M × 2, line 2 MUG-1 × 1",
        "Fulfilment #",
        "Routing at intake",
        "fulfils all 3 units alone",  # the planner's 'why' sentence
        "does not offer shipping",  # the store's fence (its code only as a tooltip)
        "✓ chosen",
    ):
        assert expected in page, expected
    # A new fulfilment can only be accepted or rejected; later steps are not offered.
    assert 'data-action="accept"' in page and 'data-action="reject"' in page
    for later in ("start_picking", "pack", "ship", "ready_for_pickup", "picked_up"):
        assert f'data-action="{later}"' not in page


def test_only_allowed_transitions_are_offered_as_the_fulfilment_moves(world, staff):
    fulfilment = live_fulfilment(world.order)
    staff.post(fulfilment_url(fulfilment), {"action": "accept", "state": "created"})
    page = staff.get(order_url(world.order)).content.decode()
    assert {"start_picking", "pack", "reject"} == {
        a
        for a in ("accept", "start_picking", "pack", "ship", "reject")
        if f'data-action="{a}"' in page
    }
    # The others are shown disabled, with when they become possible.
    assert 'data-disabled-action="ship" aria-disabled="true" title="Only when packed."' in page
    staff.post(fulfilment_url(fulfilment), {"action": "pack", "state": "accepted"})
    page = staff.get(order_url(world.order)).content.decode()
    assert 'data-action="ship"' in page and 'name="tracking_number"' in page
    assert 'data-action="ready_for_pickup"' not in page  # a ship-to-address order
    assert 'data-action="reject"' not in page


# --- Edits ------------------------------------------------------------------------------------


def test_change_address_and_customer(world, staff):
    order = world.order
    response = staff.post(
        edit_url(order, "details"),
        details_form(order, street="Street B 2", customer_phone="+49 30 123"),
    )
    assert response.status_code == 302 and response.url == order_url(order)
    order.refresh_from_db()
    assert order.shipping_address["street"] == "Street B 2"
    assert order.shipping_address["latitude"] == 52.53  # untouched fields stay as they were
    assert order.customer_phone == "+49 30 123"
    assert order.version == 2
    assert live_fulfilment(order).location == world.berlin  # a new street does not reroute
    changed = order.events.get(type=EventType.ADDRESS_CHANGED)
    assert changed.actor == "user:alice"
    assert changed.data["before"]["street"] == "Street A 1"
    assert changed.data["after"]["street"] == "Street B 2"
    assert order.events.filter(type=EventType.CUSTOMER_CHANGED).exists()
    assert LogEntry.objects.filter(object_id=str(order.pk)).count() == 1
    page = staff.get(order_url(order)).content.decode()
    assert "Shipping address changed: street: Street A 1 → Street B 2" in page
    assert "Customer details changed: phone: (empty) → +49 30 123" in page


def test_unchanged_details_change_nothing(world, staff):
    response = staff.post(edit_url(world.order, "details"), details_form(world.order), follow=True)
    assert "Nothing changed." in texts(response)
    world.order.refresh_from_db()
    assert world.order.version == 1


def test_invalid_form_shows_errors_and_changes_nothing(world, staff):
    response = staff.post(edit_url(world.order, "details"), details_form(world.order, country=""))
    assert response.status_code == 200
    assert "Orders shipped to an address need a country." in response.content.decode()
    world.order.refresh_from_db()
    assert world.order.version == 1


def test_switch_to_click_and_collect_reroutes_to_the_store(world, staff):
    response = staff.post(
        edit_url(world.order, "delivery"),
        {
            "version": 1,
            "delivery_type": "click_collect",
            "pickup_location": world.store.code,
        },
        follow=True,
    )
    assert any("click & collect at store-hamburg" in m for m in texts(response))
    order = Order.objects.get(pk=world.order.pk)
    assert order.delivery_type == "click_collect" and order.pickup_location == world.store
    assert live_fulfilment(order).location == world.store
    assert reserved(world, world.berlin, world.shirt) == 0
    assert "Delivery option changed: ship to address → click &amp; collect at store-hamburg" in (
        response.content.decode()
    )


def test_reduce_line_quantity_releases_stock(world, staff):
    assert reserved(world, world.berlin, world.shirt) == 2
    response = staff.post(line_url(world.order, 1, "quantity"), {"version": 1, "quantity": 1})
    assert response.status_code == 302
    line = world.order.lines.get(line_number=1)
    assert (line.quantity, line.cancelled_quantity) == (2, 1)
    assert reserved(world, world.berlin, world.shirt) == 1
    assert world.order.events.get(type=EventType.LINE_QUANTITY_CHANGED).data["after"] == 1


def test_raise_line_quantity_beyond_stock_is_refused(world, staff):
    response = staff.post(
        line_url(world.order, 1, "quantity"), {"version": 1, "quantity": 500}, follow=True
    )
    shown = texts(response)
    assert any("SHIRT-M: 498 unit(s) missing" in m for m in shown), shown
    assert not any("out_of_stock" in m for m in shown)
    line = world.order.lines.get(line_number=1)
    assert line.quantity == 2
    world.order.refresh_from_db()
    assert world.order.version == 1


def test_cancel_line_releases_its_stock(world, staff):
    response = staff.post(
        line_url(world.order, 2, "cancel-line"), {"version": 1, "reason": "customer asked"}
    )
    assert response.status_code == 302
    line = world.order.lines.get(line_number=2)
    assert line.open_quantity == 0 and line.cancelled_quantity == 1
    assert reserved(world, world.berlin, world.mug) == 0
    assert reserved(world, world.berlin, world.shirt) == 2
    event = world.order.events.get(type=EventType.LINE_CANCELLED)
    assert event.data == {"line": 2, "sku": "MUG-1", "quantity": 1, "reason": "customer asked"}
    page = staff.get(order_url(world.order)).content.decode()
    assert "Line 2 (MUG-1): 1 unit(s) cancelled (customer asked)" in page
    assert 'id="cancel-line-2"' not in page  # nothing left to cancel: disabled, with why
    assert 'title="Every unit of this line is already cancelled."' in page


def test_cancel_part_of_a_line(world, staff):
    staff.post(line_url(world.order, 1, "cancel-line"), {"version": 1, "quantity": 1})
    assert world.order.lines.get(line_number=1).open_quantity == 1
    response = staff.post(line_url(world.order, 1, "cancel-line"), {"version": 2, "quantity": 5})
    assert response.status_code == 200  # more than is open: a form error
    assert "less than or equal to 1" in response.content.decode()


def test_cancel_order_releases_everything(world, staff):
    response = staff.post(edit_url(world.order, "cancel"), {"version": 1, "reason": "fraud"})
    assert response.status_code == 302
    order = Order.objects.get(pk=world.order.pk)
    assert order.state == OrderState.CANCELLED and order.cancel_reason == "fraud"
    assert reserved(world, world.berlin, world.shirt) == 0
    assert reserved(world, world.berlin, world.mug) == 0
    page = staff.get(order_url(order)).content.decode()
    assert "Order cancelled: fraud" in page
    assert 'id="edit-cancel"' not in page and 'id="edit-reroute"' not in page  # closed now


def test_cancel_order_needs_a_reason(world, staff):
    response = staff.post(edit_url(world.order, "cancel"), {"version": 1, "reason": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()


def confirm_reroute(client, order, **data):  # type: ignore[no-untyped-def]
    """Preview, then confirm what was previewed (the page's two steps)."""
    data = {"version": order.version, "reason": "test", **data}
    preview = client.post(edit_url(order, "reroute"), data)
    assert preview.status_code == 200
    previewed = preview.context["previewed"]
    return client.post(
        edit_url(order, "reroute"), {**data, "previewed": previewed, "confirm": "1"}, follow=True
    )


def test_reroute_excluding_the_current_location(world, staff):
    response = confirm_reroute(staff, world.order, exclude_locations=[world.berlin.pk])
    assert "Rerouted the order, excluding wh-berlin. Reason: test" in texts(response)
    order = Order.objects.get(pk=world.order.pk)
    assert live_fulfilment(order).location == world.munich
    assert order.excluded_location_ids == [world.berlin.pk]
    assert reserved(world, world.berlin, world.shirt) == 0
    assert reserved(world, world.munich, world.shirt) == 2
    page = response.content.decode()
    assert "Rerouted by staff (excluding wh-berlin)" in page
    assert "Routing by staff" in page
    assert "excluded for this order (rejected or blacklisted)" in page  # the fence


def test_reroute_forcing_a_location(world, staff):
    confirm_reroute(staff, world.order, force_location=world.munich.pk)
    assert live_fulfilment(world.order).location == world.munich
    event = world.order.events.filter(type=EventType.REROUTED).first()
    assert event.data["forced"] == world.munich.pk


def test_reroute_that_cannot_hold_every_unit_changes_nothing(world, staff):
    data = {"version": 1, "reason": "x", "exclude_locations": [world.berlin.pk, world.munich.pk]}
    preview = staff.post(edit_url(world.order, "reroute"), data)
    assert 'id="plan-refused"' in preview.content.decode()
    assert 'id="confirm-reroute"' not in preview.content.decode()  # nothing to confirm
    response = staff.post(
        edit_url(world.order, "reroute"),
        {**data, "previewed": preview.context["previewed"], "confirm": "1"},
        follow=True,
    )
    shown = texts(response)
    assert any("cannot be routed" in m and "SHIRT-M" in m for m in shown), shown
    assert any("wh-berlin excluded for this order" in m for m in shown), shown
    assert not any("out_of_stock" in m for m in shown)
    assert live_fulfilment(world.order).location == world.berlin
    assert reserved(world, world.berlin, world.shirt) == 2
    world.order.refresh_from_db()
    assert world.order.version == 1


def test_internal_note_needs_only_view_permission(world, client):
    client.force_login(staff_user("viewer"))
    response = client.post(edit_url(world.order, "note"), {"text": "Customer called."})
    assert response.status_code == 302
    note = world.order.events.get(type=EventType.NOTE_ADDED)
    assert (note.actor, note.data) == ("user:viewer", {"text": "Customer called."})
    assert "Note: Customer called." in client.get(order_url(world.order)).content.decode()


# --- Fulfilment buttons -----------------------------------------------------------------------


def test_fulfilment_buttons_walk_to_shipped(world, staff):
    fulfilment = live_fulfilment(world.order)
    for action, state in (("accept", "created"), ("start_picking", "accepted")):
        staff.post(fulfilment_url(fulfilment), {"action": action, "state": state})
    staff.post(fulfilment_url(fulfilment), {"action": "pack", "state": "picking"})
    response = staff.post(
        fulfilment_url(fulfilment),
        {"action": "ship", "state": "packed", "carrier": "DHL", "tracking_number": "JJD001"},
        follow=True,
    )
    fulfilment.refresh_from_db()
    assert fulfilment.state == FulfilmentState.SHIPPED
    assert (fulfilment.carrier, fulfilment.tracking_number) == ("DHL", "JJD001")
    world.order.refresh_from_db()
    assert world.order.state == OrderState.COMPLETED
    page = response.content.decode()
    assert "shipped (carrier DHL, tracking JJD001)" in page
    assert LogEntry.objects.filter(object_id=str(world.order.pk)).count() == 4


def test_staff_cannot_ship_a_parcel_without_tracking(world, staff):
    fulfilment = live_fulfilment(world.order)
    services.fulfilment_transition(fulfilment_id=fulfilment.pk, action="accept", actor="loc")
    services.fulfilment_transition(fulfilment_id=fulfilment.pk, action="pack", actor="loc")

    response = staff.post(
        fulfilment_url(fulfilment),
        {"action": "ship", "state": "packed", "carrier": "DHL", "tracking_number": " "},
        follow=True,
    )

    shown = texts(response)
    assert any("needs the carrier and the tracking number" in m for m in shown), shown
    assert not any("tracking_required" in m for m in shown)
    fulfilment.refresh_from_db()
    assert fulfilment.state == FulfilmentState.PACKED


def test_staff_ship_keeps_the_tracking_url(world, staff):
    fulfilment = live_fulfilment(world.order)
    services.fulfilment_transition(fulfilment_id=fulfilment.pk, action="accept", actor="loc")
    services.fulfilment_transition(fulfilment_id=fulfilment.pk, action="pack", actor="loc")

    response = staff.post(
        fulfilment_url(fulfilment),
        {
            "action": "ship",
            "state": "packed",
            "carrier": "DHL",
            "tracking_number": "JJD002",
            "tracking_url": "https://track.example/JJD002",
        },
        follow=True,
    )

    fulfilment.refresh_from_db()
    assert fulfilment.state == FulfilmentState.SHIPPED
    assert fulfilment.tracking_url == "https://track.example/JJD002"
    assert 'href="https://track.example/JJD002"' in response.content.decode()


def test_reject_needs_a_reason_and_reroutes(world, staff):
    fulfilment = live_fulfilment(world.order)
    response = staff.post(
        fulfilment_url(fulfilment), {"action": "reject", "state": "created"}, follow=True
    )
    assert any("A rejection needs a reason." in m for m in texts(response))
    response = staff.post(
        fulfilment_url(fulfilment),
        {"action": "reject", "state": "created", "reason": "damaged"},
        follow=True,
    )
    fulfilment.refresh_from_db()
    assert fulfilment.state == FulfilmentState.REJECTED
    assert live_fulfilment(world.order).location == world.munich
    assert f"Fulfilment #{fulfilment.pk} rejected by wh-berlin: damaged" in (
        response.content.decode()
    )


def test_fulfilment_that_moved_on_is_not_touched(world, staff):
    fulfilment = live_fulfilment(world.order)
    services.fulfilment_transition(fulfilment_id=fulfilment.pk, action="accept", actor="loc")
    # The page was opened while it was still 'created': 'reject' would still be allowed now,
    # but the staff member decided on what they saw.
    response = staff.post(
        fulfilment_url(fulfilment),
        {"action": "reject", "state": "created", "reason": "no stock"},
        follow=True,
    )
    assert any("changed since you opened the page" in m for m in texts(response))
    fulfilment.refresh_from_db()
    assert fulfilment.state == FulfilmentState.ACCEPTED


def test_fulfilment_action_not_allowed_now_is_refused(world, staff):
    fulfilment = live_fulfilment(world.order)
    response = staff.post(
        fulfilment_url(fulfilment), {"action": "ship", "state": "created"}, follow=True
    )
    shown = texts(response)
    assert any("not allowed in the current state" in m for m in shown), shown
    assert not any("transition_not_allowed" in m for m in shown)
    fulfilment.refresh_from_db()
    assert fulfilment.state == FulfilmentState.CREATED


# --- Permissions ------------------------------------------------------------------------------

EDIT_PERMISSIONS = [
    ("details", None, "edit_order"),
    ("delivery", None, "edit_order"),
    ("quantity", 1, "edit_order"),
    ("cancel-line", 1, "cancel_order"),
    ("cancel", None, "cancel_order"),
    ("reroute", None, "reroute_order"),
]


@pytest.mark.parametrize(("slug", "line", "permission"), EDIT_PERMISSIONS)
def test_edit_without_its_permission_is_forbidden(world, client, slug, line, permission):
    others = [p for p in CONSOLE_PERMISSIONS if p != permission]
    client.force_login(staff_user("bob", *others))
    url = line_url(world.order, line, slug) if line else edit_url(world.order, slug)
    assert client.get(url).status_code == 403
    assert client.post(url, {"version": 1, "reason": "x", "quantity": 1}).status_code == 403
    assert world.order.events.count() == 3  # nothing written


def test_buttons_are_hidden_without_permissions(world, client):
    client.force_login(staff_user("viewer"))
    page = client.get(order_url(world.order)).content.decode()
    for hidden in ("edit-details", "edit-delivery", "edit-reroute", "edit-cancel", "cancel-line-1"):
        assert f'id="{hidden}"' not in page, hidden
    assert "data-action=" not in page
    assert 'id="edit-note"' in page  # notes need only the view permission
    fulfilment = live_fulfilment(world.order)
    response = client.post(fulfilment_url(fulfilment), {"action": "accept", "state": "created"})
    assert response.status_code == 403


def test_each_permission_shows_only_its_buttons(world, client):
    client.force_login(staff_user("carol", "reroute_order"))
    page = client.get(order_url(world.order)).content.decode()
    assert 'id="edit-reroute"' in page
    assert 'id="edit-details"' not in page and 'id="edit-cancel"' not in page


def test_staff_without_any_order_permission_cannot_see_orders(world, client):
    client.force_login(User.objects.create_user("dave", is_staff=True))
    assert client.get(order_url(world.order)).status_code == 403
    assert client.post(edit_url(world.order, "note"), {"text": "x"}).status_code == 403
    assert world.order.events.count() == 3


# --- Conflicts and refusals -------------------------------------------------------------------


def test_second_editor_gets_a_conflict_and_nothing_is_overwritten(world, staff):
    other = Client()
    other.force_login(staff_user("bob", *CONSOLE_PERMISSIONS))
    opened = world.order.version  # both open the address form at version 1
    other.post(edit_url(world.order, "details"), details_form(world.order, street="Bob Street"))
    response = staff.post(
        edit_url(world.order, "details"),
        details_form(world.order, street="Alice Street", version=opened),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == order_url(world.order)
    (message,) = texts(response)
    assert message.startswith("This order was changed by someone else since you opened it")
    assert "you saw version 1, it is now version 2" in message
    world.order.refresh_from_db()
    assert world.order.shipping_address["street"] == "Bob Street"
    assert world.order.events.filter(type=EventType.ADDRESS_CHANGED).count() == 1


@pytest.mark.parametrize(
    ("slug", "line", "data"),
    [
        ("cancel-line", 1, {"reason": "x"}),
        ("quantity", 1, {"quantity": 1}),
        ("cancel", None, {"reason": "x"}),
        ("reroute", None, {"reason": "x"}),
        ("delivery", None, {"delivery_type": "click_collect", "pickup_location": "store-hamburg"}),
    ],
)
def test_stale_version_is_refused_for_every_edit(world, staff, slug, line, data):
    services.order_add_note(order_id=world.order.pk, text="bump", actor="test")  # no version bump
    services.order_update_details(
        order_id=world.order.pk, actor="test", expected_version=1, customer={"phone": "1"}
    )
    url = line_url(world.order, line, slug) if line else edit_url(world.order, slug)
    response = staff.post(url, {"version": 1, **data}, follow=True)
    assert any("changed by someone else" in m for m in texts(response))
    world.order.refresh_from_db()
    assert world.order.version == 2
    assert reserved(world, world.berlin, world.shirt) == 2


@pytest.fixture
def partly_shipped(world: ConsoleWorld) -> Order:
    """An order split over Berlin (socks, shipped) and Munich (cap, still open)."""
    socks, cap = ProductFactory(sku="SOCKS-1"), ProductFactory(sku="CAP-1")
    stock(world.berlin, socks, 5)
    stock(world.munich, cap, 5)
    order = services.order_create(
        channel=world.channel,
        data=services.OrderInput(
            external_reference="WEB-SPLIT",
            currency="EUR",
            lines=(
                services.LineInput(sku="SOCKS-1", quantity=1, unit_price=Decimal("5")),
                services.LineInput(sku="CAP-1", quantity=1, unit_price=Decimal("15")),
            ),
            shipping_address={
                "street": "Street A 1",
                "postal_code": "10115",
                "city": "Berlin",
                "country": "DE",
                "latitude": 52.5,
            },
        ),
        actor="test",
    )
    berlin = order.fulfilments.get(location=world.berlin)
    for action in ("accept", "pack", "ship"):
        services.fulfilment_transition(
            fulfilment_id=berlin.pk, action=action, actor="loc", **TRACKING.get(action, {})
        )
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS
    return order


@pytest.mark.parametrize(
    ("slug", "line", "data", "message"),
    [
        ("details", None, {"street": "Too Late 1"}, "address can no longer change"),
        ("cancel", None, {"reason": "x"}, "cancel the lines that have not shipped instead"),
        ("cancel-line", 1, {}, "Every unit of this line has shipped"),
        ("quantity", 1, {"quantity": 0}, "Every unit of this line has shipped"),
        (
            "delivery",
            None,
            {"delivery_type": "click_collect", "pickup_location": "store-hamburg"},
            "the delivery option can no longer change",
        ),
    ],
)
def test_edits_of_shipped_goods_are_refused_with_a_clear_message(
    partly_shipped, staff, slug, line, data, message
):
    order = partly_shipped
    form = details_form(order, **data) if slug == "details" else {"version": order.version, **data}
    url = line_url(order, line, slug) if line else edit_url(order, slug)
    response = staff.post(url, form, follow=True)
    shown = texts(response)
    assert any(message in m and "already_shipped" not in m for m in shown), shown
    assert Order.objects.get(pk=order.pk).version == order.version


def test_open_lines_of_a_partly_shipped_order_can_still_be_cancelled(partly_shipped, staff):
    order = partly_shipped
    response = staff.post(line_url(order, 2, "cancel-line"), {"version": order.version})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.COMPLETED  # what is left has shipped
    assert order.lines.get(line_number=2).open_quantity == 0


def test_click_and_collect_offers_pickup_steps_instead_of_shipping(world, staff):
    services.order_change_delivery(
        order_id=world.order.pk,
        actor="test",
        expected_version=1,
        delivery_type="click_collect",
        pickup_location_code=world.store.code,
    )
    fulfilment = live_fulfilment(world.order)
    for action in ("accept", "pack"):
        services.fulfilment_transition(fulfilment_id=fulfilment.pk, action=action, actor="loc")
    page = staff.get(order_url(world.order)).content.decode()
    assert 'data-action="ready_for_pickup"' in page and 'data-action="ship"' not in page
    staff.post(fulfilment_url(fulfilment), {"action": "ready_for_pickup", "state": "packed"})
    page = staff.get(order_url(world.order)).content.decode()
    assert 'data-action="picked_up"' in page
    staff.post(fulfilment_url(fulfilment), {"action": "picked_up", "state": "ready_for_pickup"})
    world.order.refresh_from_db()
    assert world.order.state == OrderState.COMPLETED


def test_admin_history_lists_each_edit(world, staff):
    staff.post(edit_url(world.order, "details"), details_form(world.order, street="Street B 2"))
    staff.post(edit_url(world.order, "note"), {"text": "called the customer"})
    history = staff.get(reverse("admin:orders_order_history", args=[world.order.pk]))
    page = history.content.decode()
    assert "Changed the shipping address and customer details." in page
    assert "Added an internal note." in page


def test_order_page_does_not_accept_posts(world, staff):
    assert staff.post(order_url(world.order), {"state": "cancelled"}).status_code == 405


def test_order_list_filters_escalated_waiting_orders(client, django_user_model):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from orders.models import Order, OrderState
    from tests.factories import ChannelFactory

    channel = ChannelFactory()
    waiting = Order(
        channel=channel,
        external_reference="W-1",
        shipping_country="DE",
        currency="EUR",
        state=OrderState.WAITING,
        escalated_at=timezone.now(),
    )
    waiting.save()
    calm = Order(
        channel=channel,
        external_reference="W-2",
        shipping_country="DE",
        currency="EUR",
        state=OrderState.WAITING,
    )
    calm.save()
    admin_user = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")
    client.force_login(admin_user)
    page = client.get("/admin/orders/order/?attention=escalated").content.decode()
    assert "W-1" in page and "W-2" not in page
