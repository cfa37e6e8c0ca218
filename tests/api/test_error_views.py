"""Under /api/, the answers Django gives before or after DRF (no route matched, a refused
request, an uncaught exception) carry the API's error body, not Django's HTML pages; the admin
keeps its pages (oms/api/error_views.py)."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import get_resolver

from oms.api import error_views
from oms.api.error_codes import ERROR_CODES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/orders/abc/",  # an id that is not a number: no route matches
        "/api/v1/orders/1/nothing/",
        "/api/v1/no-such-endpoint/",
        "/api/v2/orders/",
        "/api/v1/fulfilments/%0A/picked-up/",  # a newline in the id
    ],
)
@pytest.mark.parametrize("debug", [False, True])
def test_a_path_no_api_route_matches_gets_the_json_404(api_client, path: str, debug: bool) -> None:
    with override_settings(DEBUG=debug):
        response = api_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "not_found" and body["code"] in ERROR_CODES
    assert body["details"] == {"path": unquote(path)}


def test_other_methods_get_it_too(api_client) -> None:
    response = api_client.post("/api/v1/orders/abc/cancel/", {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_missing_slash_is_still_redirected_to_the_route() -> None:
    response = Client().get("/api/v1/orders")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/orders/"


def test_an_existing_route_still_answers_as_before(api_client) -> None:
    response = api_client.get("/api/v1/orders/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "order_not_found"


def test_the_admin_keeps_django_pages() -> None:
    response = Client().get("/admin/no-such-page/x/")
    assert response.status_code in (302, 404)  # the login redirect or Django's page
    assert "application/json" not in response["Content-Type"]
    assert Client().get("/no-such-page/").status_code == 404
    assert "application/json" not in Client().get("/no-such-page/")["Content-Type"]


@pytest.mark.parametrize(
    ("status", "code"), [(400, "bad_request"), (403, "permission_denied"), (500, "error")]
)
def test_djangos_handlers_answer_api_requests_with_the_error_body(status: int, code: str) -> None:
    handler = get_resolver().resolve_error_handler(status)
    api = RequestFactory().get("/api/v1/orders/")
    response = handler(api) if status == 500 else handler(api, exception=Exception("x"))
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == code and code in ERROR_CODES
    page = RequestFactory().get("/admin/")
    other = handler(page) if status == 500 else handler(page, exception=Exception("x"))
    assert other.status_code == status
    assert "application/json" not in other["Content-Type"]


def test_an_uncaught_exception_in_an_api_view_is_a_json_500(api_client, monkeypatch) -> None:
    from orders.api import views

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.OrderListCreateView, "get", broken)
    api_client.raise_request_exception = False
    response = api_client.get("/api/v1/orders/")
    assert response.status_code == 500
    assert response.json() == {
        "code": "error",
        "message": "Unexpected error; it has been logged.",
        "details": {},
    }


def test_is_api_reads_the_path_within_the_application() -> None:
    request = RequestFactory().get("/api/v1/orders/", SCRIPT_NAME="/oms")
    request.path_info = "/api/v1/orders/"
    assert error_views.is_api(request)
