"""A revoked API key is refused at once by every gunicorn worker, although each worker keeps
the key in its per-process cache (oms/api/key_cache.py): production settings, two sync workers
(the stack fixture of test_gunicorn_smoke.py), the revocation committed by another process."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from oms.models import ApiKey
from tests.stack.test_gunicorn_smoke import gunicorn, request  # noqa: F401 (the fixture)

pytestmark = pytest.mark.stack


def _worker_connections() -> int:
    """Database connections other than ours: one per gunicorn worker that served a request."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def test_a_revoked_key_is_refused_by_every_worker_at_once(gunicorn, api_key) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    url = f"{gunicorn}/api/v1/availability/?skus=ANY-SKU"
    headers = {"Authorization": f"Api-Key {api_key}"}
    for n in range(200):  # until both workers have served (and cached) the key a few times
        assert request(url, headers=headers)[0] == 200
        if n >= 20 and _worker_connections() >= 2:
            break
    assert _worker_connections() >= 2

    ApiKey.objects.update(revoked_at=timezone.now())

    assert [request(url, headers=headers)[0] for _ in range(20)] == [401] * 20
