"""The layers hold at the database level too, and location keys are inventory's to bind.

import-linter (scripts/test.sh) checks Python imports; a foreign key named by string
("inventory.Location") is an arrow it cannot see, so the model relations are checked here."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from oms.models import ApiKey
from tests.factories import LocationFactory

LAYERS = ["oms", "inventory", "routing", "orders", "returns", "demo"]  # bottom to top

pytestmark = pytest.mark.django_db


def test_model_relations_point_down_the_layers():
    upward = []
    for model in apps.get_models():
        app = model._meta.app_label
        if app not in LAYERS:
            continue
        for field in model._meta.get_fields():
            target = getattr(field, "related_model", None)
            if target is None or field.auto_created:  # reverse relations are the other side's
                continue
            other = target._meta.app_label
            if other in LAYERS and LAYERS.index(other) > LAYERS.index(app):
                upward.append(f"{model.__name__}.{field.name} -> {other}.{target.__name__}")
    assert upward == []


def test_create_api_key_binds_a_location_key(channel):
    berlin = LocationFactory(code="wh-berlin", channels=[channel])
    out = io.StringIO()
    call_command(
        "create_api_key", "web-de", "--name", "WMS", "--scope", "location",
        "--location", "wh-berlin", stdout=out,
    )  # fmt: skip
    key = ApiKey.objects.get(name="WMS")
    assert key.location_id == berlin.pk
    assert "location: wh-berlin" in out.getvalue()


def test_create_api_key_refuses_an_unknown_location(channel):
    with pytest.raises(CommandError, match="Unknown location"):
        call_command("create_api_key", "web-de", "--name", "WMS", "--location", "nope")
    assert not ApiKey.objects.filter(name="WMS").exists()  # all or nothing


def test_deleting_a_location_revokes_its_keys(channel):
    from inventory.api_keys import api_key_location_bind
    from oms.services import api_key_create

    store = LocationFactory(code="st-gone", channels=[channel])
    bound, _ = api_key_create(channel=channel, name="store", scopes=["location"])
    api_key_location_bind(key=bound, location_code="st-gone")
    other, _ = api_key_create(channel=channel, name="shop", scopes=["orders"])

    store.delete()

    bound.refresh_from_db()
    other.refresh_from_db()
    assert bound.revoked_at is not None
    assert other.revoked_at is None
