"""The order list's one search box (orders.search): every key an agent is given finds the
order, and every key is served by an index (EXPLAIN with sequential scans switched off shows
no `Seq Scan`: a key without an index would still need one)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from orders import services
from orders.models import Fulfilment, FulfilmentState, Order
from orders.search import order_search_ids, orders_search
from returns import services as return_services
from returns.services import ReturnLineInput
from tests.console_data import CONSOLE_PERMISSIONS, ConsoleWorld, staff_user
from tests.payments_helpers import reasons

pytestmark = pytest.mark.django_db


def _other_order(world: ConsoleWorld) -> Order:
    return services.order_create(
        channel=world.channel,
        data=services.OrderInput(
            external_reference="WEB-2002",
            currency="EUR",
            customer_email="max@example.com",
            customer_name="Max Power",
            customer_phone="+49 89 555-0100",
            lines=(services.LineInput(sku="MUG-1", quantity=1, unit_price=Decimal("9.50")),),
            shipping_address={
                "street": "Marienplatz 1",
                "postal_code": "80331",
                "city": "Munich",
                "country": "DE",
                "phone": "+49 (89) 555 0199",
                "latitude": 48.14,
                "longitude": 11.58,
            },
        ),
        actor="test",
    )


def _ship(order: Order, tracking: str) -> Fulfilment:
    fulfilment = order.fulfilments.exclude(state=FulfilmentState.CANCELLED).get()
    for action in ("accept", "start_picking", "pack"):
        services.fulfilment_transition(fulfilment_id=fulfilment.pk, action=action, actor="loc")
    services.fulfilment_transition(
        fulfilment_id=fulfilment.pk,
        action="ship",
        actor="loc",
        carrier="DHL",
        tracking_number=tracking,
    )
    return fulfilment


def _found(term: str) -> set[str]:
    found = orders_search(Order.objects.all(), term)
    return set(found.values_list("external_reference", flat=True))


def test_every_key_an_agent_is_given_finds_the_order(world):
    other = _other_order(world)
    fulfilment = _ship(world.order, "JJD0099887766")
    reasons()
    returned = return_services.return_create(
        order_id=world.order.pk,
        lines=[ReturnLineInput(line_number=1, quantity=1, reason="wrong_size")],
        actor="shop",
        created_via="api",
        tracking_number="RET-555",
    )
    first = {"WEB-1001"}
    second = {"WEB-2002"}
    cases = {
        "WEB-1001": first,  # reference
        "web-1001": first,
        "1001": first,  # part of the reference
        "erika@example.com": first,  # e-mail
        "ERIKA@EXAMPLE": first,
        "Mustermann": first,  # name
        "jjd0099887766": first,  # tracking number, any case
        "SHIRT-M": first,  # SKU
        "shirt-m": first,
        "mug-1": first | second,  # both orders have a mug
        "80331": second,  # postal code
        "+49 89 555-0100": second,  # customer phone, typed with separators
        "+49895550100": second,
        "+49 89 555 0199": second,  # the shipping address's phone
        # Fulfilment number; "#n" is also order number n, and the two sequences may meet.
        f"#{fulfilment.pk}": first | (second if other.pk == fulfilment.pk else set()),
        "RET-555": first,  # the return parcel's tracking number
        "Nobody": set(),
        "": {"WEB-1001", "WEB-2002"},
    }
    for term, expected in cases.items():
        assert _found(term) == expected, term
    # A return's number and an order's number are found too (among whatever else matches).
    assert "WEB-1001" in _found(str(returned.pk))
    assert "WEB-2002" in _found(str(other.pk))


def test_odd_input_finds_nothing_instead_of_failing(world):
    for term in ("%", "_", "'; DROP TABLE orders_order; --", "9" * 40, "#", "x" * 500, "\t "):
        assert _found(term) <= {"WEB-1001"}, term
    assert order_search_ids("   ") is None


def test_each_search_key_is_served_by_an_index(world):
    _other_order(world)
    terms = ["JJD0099887766", "erika@example.com", "+49 89 555-0100", "12345"]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for term in terms:
                queryset = orders_search(Order.objects.all(), term)[:50]
                sql, params = queryset.query.sql_with_params()
                cursor.execute(f"EXPLAIN {sql}", params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert "Seq Scan" not in plan, f"{term}:\n{plan}"
                for index in ("order_search_reference_trgm", "order_line_search_sku"):
                    assert index in plan, f"{term}: {index} unused\n{plan}"
        finally:
            cursor.execute("SET enable_seqscan = on")


def test_the_order_list_searches_through_the_box(world, client: Client):
    _ship(world.order, "JJD0099887766")
    _other_order(world)
    client.force_login(staff_user("alice", *CONSOLE_PERMISSIONS))
    changelist = reverse("admin:orders_order_changelist")
    for term in ("JJD0099887766", "SHIRT-M"):
        page = client.get(changelist, {"q": term}).content.decode()
        assert "WEB-1001" in page and "WEB-2002" not in page, term
    assert "tracking number, SKU, postal code" in client.get(changelist).content.decode()


def test_the_order_list_offers_no_per_filter_counts(world, client: Client):
    """Facet counts ("Show counts") would count every order for every filter choice."""
    client.force_login(staff_user("alice", *CONSOLE_PERMISSIONS))
    page = client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "Show counts" not in page
