"""Admin: a new API key is created by the service (hashed, shown once), with no state copied
through the model's __dict__."""

from __future__ import annotations

import pytest

from oms.models import ApiKey

pytestmark = pytest.mark.django_db


def test_admin_creates_a_key_through_the_service_and_shows_it_once(admin_client, channel):
    response = admin_client.post(
        "/admin/oms/apikey/add/",
        {"channel": channel.pk, "name": "Shopify", "scopes": '["orders"]'},
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    raw = next(m.split(": ", 1)[1] for m in shown if m.startswith("New API key"))
    assert key.matches(raw) and raw.startswith(f"oms_{key.prefix}_")
    assert key.name == "Shopify" and key.scopes == ["orders"]
    # The change page of the created row opens (the admin logged and redirected to it).
    assert admin_client.get(f"/admin/oms/apikey/{key.pk}/change/").status_code == 200
