"""The per-process API key cache (oms/api/key_cache.py): fewer queries and model instances per
request, and nothing a revocation or a change would have stopped gets through.

The changes are made on other database connections (threads, committed), as another worker or
an admin on another machine would; the request after the change must see it."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from oms.api import key_cache
from oms.models import ApiKey, Channel
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/api/v1/availability/?skus=SKU-CACHE"
LOCATIONS = "/api/v1/locations/"


def _elsewhere(change: Callable[[], None]) -> None:
    """Run `change` on another thread, with its own database connection, and commit."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            change()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not errors, errors


@pytest.fixture
def warm_client(api_key: str) -> APIClient:
    ProductFactory(sku="SKU-CACHE")
    key_cache.clear()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    assert client.get(PATH).status_code == 200  # loads the key into the cache
    assert client.get(PATH).status_code == 200  # served from the cache
    return client


def test_a_cached_key_costs_one_short_statement(warm_client: APIClient) -> None:
    # Locations: a view that checks the key the usual way (availability checks it in its own
    # statement: tests/api/test_key_in_statement.py).
    assert warm_client.get(LOCATIONS).status_code == 200
    with CaptureQueriesContext(connection) as cached:
        assert warm_client.get(LOCATIONS).status_code == 200
    key_cache.clear()
    with CaptureQueriesContext(connection) as cold:
        assert warm_client.get(LOCATIONS).status_code == 200

    auth = [q["sql"] for q in cached.captured_queries if "oms_apikey" in q["sql"]]
    assert len(auth) == 1 and "xmin" in auth[0]
    # Cold: the check finds no entry, then the key and channel are loaded.
    assert len(cold.captured_queries) == len(cached.captured_queries) + 1


@pytest.mark.parametrize(
    "revoke",
    [
        pytest.param(lambda: ApiKey.objects.get().revoke(), id="revoke()"),
        pytest.param(
            lambda: ApiKey.objects.update(revoked_at="2026-01-01T00:00:00Z"), id="queryset-update"
        ),
        pytest.param(
            lambda: connection.cursor().execute("UPDATE oms_apikey SET revoked_at = now()"),
            id="raw-sql",
        ),
    ],
)
def test_a_revoked_key_stops_working_on_the_next_request(
    warm_client: APIClient, revoke: Callable[[], None]
) -> None:
    _elsewhere(revoke)

    response = warm_client.get(PATH)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_deactivated_channel_is_refused_on_the_next_request(warm_client: APIClient) -> None:
    _elsewhere(lambda: Channel.objects.update(active=False))

    assert warm_client.get(PATH).status_code == 401


def test_a_changed_scope_is_seen_on_the_next_request(warm_client: APIClient) -> None:
    assert warm_client.get("/api/v1/orders/").status_code == 200
    _elsewhere(lambda: ApiKey.objects.update(scopes=["stock_write"]))

    response = warm_client.get("/api/v1/orders/")

    assert response.status_code == 403


def test_a_changed_channel_row_is_reloaded(warm_client: APIClient) -> None:
    """Any change of the channel row reaches the next request."""
    _elsewhere(lambda: Channel.objects.update(name="Renamed"))
    key_versions_before = dict(key_cache._entries)

    assert warm_client.get(PATH).status_code == 200

    assert key_cache._entries != key_versions_before
    (entry,) = key_cache._entries.values()
    assert entry[2].channel.name == "Renamed"


def test_the_secret_is_checked_even_for_a_cached_prefix(
    warm_client: APIClient, api_key: str
) -> None:
    tampered = api_key[:-4] + ("AAAA" if not api_key.endswith("AAAA") else "BBBB")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {tampered}")

    assert client.get(PATH).status_code == 401
    assert warm_client.get(PATH).status_code == 200


def test_requests_get_their_own_copies(warm_client: APIClient) -> None:
    """A request that changes its key or channel object cannot leak it into the next one."""
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from oms.api.auth import ApiKeyAuthentication

    header = warm_client._credentials["HTTP_AUTHORIZATION"]
    request = Request(APIRequestFactory().get(PATH, HTTP_AUTHORIZATION=header))
    _, first = ApiKeyAuthentication().authenticate(request)  # type: ignore[misc]
    first.channel.name = "changed in memory"
    first.scopes = []
    _, second = ApiKeyAuthentication().authenticate(request)  # type: ignore[misc]

    assert second.channel.name != "changed in memory"
    assert second.scopes
