"""The per-process cache of a channel's webhook subscriptions: no query per order while
nothing changes, and every change (in any process) seen by the next order through the
channel's webhooks stamp."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from oms.hub import subscription_cache
from oms.hub.dispatch import subscription_disable
from oms.hub.services import webhook_subscription_create, webhook_subscription_update
from oms.hub.targets import MessageDraft
from oms.hub.webhooks import WebhookTarget
from oms.models import Channel, Delivery, WebhookSubscription
from tests.factories import order_network, stock

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def empty_cache():  # type: ignore[no-untyped-def]
    subscription_cache.clear()
    yield
    subscription_cache.clear()


@pytest.fixture
def net(channel, settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    net = order_network(channel)
    stock(net.berlin, net.shirt, 50)
    return net


def order_via_api(api_client, n: int) -> int:  # type: ignore[no-untyped-def]
    """One order through the API: the channel row is read fresh with the key, as in
    production. Returns the subscriptions that got its order_placed event."""
    response = api_client.post(
        "/api/v1/orders/",
        {
            "external_reference": f"CACHE-{n}",
            "currency": "EUR",
            "lines": [{"sku": "SHIRT", "quantity": 1, "unit_price": "10.00"}],
            "shipping_address": {
                "street": "Alexanderplatz 1",
                "postal_code": "10178",
                "city": "Berlin",
                "country": "DE",
            },
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"cache-{n}",
    )
    assert response.status_code == 201, response.content
    order_id = response.json()["id"]
    return set(
        Delivery.objects.filter(
            kind="webhook", message__order_id=order_id, message__topic="order_placed"
        ).values_list("subscription_id", flat=True)
    )


def test_a_warm_cache_plans_without_a_query(net, django_assert_num_queries):  # type: ignore[no-untyped-def]
    sub, _ = webhook_subscription_create(channel=net.channel, url="http://127.0.0.1:9/h")
    channel = Channel.objects.get(pk=net.channel.pk)
    draft = MessageDraft(topic="order_placed", payload={}, channel_id=channel.pk, channel=channel)
    target = WebhookTarget()
    assert [p.subscription_id for p in target.plan([draft])] == [sub.pk]
    with django_assert_num_queries(0):
        assert [p.subscription_id for p in target.plan([draft])] == [sub.pk]
    # Without the channel row (a worker's path) it reads the database.
    bare = MessageDraft(topic="order_placed", payload={}, channel_id=channel.pk)
    with django_assert_num_queries(1):
        assert [p.subscription_id for p in target.plan([bare])] == [sub.pk]


def test_every_change_is_seen_by_the_next_order(net, api_client):  # type: ignore[no-untyped-def]
    assert order_via_api(api_client, 1) == set()  # the cache now holds "no subscriptions"
    one, _ = webhook_subscription_create(channel=net.channel, url="http://127.0.0.1:9/a")
    assert order_via_api(api_client, 2) == {one.pk}
    two = WebhookSubscription.objects.create(  # an ORM write (no service): the signal renews
        channel=net.channel, url="http://127.0.0.1:9/b", secret="whsec_x"
    )
    assert order_via_api(api_client, 3) == {one.pk, two.pk}
    webhook_subscription_update(
        channel=net.channel, subscription_id=one.pk, event_types=["fulfilment_shipped"]
    )
    assert order_via_api(api_client, 4) == {two.pk}
    subscription_disable(subscription_id=two.pk, reason="receiver answered 410")  # .update()
    assert order_via_api(api_client, 5) == set()
    webhook_subscription_update(channel=net.channel, subscription_id=two.pk, active=True)
    assert order_via_api(api_client, 6) == {two.pk}
    two.delete()
    assert order_via_api(api_client, 7) == set()


CHANGE_ELSEWHERE = """
import sys
import django
django.setup()
from oms.models import Channel, WebhookSubscription
from oms.hub.services import webhook_subscription_create
channel = Channel.objects.get(pk=int(sys.argv[1]))
if sys.argv[2] == "create":
    sub, _ = webhook_subscription_create(channel=channel, url="http://127.0.0.1:9/other")
    print(sub.pk)
else:
    WebhookSubscription.objects.get(pk=int(sys.argv[3])).delete()
"""


@pytest.mark.django_db(transaction=True)
def test_a_change_made_in_another_process_is_seen_by_the_next_order_here(net, api_client):  # type: ignore[no-untyped-def]
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "oms.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
    }

    def elsewhere(*argv: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", CHANGE_ELSEWHERE, str(net.channel.pk), *argv],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    assert order_via_api(api_client, 1) == set()
    created = int(elsewhere("create"))
    assert order_via_api(api_client, 2) == {created}
    elsewhere("delete", str(created))
    assert order_via_api(api_client, 3) == set()
