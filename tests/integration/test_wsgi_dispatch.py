"""oms.wsgi: API requests run behind API_MIDDLEWARE, the site behind MIDDLEWARE."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest

from tests.factories import ChannelFactory, LocationFactory, ProductFactory, raw_api_key, stock

# The real WSGI handlers open and close connections per request: committed data, no test
# transaction around them.
pytestmark = pytest.mark.django_db(transaction=True)


def _call(
    path: str, query: str = "", headers: dict[str, str] | None = None
) -> tuple[str, dict[str, list[str]], bytes]:
    from oms.wsgi import application

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        **(headers or {}),
    }
    answer: dict[str, Any] = {}

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
    ) -> None:
        answer["status"] = status
        grouped: dict[str, list[str]] = {}
        for name, value in response_headers:
            grouped.setdefault(name.lower(), []).append(value)
        answer["headers"] = grouped

    body = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], body


def test_api_request_skips_the_site_middleware() -> None:
    channel = ChannelFactory(code="web")
    location = LocationFactory(code="wh-1", channels=[channel])
    stock(location, ProductFactory(sku="SKU-1"), on_hand=7)
    key = raw_api_key(channel, ["orders"])

    status, headers, body = _call(
        "/api/v1/availability/", "skus=SKU-1", {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    )
    assert status.startswith("200")
    assert json.loads(body)[0]["available"] == 7
    assert headers["x-content-type-options"] == ["nosniff"]  # SecurityMiddleware ran
    assert "x-frame-options" not in headers  # the clickjacking middleware did not
    assert "set-cookie" not in headers and "vary" not in headers  # nor sessions or CSRF


def test_api_errors_keep_their_codes() -> None:
    status, _, body = _call("/api/v1/availability/", "skus=SKU-1")
    assert status.startswith("401")
    assert json.loads(body)["code"] == "not_authenticated"


def test_site_request_gets_the_site_middleware() -> None:
    status, headers, _ = _call("/admin/login/")
    assert status.startswith("200")
    assert headers["x-frame-options"] == ["DENY"]
    assert any(cookie.strip().startswith("csrftoken=") for cookie in headers["set-cookie"])


def test_the_loaded_process_is_frozen_for_the_collector() -> None:
    import gc

    from oms.wsgi import GC_YOUNG_THRESHOLD, application  # noqa: F401  (built on import)

    assert gc.get_freeze_count() > 10_000  # Django, the apps and every view
    assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
