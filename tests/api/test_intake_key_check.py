"""Order intake checks a cached API key in its transaction's first statement, the idempotency
claim (oms/api/key_in_statement.py, orders/idempotency.py): one round trip fewer per order,
and nothing the usual check would have stopped gets an answer or changes anything.

Changes are made on other database connections (threads, committed), as another worker or an
admin on another machine would; the request after the change must see it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from oms.api import key_cache
from oms.models import ApiKey, Channel
from orders.models import IdempotencyRecord, IntakeRefusalCount, Order
from tests.api.test_api_key_cache import _elsewhere
from tests.api.test_key_in_statement import stocked_client
from tests.factories import BERLIN

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = "/api/v1/orders/"
SKU = "SKU-INTAKE-KEY"


def _body(ref: str, sku: str = SKU, quantity: int = 1) -> dict:
    return {
        "external_reference": ref,
        "currency": "EUR",
        "customer": {"email": "erika@example.com"},
        "shipping_address": dict(BERLIN),
        "lines": [{"sku": sku, "quantity": quantity, "unit_price": "9.99"}],
    }


def _post(client: APIClient, ref: str, **extra) -> object:  # type: ignore[no-untyped-def]
    headers = {"HTTP_IDEMPOTENCY_KEY": f"key-{ref}", **extra}
    return client.post(ORDERS, _body(ref), format="json", **headers)


@pytest.fixture
def warm_client(api_key: str) -> APIClient:
    client = stocked_client(api_key, sku=SKU, on_hand=100)
    for ref in ("W-1", "W-2"):  # the first touches last_used_at, the second reloads the key
        assert _post(client, ref).status_code == 201
    return client


def _statements(client: APIClient, ref: str) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, ref)
    return response, [q["sql"] for q in queries.captured_queries]


def test_a_cached_key_is_checked_in_the_claim(warm_client: APIClient) -> None:
    response, statements = _statements(warm_client, "A-1")

    assert response.status_code == 201
    assert statements[0] == "BEGIN"
    assert "pg_try_advisory_xact_lock" in statements[1] and "oms_apikey" in statements[1]
    assert sum("oms_apikey" in sql for sql in statements) == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda: ApiKey.objects.get().revoke(), id="revoked"),
        pytest.param(lambda: Channel.objects.update(active=False), id="channel-inactive"),
    ],
)
def test_a_key_stopped_elsewhere_gets_401_and_nothing_is_written(
    warm_client: APIClient, change: Callable[[], None]
) -> None:
    orders, records = Order.objects.count(), IdempotencyRecord.objects.count()
    _elsewhere(change)

    response = _post(warm_client, "R-1")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert Order.objects.count() == orders
    assert IdempotencyRecord.objects.count() == records


def test_a_scope_taken_away_gets_403_and_nothing_is_written(warm_client: APIClient) -> None:
    """Permissions were decided on the cached copy; the claim finds the key changed, and they
    are decided again on the current key before anything is done."""
    orders = Order.objects.count()
    _elsewhere(lambda: ApiKey.objects.update(scopes=["stock_write"]))

    response = _post(warm_client, "S-1")

    assert response.status_code == 403
    assert Order.objects.count() == orders


def test_a_changed_channel_is_placed_with_the_current_row(warm_client: APIClient) -> None:
    """The claim finds other versions: it rolls back, the key is loaded again and the order
    placed with it; the next order is checked in its claim again."""
    _elsewhere(lambda: Channel.objects.update(name="Renamed"))

    response, statements = _statements(warm_client, "C-1")

    assert response.status_code == 201
    assert Order.objects.get(external_reference="C-1").channel.name == "Renamed"
    # The claim that found the change, the usual check, the load, then the claim again.
    assert sum("oms_apikey" in sql for sql in statements) == 3
    (entry,) = key_cache._entries.values()
    assert entry[2].channel.name == "Renamed"
    response, statements = _statements(warm_client, "C-2")
    assert response.status_code == 201
    assert sum("oms_apikey" in sql for sql in statements) == 1


def test_a_refusal_with_a_checked_key_needs_no_second_check(warm_client: APIClient) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = warm_client.post(
            ORDERS, _body("O-1", quantity=1000), format="json", HTTP_IDEMPOTENCY_KEY="o-1"
        )

    assert response.status_code == 409
    assert sum("oms_apikey" in q["sql"] for q in queries.captured_queries) == 1
    assert IntakeRefusalCount.objects.filter(code="out_of_stock").exists()


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(
            lambda c: c.post(ORDERS, _body("M-1"), format="json"), id="no-idempotency-key"
        ),
        pytest.param(
            lambda c: c.post(
                ORDERS, "{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="x"
            ),
            id="malformed-json",
        ),
        pytest.param(lambda c: _post(c, "W-1"), id="replay-of-a-stored-response"),
    ],
)
def test_a_revoked_key_gets_401_before_any_other_answer(
    warm_client: APIClient, request_: Callable[[APIClient], object]
) -> None:
    _elsewhere(lambda: ApiKey.objects.get().revoke())

    response = request_(warm_client)

    assert response.status_code == 401  # type: ignore[attr-defined]


def test_last_used_is_touched_when_the_claim_passes(warm_client: APIClient) -> None:
    long_ago = timezone.now() - dt.timedelta(hours=1)
    _elsewhere(lambda: ApiKey.objects.update(last_used_at=long_ago))
    assert _post(warm_client, "L-1").status_code == 201  # reloads the key (its row changed)
    _elsewhere(lambda: ApiKey.objects.update(last_used_at=long_ago))
    assert _post(warm_client, "L-2").status_code == 201  # cached at the versions just written
    _elsewhere(lambda: ApiKey.objects.update(last_used_at=long_ago))  # and a new version

    assert _post(warm_client, "L-3").status_code == 201

    assert ApiKey.objects.get().last_used_at > long_ago


def test_the_order_list_checks_the_key_first(warm_client: APIClient) -> None:
    _elsewhere(lambda: ApiKey.objects.get().revoke())

    with CaptureQueriesContext(connection) as queries:
        assert warm_client.get(ORDERS).status_code == 401

    (statement,) = [q["sql"] for q in queries.captured_queries]
    assert "xmin" in statement
