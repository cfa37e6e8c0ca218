"""Order-intake experiments: monkeypatches that emulate proposed application changes, so their
effect can be measured before anyone edits the app. Benchmark use only, never production.

    .venv/bin/python benchmarks/bench_orders.py --experiments all --breakdown 100
    .venv/bin/python benchmarks/bench_orders.py --experiments auth

Each experiment mirrors one proposal in benchmarks/README.md ("Order intake"):
- auth:       the API key row is kept for a few seconds (a revocation then takes that long).
The earlier experiments (answer from memory, direct output serializer, cached network and
strategy, prepared statements) are now the application's behaviour and were removed.
gunicorn serves them through benchmarks/wsgi_experiments.py (BENCH_ORDERS_EXPERIMENTS).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

EXPERIMENTS = ("auth",)
CACHE_SECONDS = 5.0


def selected(spec: str | None) -> list[str]:
    names = [n.strip() for n in (spec or "").split(",") if n.strip()]
    if names == ["all"]:
        return list(EXPERIMENTS)
    unknown = sorted(set(names) - set(EXPERIMENTS))
    if unknown:
        raise SystemExit(f"unknown experiments {unknown}; choose from {', '.join(EXPERIMENTS)}")
    return names


def apply(names: Sequence[str]) -> None:
    """Install the named experiments (Django must be set up)."""
    if "auth" in names:
        _auth_cache()


class _TTLCache:
    def __init__(self, seconds: float = CACHE_SECONDS) -> None:
        self.seconds = seconds
        self.values: dict[Any, tuple[float, Any]] = {}
        self.lock = threading.Lock()

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        hit = self.values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with self.lock:
            self.values[key] = (now + self.seconds, value)
        return value


# --- auth -------------------------------------------------------------------------------


def _auth_cache() -> None:
    from django.utils import timezone
    from rest_framework import exceptions

    from oms.api import auth
    from oms.models import ApiKey

    cache = _TTLCache()

    def authenticate(self: Any, request: Any) -> tuple[None, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme != auth.KEYWORD or not raw.strip():
            raise exceptions.AuthenticationFailed("Use the header 'Authorization: Api-Key <key>'.")
        raw = raw.strip()
        parts = raw.split("_")
        if len(parts) < 3 or parts[0] != "oms":
            raise exceptions.AuthenticationFailed("Invalid API key.")
        key = cache.get(
            parts[1],
            lambda: (
                ApiKey.objects.select_related("channel")
                .filter(prefix=parts[1], revoked_at__isnull=True, channel__active=True)
                .first()
            ),
        )
        if key is None or not key.matches(raw):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > (
            auth._LAST_USED_RESOLUTION_SECONDS
        ):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return (None, key)

    auth.ApiKeyAuthentication.authenticate = authenticate
