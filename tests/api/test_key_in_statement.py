"""Availability checks a cached API key in the statement of its answer
(oms/api/key_in_statement.py): one statement per read, and nothing the usual check would have
stopped gets an answer.

Changes are made on other database connections (threads, committed), as another worker or an
admin on another machine would; the request after the change must see it. The revocations of
tests/api/test_api_key_cache.py run against availability too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from oms.api import key_cache
from oms.models import ApiKey, Channel
from tests.api.test_api_key_cache import _elsewhere
from tests.factories import LocationFactory, ProductFactory, stock

pytestmark = pytest.mark.django_db(transaction=True)

SKU = "SKU-STATEMENT"
PATH = f"/api/v1/availability/?skus={SKU}"


def stocked_client(api_key: str, *, sku: str, on_hand: int) -> APIClient:
    """A client with `api_key`, one location of its channel holding `on_hand` of `sku`, and
    this process's key cache empty."""
    channel = Channel.objects.get()
    stock(LocationFactory(channels=[channel]), ProductFactory(sku=sku), on_hand=on_hand)
    key_cache.clear()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    return client


@pytest.fixture
def warm_client(api_key: str) -> APIClient:
    client = stocked_client(api_key, sku=SKU, on_hand=10)
    assert client.get(PATH).status_code == 200  # loads the key, touches last_used_at
    assert client.get(PATH).status_code == 200  # loads it again at its new version
    return client


def _available(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    (entry,) = response.json()
    return int(entry["available"])


def test_a_cached_key_and_the_answer_are_one_statement(warm_client: APIClient) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert _available(warm_client.get(PATH)) == 10

    (statement,) = [q["sql"] for q in queries.captured_queries]
    assert "oms_apikey" in statement and "oms_availability_json" in statement


def test_a_channel_change_is_answered_with_the_new_settings(warm_client: APIClient) -> None:
    """The statement computed with the cached channel's buffer is not answered: the rows
    changed, so the key is checked again and the answer computed with the new channel."""
    _elsewhere(lambda: Channel.objects.update(availability_buffer=3))

    with CaptureQueriesContext(connection) as queries:
        assert _available(warm_client.get(PATH)) == 7

    # The combined statement (versions differ), the usual check, the load, the answer.
    assert len(queries.captured_queries) == 4
    assert _available(warm_client.get(PATH)) == 7
    with CaptureQueriesContext(connection) as again:
        assert _available(warm_client.get(PATH)) == 7
    assert len(again.captured_queries) == 1  # cached again, at the new versions


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("?skus=", id="no-skus"),
        pytest.param("?skus=A&include_inbound=maybe", id="bad-flag"),
        pytest.param("?skus=" + ",".join(f"S{n}" for n in range(501)), id="too-many"),
    ],
)
def test_a_revoked_key_gets_401_not_a_validation_error(warm_client: APIClient, query: str) -> None:
    """Errors raised before the statement are answered only after the usual check."""
    assert warm_client.get(f"/api/v1/availability/{query}").status_code == 400
    _elsewhere(lambda: ApiKey.objects.get().revoke())

    response = warm_client.get(f"/api/v1/availability/{query}")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_revoked_key_is_not_touched(warm_client: APIClient) -> None:
    _elsewhere(lambda: ApiKey.objects.update(revoked_at=timezone.now(), last_used_at=None))

    assert warm_client.get(PATH).status_code == 401

    assert ApiKey.objects.get().last_used_at is None


def test_last_used_is_touched_on_the_statement_path(warm_client: APIClient) -> None:
    long_ago = timezone.now() - dt.timedelta(hours=1)
    _elsewhere(lambda: ApiKey.objects.update(last_used_at=long_ago))
    assert warm_client.get(PATH).status_code == 200  # reloads the key (its row changed)
    assert ApiKey.objects.get().last_used_at > long_ago
    _elsewhere(lambda: ApiKey.objects.update(last_used_at=long_ago))
    warm_client.get(PATH)  # cached at the versions written just now
    _elsewhere(lambda: ApiKey.objects.update(last_used_at=long_ago))  # a new version again

    assert warm_client.get(PATH).status_code == 200

    assert ApiKey.objects.get().last_used_at > long_ago


def test_the_expression_is_not_evaluated_for_other_versions(warm_client: APIClient) -> None:
    prefix, (key_version, channel_version, _) = next(iter(key_cache._entries.items()))
    current = key_cache.Unchecked(prefix, key_version, channel_version)
    stale = key_cache.Unchecked(prefix, key_version, "(0,0)0")

    assert key_cache.value_if_current(current, "%(n)s + 1", {"n": 41}) == (True, 42)
    # Divides by zero when evaluated (a subquery: not folded into a constant when planned).
    failing = "SELECT %(n)s / count(*) FROM oms_channel WHERE id < 0"
    with pytest.raises(Exception, match="division by zero"), transaction.atomic():
        key_cache.value_if_current(current, failing, {"n": 1})
    assert key_cache.value_if_current(stale, failing, {"n": 1}) == (False, None)
    revoked = key_cache.Unchecked("no-such-prefix", key_version, channel_version)
    assert key_cache.value_if_current(revoked, failing, {"n": 1}) == (False, None)


def test_a_wrong_secret_for_a_cached_prefix_is_refused(
    warm_client: APIClient, api_key: str
) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}x")

    assert client.get(PATH).status_code == 401
    assert client.get("/api/v1/availability/?skus=").status_code == 401
    assert _available(warm_client.get(PATH)) == 10


def test_other_views_check_the_key_first(warm_client: APIClient) -> None:
    """Only views that ask for it get an unchecked key: the others answer 401 to a revoked key
    before doing anything."""
    _elsewhere(lambda: ApiKey.objects.get().revoke())

    with CaptureQueriesContext(connection) as queries:
        assert warm_client.get("/api/v1/locations/").status_code == 401

    (statement,) = [q["sql"] for q in queries.captured_queries]
    assert "xmin" in statement
