"""The status hub's admin: subscriptions (secret once, rotation, failure filter and notice),
the read-only delivery log with its attempts, and the permissioned, audited replays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from oms.hub.dispatch import deliveries_dispatch, subscription_disable
from oms.hub.services import webhook_subscription_create
from oms.models import Delivery, WebhookSubscription
from tests.factories import order_network, place_order, stock

pytestmark = pytest.mark.django_db
SUBSCRIPTIONS = reverse("admin:oms_webhooksubscription_changelist")
DELIVERIES = reverse("admin:oms_delivery_changelist")


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 50)
    return net


@pytest.fixture
def delivered(net, receiver, settings):  # type: ignore[no-untyped-def]
    """A subscription and an order whose three events were delivered."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    sub, secret = webhook_subscription_create(channel=net.channel, url=receiver.url)
    place_order(net.channel, ("SHIRT", 1))
    while deliveries_dispatch().claimed:
        pass
    return sub


def staff(client: Client, *perms: str) -> Client:
    user = User.objects.create_user("anna", password="pw-123456", is_staff=True)
    codenames = ["view_delivery", "view_webhooksubscription", *perms]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def shown(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


def test_creating_a_subscription_shows_its_secret_once(admin_client, net, receiver, settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    response = admin_client.post(
        reverse("admin:oms_webhooksubscription_add"),
        {
            "channel": net.channel.pk,
            "url": receiver.url,
            "event_types": ["order_placed", "fulfilment_shipped"],
            "description": "ERP",
        },
        follow=True,
    )
    assert response.status_code == 200
    sub = WebhookSubscription.objects.get()
    secret = next(m.rsplit(": ", 1)[1] for m in shown(response) if "shown once" in m)
    assert secret == sub.secret and secret.startswith("whsec_")
    assert sub.event_types == ["fulfilment_shipped", "order_placed"]
    assert sub.created_by == "user:admin"
    page = admin_client.get(reverse("admin:oms_webhooksubscription_change", args=[sub.pk]))
    assert page.status_code == 200 and secret not in page.content.decode()


def test_a_private_address_is_a_form_error_not_a_crash(admin_client, net):  # type: ignore[no-untyped-def]
    response = admin_client.post(
        reverse("admin:oms_webhooksubscription_add"),
        {"channel": net.channel.pk, "url": "http://10.0.0.7/hooks", "event_types": []},
    )
    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors["url"])
    assert "points into a private" in errors
    assert "webhook_target_refused" not in errors  # words, not the error code
    assert not WebhookSubscription.objects.exists()


def test_rotating_shows_the_new_secret_and_both_sign(admin_client, delivered):  # type: ignore[no-untyped-def]
    old = delivered.secret
    response = admin_client.post(
        SUBSCRIPTIONS,
        {"action": "rotate_secret", "_selected_action": [delivered.pk]},
        follow=True,
    )
    new = next(m.rsplit(": ", 1)[1] for m in shown(response) if "shown once" in m)
    delivered.refresh_from_db()
    assert (delivered.secret, delivered.previous_secret) == (new, old)
    assert delivered.signing_secrets() == [new, old]
    assert LogEntry.objects.filter(change_message="Rotated the signing secret").count() == 1
    Webhook(new)  # a valid Standard Webhooks secret


def test_subscriptions_disabled_by_failures_are_filtered_and_announced(admin_client, net):  # type: ignore[no-untyped-def]
    subs = [
        WebhookSubscription.objects.create(
            channel=net.channel, url=f"https://e.com/{n}", secret="s"
        )
        for n in range(3)
    ]
    WebhookSubscription.objects.filter(pk=subs[1].pk).update(active=False)  # by staff
    subscription_disable(subscription_id=subs[2].pk, reason="receiver answered 410")

    def ids(query: str) -> set[int]:
        response = admin_client.get(SUBSCRIPTIONS + query)
        return {s.pk for s in response.context["cl"].result_list}

    assert ids("?state=active") == {subs[0].pk}
    assert ids("?state=disabled") == {subs[1].pk, subs[2].pk}
    assert ids("?state=failures") == {subs[2].pk}
    notice = [m for m in shown(admin_client.get(SUBSCRIPTIONS)) if "disabled after failures" in m]
    assert len(notice) == 1 and notice[0].startswith("1 webhook subscription")
    assert [m for m in shown(admin_client.get(DELIVERIES)) if "disabled after failures" in m]

    response = admin_client.post(
        SUBSCRIPTIONS, {"action": "enable", "_selected_action": [subs[2].pk]}, follow=True
    )
    subs[2].refresh_from_db()
    assert subs[2].active and subs[2].disabled_at is None
    assert not [m for m in shown(response) if "disabled after failures" in m]


def test_a_delivery_page_is_read_only_with_its_attempts(admin_client, delivered):  # type: ignore[no-untyped-def]
    delivery = Delivery.objects.order_by("sequence").first()
    page = admin_client.get(reverse("admin:oms_delivery_change", args=[delivery.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert delivery.webhook_id in html and "order_placed" in html
    assert "Delivery attempts" in html or "delivery attempt" in html.lower()
    assert page.context["inline_admin_formsets"][0].formset.queryset.count() == 1
    assert admin_client.get(reverse("admin:oms_delivery_add")).status_code == 403
    before = delivery.status
    admin_client.post(reverse("admin:oms_delivery_change", args=[delivery.pk]), {"status": "x"})
    delivery.refresh_from_db()
    assert delivery.status == before
    assert admin_client.get(DELIVERIES + "?status=delivered").status_code == 200


def test_replaying_deliveries_needs_the_permission_and_is_audited(client, delivered):  # type: ignore[no-untyped-def]
    delivery = Delivery.objects.order_by("sequence").first()
    viewer = staff(client)
    response = viewer.get(DELIVERIES)
    assert response.status_code == 200
    assert response.context["action_form"] is None  # no action offered without the permission
    viewer.post(DELIVERIES, {"action": "replay", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.replayed_at) == ("delivered", None)
    assert not LogEntry.objects.exists()

    user = User.objects.get(username="anna")
    user.user_permissions.add(Permission.objects.get(codename="replay_delivery"))
    client.force_login(User.objects.get(pk=user.pk))
    response = client.post(
        DELIVERIES, {"action": "replay", "_selected_action": [delivery.pk]}, follow=True
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.replayed_by) == ("pending", "user:anna")
    assert any("1 deliveries requeued" in m for m in shown(response))
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.user.username) == (str(delivery.pk), "anna")
    assert entry.change_message.startswith("Replayed")


def test_replaying_a_subscription_since_a_time(client, delivered):  # type: ignore[no-untyped-def]
    viewer = staff(client)
    refused = viewer.post(
        SUBSCRIPTIONS,
        {"action": "replay_since", "_selected_action": [delivered.pk], "apply": "1"},
    )
    assert refused.status_code == 302  # no such action for this user
    assert not Delivery.objects.filter(replayed_at__isnull=False).exists()

    user = User.objects.get(username="anna")
    user.user_permissions.add(Permission.objects.get(codename="replay_delivery"))
    client.force_login(User.objects.get(pk=user.pk))
    form = client.post(
        SUBSCRIPTIONS, {"action": "replay_since", "_selected_action": [delivered.pk]}
    )
    assert form.status_code == 200 and "since" in form.context["form"].fields
    since = timezone.localtime(timezone.now() - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M")
    response = client.post(
        SUBSCRIPTIONS,
        {
            "action": "replay_since",
            "_selected_action": [delivered.pk],
            "apply": "1",
            "since": since,
        },
        follow=True,
    )
    assert any("3 requeued" in m for m in shown(response))
    assert Delivery.objects.filter(status="pending", replayed_by="user:anna").count() == 3
    assert LogEntry.objects.get().change_message.startswith("Replayed deliveries since")
