"""`/health/`: is this instance able to serve? The database and the broker must answer.

Cheap enough for a load balancer to call every few seconds: `SELECT 1` on the default
connection and a Redis `PING` with a one-second timeout (only when REDIS_URL names a
broker; without it jobs run in-process and there is nothing to reach). No authentication,
and nothing in the answer that a stranger could use (no hosts, no error texts).
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 1.0


@lru_cache(maxsize=4)
def redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=BROKER_TIMEOUT_SECONDS, socket_connect_timeout=BROKER_TIMEOUT_SECONDS
    )


def database_check() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health: the database is not reachable")
        return {"ok": False}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def broker_check() -> dict[str, Any]:
    url = settings.REDIS_URL
    if not url:
        return {"ok": True, "kind": "in-process"}
    started = time.perf_counter()
    try:
        redis_client(url).ping()
    except Exception:
        logger.exception("health: the broker (Redis) is not reachable")
        return {"ok": False, "kind": "redis"}
    return {"ok": True, "kind": "redis", "ms": round((time.perf_counter() - started) * 1000, 1)}


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """200 `{"status": "ok", ...}` when the database and the broker answer, else 503."""
    checks = {"database": database_check(), "broker": broker_check()}
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )
