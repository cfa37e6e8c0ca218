"""Webhook subscriptions through the API: the secret is shown once, scoping, SSRF, rotate."""

from __future__ import annotations

import pytest
from django.test import override_settings
from standardwebhooks import Webhook

from oms.hub.services import webhook_subscription_create
from oms.models import WebhookSubscription
from tests.factories import ChannelFactory, api_client_for, order_network, raw_api_key

URL = "/api/v1/webhooks/subscriptions/"


def create(client, body, key="k1"):  # type: ignore[no-untyped-def]
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
def test_create_shows_the_secret_once_and_a_retry_replays(api_client, channel):  # type: ignore[no-untyped-def]
    body = {"url": "http://127.0.0.1:9/hooks", "event_types": ["order_placed"]}
    response = create(api_client, body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["secret"].startswith("whsec_") and data["event_types"] == ["order_placed"]
    Webhook(data["secret"])  # a valid Standard Webhooks secret
    sub = WebhookSubscription.objects.get(pk=data["id"])
    assert sub.channel_id == channel.pk and sub.secret == data["secret"]
    assert create(api_client, body).json()["id"] == data["id"]  # same Idempotency-Key
    listed = api_client.get(URL).json()
    assert [s["id"] for s in listed] == [data["id"]] and "secret" not in listed[0]
    assert "secret" not in api_client.get(f"{URL}{data['id']}/").json()


@pytest.mark.django_db
def test_create_refuses_private_urls_and_unknown_types(api_client):  # type: ignore[no-untyped-def]
    response = create(api_client, {"url": "http://169.254.169.254/latest"})
    assert response.status_code == 422 and response.json()["code"] == "webhook_target_refused"
    response = create(api_client, {"url": "https://example.com/h", "event_types": ["x"]}, "k2")
    assert response.status_code == 400 and response.json()["code"] == "unknown_event_type"
    assert create(api_client, {"url": "not a url"}, "k3").json()["code"] == "invalid_request"
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
def test_update_reenables_and_delete_removes(api_client, channel):  # type: ignore[no-untyped-def]
    sub, _ = webhook_subscription_create(channel=channel, url="http://127.0.0.1:9/a")
    WebhookSubscription.objects.filter(pk=sub.pk).update(
        active=False, disabled_reason="15 failed tries"
    )
    response = api_client.patch(
        f"{URL}{sub.pk}/",
        {"active": True, "description": "ERP", "event_types": ["order_routed"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    sub.refresh_from_db()
    assert (sub.active, sub.disabled_reason, sub.description) == (True, "", "ERP")
    assert sub.event_types == ["order_routed"]
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=False):
        refused = api_client.patch(f"{URL}{sub.pk}/", {"url": "http://10.0.0.1/"}, format="json")
    assert refused.status_code == 422 and refused.json()["code"] == "webhook_target_refused"
    assert api_client.delete(f"{URL}{sub.pk}/").status_code == 204
    assert not WebhookSubscription.objects.filter(pk=sub.pk).exists()


@pytest.mark.django_db
@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
def test_rotate_returns_a_new_secret_and_both_sign(api_client, channel):  # type: ignore[no-untyped-def]
    sub, old = webhook_subscription_create(channel=channel, url="http://127.0.0.1:9/a")
    response = api_client.post(f"{URL}{sub.pk}/rotate-secret/")
    assert response.status_code == 200
    new = response.json()["secret"]
    assert new != old and new.startswith("whsec_")
    sub.refresh_from_db()
    assert sub.signing_secrets() == [new, old]


@pytest.mark.django_db
@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
def test_another_channels_subscription_is_not_found(api_client):  # type: ignore[no-untyped-def]
    other, _ = webhook_subscription_create(channel=ChannelFactory(), url="http://127.0.0.1:9/")
    assert api_client.get(URL).json() == []
    for response in (
        api_client.get(f"{URL}{other.pk}/"),
        api_client.patch(f"{URL}{other.pk}/", {"description": "x"}, format="json"),
        api_client.delete(f"{URL}{other.pk}/"),
        api_client.post(f"{URL}{other.pk}/rotate-secret/"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "webhook_subscription_not_found"
    assert WebhookSubscription.objects.filter(pk=other.pk, description="").exists()


@pytest.mark.django_db
def test_a_location_key_cannot_manage_webhooks(channel):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    client = api_client_for(raw_api_key(channel, ["orders"], location=net.berlin))
    response = client.get(URL)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
