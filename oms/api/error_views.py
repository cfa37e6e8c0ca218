"""The API's answer when Django, not a DRF view, answers: the error body everywhere under /api/.

DRF's exception handler (`oms.api.exceptions`) shapes every error an API view raises. Some
requests never reach one: a path no route matches (an order id that is not a number, a typo),
a request Django refuses before routing (a disallowed host, too many fields), or an exception
no handler caught. Django answers those with its HTML pages; under /api/ they are answered here
with the same `{"code", "message", "details"}` body as every other API error, and everything
else (the admin, /health/) keeps Django's pages.

- `unknown_endpoint`: the last route under /api/ (oms/urls.py), so a path no route matched gets
  the JSON 404 with DEBUG on too (Django shows its technical 404 page, not `handler404`, then);
  it matches paths ending in a slash only, so APPEND_SLASH still sends `/api/v1/orders` on to
  `/api/v1/orders/`.
- `not_found`, `bad_request`, `permission_denied`, `server_error`: Django's `handler404`,
  `handler400`, `handler403` and `handler500` (oms/urls.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from oms.api.exceptions import error_body

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _error(status: int, code: str, message: str, details: Any = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=status)


def unknown_endpoint(request: HttpRequest, path: str = "") -> HttpResponse:
    """No route under /api/ matches this path."""
    return _error(
        404,
        "not_found",
        "No such endpoint; check the path, and that an id is a number.",
        {"path": request.path},
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return unknown_endpoint(request)
    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return _error(400, "bad_request", "The request was refused before it reached the API.")
    return defaults.bad_request(request, exception)  # type: ignore[arg-type]


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return _error(403, "permission_denied", "Permission denied.")
    return defaults.permission_denied(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return _error(500, "error", "Unexpected error; it has been logged.")
    return defaults.server_error(request)
