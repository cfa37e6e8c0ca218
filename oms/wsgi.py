"""WSGI entry point (gunicorn oms.wsgi): the REST API and the site, each with its middleware.

The API (`/api/v1/`) authenticates every request with an API key and answers JSON: it needs
none of the session, CSRF, user, messages, clickjacking and static-file middleware the admin
needs, and skipping them is about 8 % of an availability read (benchmarks/README.md). So API
requests go to a handler built with `settings.API_MIDDLEWARE` (security headers, common), and
everything else (admin, API documentation, health, metrics) to Django's handler with
`settings.MIDDLEWARE`. Both share settings, URLs and database connections. Tests:
tests/integration/test_wsgi_dispatch.py.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import get_resolver

API_PREFIX = "/api/v1/"
# Objects allocated between two young-generation collections (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


class ApiHandler(WSGIHandler):
    """Django's WSGI handler with the API's middleware list instead of MIDDLEWARE."""

    def load_middleware(self, is_async: bool = False) -> None:
        with middleware_setting(settings.API_MIDDLEWARE):
            super().load_middleware(is_async)


@contextmanager
def middleware_setting(names: list[str]) -> Iterator[None]:
    """MIDDLEWARE reads as `names` inside: Django's loader reads settings.MIDDLEWARE, so a
    handler built here gets that list. Only while a handler is built (at start-up, before any
    request; the tests' API client does the same)."""
    site = settings.MIDDLEWARE
    settings.MIDDLEWARE = names
    try:
        yield
    finally:
        settings.MIDDLEWARE = site


def build() -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    django.setup(set_prefix=False)
    site = WSGIHandler()
    api = ApiHandler()
    gc_settle()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO", "").startswith(API_PREFIX):
            return api(environ, start_response)
        return site(environ, start_response)

    return application


def gc_settle() -> None:
    """Tune the cyclic garbage collector for a long-running web process, once it is loaded.

    Everything loaded so far (Django, the apps, the URLconf) lives as long as the process:
    `gc.freeze()` moves it out of the collector's view, so a full collection no longer walks
    it (one took ~70 ms here, once every few hundred orders). A request allocates thousands
    of short-lived objects (model instances, the decision log's dicts); collecting the young
    generation every 10,000 allocations instead of every 700 leaves fewer collections per
    request for the same garbage. Measured: collector time per order 0.29 -> 0.06 ms
    (benchmarks/README.md, "third session")."""
    get_resolver().url_patterns  # noqa: B018  (imports every view before the freeze)
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.production")
application = build()
