"""Staff pages outside the order console show a refusal in words, never its error code:
inbound stock edits here; stock adjustments, strategy activation and webhook URLs in
test_admin_bounds.py, test_strategies.py and tests/hub/test_admin_hub.py."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from inventory.errors import OverReceipt
from inventory.models import InboundStock
from oms.errors import BusinessRuleViolation, error_words
from tests.factories import LocationFactory, ProductFactory


def test_error_words_are_the_message_and_the_problems_without_the_code():
    exc = BusinessRuleViolation(
        "Not valid.", code="strategy_invalid", details={"problems": ["a", "b"]}
    )
    assert error_words(exc) == "Not valid. a; b"
    assert error_words(OverReceipt(details={"received": 5})) == OverReceipt.default_message


@pytest.mark.django_db
def test_an_inbound_change_below_what_was_received_says_why_without_the_code(admin_client):
    inbound = InboundStock.objects.create(
        location=LocationFactory(),
        product=ProductFactory(),
        reference="PO-1",
        expected_date="2030-01-01",
        quantity_expected=10,
        quantity_received=5,
    )
    response = admin_client.post(
        f"/admin/inventory/inboundstock/{inbound.pk}/change/",
        {
            "expected_date": "2030-01-01",
            "quantity_expected": "3",
            "reservations-TOTAL_FORMS": "0",
            "reservations-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(OverReceipt.default_message in t for t in texts), texts
    assert not any("over_receipt" in t for t in texts)
    inbound.refresh_from_db()
    assert inbound.quantity_expected == 10
