"""/health/: 200 when the database and the broker answer, 503 when one does not."""

from __future__ import annotations

import pytest
from django.db import OperationalError


@pytest.fixture(autouse=True)
def _fresh_redis_clients():  # type: ignore[no-untyped-def]
    from oms.health import redis_client

    redis_client.cache_clear()
    yield
    redis_client.cache_clear()


def test_health_without_broker_checks_the_database(client, db):  # type: ignore[no-untyped-def]
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"] == {"ok": True, "kind": "in-process"}
    assert "no-store" in response["Cache-Control"]


def test_health_pings_redis_when_it_is_the_broker(client, db, settings):  # type: ignore[no-untyped-def]
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    response = client.get("/health/")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["broker"]["kind"] == "redis"


def test_health_is_503_when_the_broker_is_unreachable(client, db, settings):  # type: ignore[no-untyped-def]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"] == {"ok": False, "kind": "redis"}
    assert body["checks"]["database"]["ok"] is True


def test_health_is_503_when_the_database_is_unreachable(client, monkeypatch):  # type: ignore[no-untyped-def]
    import oms.health

    class DownConnection:
        def cursor(self):  # type: ignore[no-untyped-def]
            raise OperationalError("connection refused")

    monkeypatch.setattr(oms.health, "connection", DownConnection())
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False}


def test_health_needs_no_credentials_and_only_reads(client, db):  # type: ignore[no-untyped-def]
    assert client.post("/health/").status_code == 405
    assert client.head("/health/").status_code == 200
