"""Admin forms of inventory and routing: every number is bounded to what its column holds.

An out-of-range number is a form error (200 with the form again), never a 500 from the
database. The Django test client re-raises a view's exception, so a 500 fails these tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from inventory.errors import QuantityOutOfRange
from inventory.models import InboundStock, Location, StockLevel, StockMovement
from inventory.services import MAX_QUANTITY
from routing.models import RoutingStrategy, StrategyVersion
from tests.factories import LocationFactory, ProductFactory, stock

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
NUMERIC = (forms.IntegerField, forms.DecimalField, forms.FloatField)


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _action(client: Client, model: type, action: str, pks: list[int], **data: Any) -> Any:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return client.post(
        url, {"action": action, "_selected_action": pks, "apply": "1", **data}, follow=True
    )


def test_adjust_stock_with_a_change_past_any_column_is_a_form_error(admin_client):
    location = LocationFactory()
    product = ProductFactory()
    stock(location, product, 5)
    level = StockLevel.objects.get(location=location, product=product)
    movements = StockMovement.objects.count()

    for delta in (HUGE, f"-{HUGE}", str(MAX_QUANTITY + 1), str(-MAX_QUANTITY - 1)):
        response = _action(
            admin_client, StockLevel, "adjust_stock", [level.pk], delta=delta, reason="count"
        )
        assert response.status_code == 200
        assert "delta" in response.context["form"].errors

    level.refresh_from_db()
    assert level.on_hand == 5
    assert StockMovement.objects.count() == movements


def test_adjust_stock_that_would_take_on_hand_past_the_bound_is_refused(admin_client):
    location = LocationFactory()
    product = ProductFactory()
    stock(location, product, 5)
    level = StockLevel.objects.get(location=location, product=product)

    response = _action(
        admin_client, StockLevel, "adjust_stock", [level.pk], delta=MAX_QUANTITY, reason="count"
    )

    assert response.status_code == 200
    texts = _messages(response)
    assert any(QuantityOutOfRange.default_message in text for text in texts), texts
    assert not any("quantity_out_of_range" in text for text in texts)  # words, not the code
    level.refresh_from_db()
    assert level.on_hand == 5


def test_receive_inbound_with_a_huge_quantity_is_a_form_error(admin_client):
    inbound = InboundStock.objects.create(
        location=LocationFactory(),
        product=ProductFactory(),
        reference="PO-1",
        expected_date="2030-01-01",
        quantity_expected=10,
    )
    response = _action(admin_client, InboundStock, "receive", [inbound.pk], quantity=HUGE)
    assert response.status_code == 200
    assert "quantity" in response.context["form"].errors
    inbound.refresh_from_db()
    assert inbound.quantity_received == 0


def _objects() -> list[Any]:
    location = LocationFactory(latitude=50.98, longitude=11.03)
    inbound = InboundStock.objects.create(
        location=location,
        product=ProductFactory(),
        reference="PO-2",
        expected_date="2030-01-01",
        quantity_expected=10,
    )
    strategy = RoutingStrategy.objects.create(name="bounds")
    draft = StrategyVersion.objects.create(strategy=strategy, number=1, max_parts=2)
    return [location, inbound, strategy, draft]


def _form_data(response: Any) -> dict[str, Any]:
    """What the change page would submit unchanged: the main form, then every inline."""
    data: dict[str, Any] = {}
    forms_on_page = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms_on_page.extend(formset.forms)
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    for form in forms_on_page:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None:
                continue
            if isinstance(field, forms.BooleanField):
                if value:
                    data[form.add_prefix(name)] = "on"
                continue
            data[form.add_prefix(name)] = value
    return data


def _numeric_fields(response: Any) -> list[str]:
    form = response.context["adminform"].form
    return [name for name, field in form.fields.items() if isinstance(field, NUMERIC)]


@pytest.mark.parametrize("app_label", ["inventory", "routing"])
def test_every_numeric_admin_field_refuses_numbers_its_column_cannot_hold(admin_client, app_label):
    objects = [obj for obj in _objects() if obj._meta.app_label == app_label]
    checked: list[str] = []
    for obj in objects:
        assert admin.site.is_registered(type(obj))
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
        page = admin_client.get(url)
        assert page.status_code == 200
        untouched = _form_data(page)
        assert admin_client.post(url, untouched).status_code == 302  # the page saves as it is
        for name in _numeric_fields(page):
            for value in (HUGE, f"-{HUGE}"):
                response = admin_client.post(url, {**untouched, name: value})
                assert response.status_code == 200, (type(obj).__name__, name, value)
                assert name in response.context["adminform"].form.errors
                checked.append(f"{type(obj).__name__}.{name}")
    assert checked  # the sweep found numeric fields to try


@pytest.mark.parametrize(
    ("field", "value"),
    [("latitude", "91"), ("longitude", "-180.5"), ("cutoff_hour", "24")],
)
def test_location_values_outside_the_world_or_the_day_are_form_errors(admin_client, field, value):
    location = LocationFactory(latitude=50.98, longitude=11.03)
    url = reverse("admin:inventory_location_change", args=[location.pk])
    untouched = _form_data(admin_client.get(url))
    response = admin_client.post(url, {**untouched, field: value})
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert Location.objects.get(pk=location.pk).latitude == 50.98
