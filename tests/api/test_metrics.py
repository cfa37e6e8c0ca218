"""/metrics: access control, and the figures a scrape exposes, parsed as Prometheus does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import order_network, place_order, stock

TOKEN = "t0ken-for-tests"


def scrape(client, **extra) -> dict[tuple[str, frozenset], float]:  # type: ignore[no-untyped-def]
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(figures, name: str, **labels: str) -> float:  # type: ignore[no-untyped-def]
    return figures.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 5)
    return net


def test_loopback_may_scrape_without_a_token_in_development(client, db):  # type: ignore[no-untyped-def]
    figures = scrape(client)
    assert value(figures, "oms_metrics_source_up", source="deliveries") == 1
    assert value(figures, "oms_metrics_source_up", source="waiting_room") == 1


def test_other_addresses_are_refused(client, db, settings):  # type: ignore[no-untyped-def]
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert response.json()["code"] == "metrics_forbidden"


def test_a_configured_token_opens_it_from_anywhere(client, db, settings):  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "metrics_forbidden"
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}", REMOTE_ADDR="203.0.113.9")


def test_production_allows_no_address_by_default() -> None:
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.METRICS_ALLOWED_IPS)"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "oms.settings.production",
        "SECRET_KEY": "x" * 60,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/oms",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_orders_placed_and_refused_are_counted(  # type: ignore[no-untyped-def]
    client, api_client, net, django_capture_on_commit_callbacks
):
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        placed = api_client.post(
            "/api/v1/orders/",
            {
                "external_reference": "M-1",
                "currency": "EUR",
                "lines": [{"sku": "SHIRT", "quantity": 2, "unit_price": "10.00"}],
                "shipping_address": {
                    "street": "Alexanderplatz 1",
                    "postal_code": "10178",
                    "city": "Berlin",
                    "country": "DE",
                    "latitude": 52.52,
                    "longitude": 13.40,
                },
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY="m-1",
        )
    assert placed.status_code == 201, placed.json()
    refused = api_client.post(
        "/api/v1/orders/",
        {
            "external_reference": "M-2",
            "currency": "EUR",
            "lines": [{"sku": "SHIRT", "quantity": 50, "unit_price": "10.00"}],
            "shipping_address": {
                "street": "Alexanderplatz 1",
                "postal_code": "10178",
                "city": "Berlin",
                "country": "DE",
                "latitude": 52.52,
                "longitude": 13.40,
            },
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="m-2",
    )
    assert refused.status_code == 409
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("oms_orders_placed_total", channel="web-de", state="routed") == 1
    assert delta("oms_orders_refused_total", channel="web-de", code="out_of_stock") == 1
    assert delta("oms_orders_refused_total", channel="web-de", code="unknown_sku") == 0


def test_an_order_rolled_back_after_intake_is_not_counted_as_placed(  # type: ignore[no-untyped-def]
    client, net, django_capture_on_commit_callbacks
):
    from django.db import transaction

    before = value(scrape(client), "oms_orders_placed_total", channel="web-de", state="routed")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            place_order(net.channel, ("SHIRT", 1))
            raise RuntimeError("the caller's transaction fails after intake")
    assert callbacks == []
    after = value(scrape(client), "oms_orders_placed_total", channel="web-de", state="routed")
    assert after == before


def test_backlogs_come_from_the_database(client, net):  # type: ignore[no-untyped-def]
    from oms.models import Delivery, DeliveryAttempt, WebhookSubscription
    from orders.models import Order, OrderState

    net.channel.unroutable_policy = "wait"
    net.channel.save()
    waiting = place_order(net.channel, ("MUG", 1), customer_email="ada@example.com")
    assert waiting.state == OrderState.WAITING
    Order.objects.filter(pk=waiting.pk).update(waiting_since=timezone.now() - timedelta(hours=2))
    pending = Delivery.objects.filter(kind="email", status="pending")
    assert pending.count() == 1  # the confirmation e-mail
    pending.update(created_at=timezone.now() - timedelta(minutes=10))
    failed = Delivery.objects.create(
        message=pending.get().message, kind="email", target="x@example.com", status="failed"
    )
    for number, outcome in enumerate(["retry", "retry", "failed"], start=1):
        DeliveryAttempt.objects.create(
            delivery=failed, number=number, started_at=timezone.now(), outcome=outcome
        )
    WebhookSubscription.objects.create(
        channel=net.channel, url="https://erp.example/hook", secret="whsec_x", active=False
    )

    figures = scrape(client)
    assert value(figures, "oms_waiting_room_orders") == 1
    assert value(figures, "oms_waiting_room_escalated_orders") == 0
    assert 7190 < value(figures, "oms_waiting_room_oldest_age_seconds") < 7300
    assert value(figures, "oms_deliveries_pending", kind="email") == 1
    assert 590 < value(figures, "oms_deliveries_pending_oldest_age_seconds", kind="email") < 700
    assert value(figures, "oms_deliveries_failed", kind="email") == 1
    assert value(figures, "oms_delivery_attempts_total", kind="email", outcome="retry") == 2
    assert value(figures, "oms_delivery_attempts_total", kind="email", outcome="failed") == 1
    assert value(figures, "oms_webhook_subscriptions_disabled") == 1


def test_a_failing_source_does_not_fail_the_scrape(client, db, monkeypatch):  # type: ignore[no-untyped-def]
    from oms import metrics

    def broken():  # type: ignore[no-untyped-def]
        raise RuntimeError("table missing")

    monkeypatch.setitem(metrics._sources, "broken", broken)
    figures = scrape(client)
    assert value(figures, "oms_metrics_source_up", source="broken") == 0
    assert value(figures, "oms_metrics_source_up", source="deliveries") == 1
