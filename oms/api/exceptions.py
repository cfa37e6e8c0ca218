"""One place where errors become HTTP responses: `{"code", "message", "details"}`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from oms.api.error_codes import ERROR_CODES
from oms.errors import OMSError

_DRF_CODES: dict[type[exceptions.APIException], tuple[str, int]] = {
    exceptions.ParseError: ("malformed_request", status.HTTP_400_BAD_REQUEST),
    exceptions.AuthenticationFailed: ("authentication_failed", status.HTTP_401_UNAUTHORIZED),
    exceptions.NotAuthenticated: ("not_authenticated", status.HTTP_401_UNAUTHORIZED),
    exceptions.PermissionDenied: ("permission_denied", status.HTTP_403_FORBIDDEN),
    exceptions.NotFound: ("not_found", status.HTTP_404_NOT_FOUND),
    exceptions.MethodNotAllowed: ("method_not_allowed", status.HTTP_405_METHOD_NOT_ALLOWED),
    exceptions.NotAcceptable: ("not_acceptable", status.HTTP_406_NOT_ACCEPTABLE),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", 415),
    exceptions.Throttled: ("throttled", status.HTTP_429_TOO_MANY_REQUESTS),
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The error body every API error answers with (also `oms.api.error_views`)."""
    return {"code": code, "message": message, "details": details if details is not None else {}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, OMSError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        return Response(error_body("not_found", "Not found."), status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(error_body("permission_denied", "Permission denied."), status=403)
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            error_body("invalid_request", "The request is malformed; see details.", exc.detail),
            status=400,
        )
    if isinstance(exc, exceptions.APIException):
        code, http_status = _DRF_CODES.get(type(exc), ("error", exc.status_code))
        headers = {}
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            headers["WWW-Authenticate"] = "Api-Key"
        return Response(error_body(code, str(exc.detail)), status=http_status, headers=headers)
    return None


class ErrorSerializer(serializers.Serializer):
    """The error body every endpoint answers with (documented in the schema)."""

    code = serializers.ChoiceField(
        choices=sorted(ERROR_CODES),
        help_text="Stable machine-readable error code:\n"
        + "\n".join(f"- `{code}`: {meaning}" for code, meaning in ERROR_CODES.items()),
    )
    message = serializers.CharField(help_text="Human-readable explanation.")
    details = serializers.JSONField(help_text="Error-specific details (fields, lines, rows).")


def error_responses(*statuses: int) -> dict[int, Any]:
    """OpenAPI responses for the given error statuses (plus 401 for every endpoint)."""
    from drf_spectacular.utils import OpenApiResponse

    descriptions = {
        400: "Malformed request (`invalid_request`, `malformed_request`; lists: `invalid_page`).",
        401: "Missing or invalid API key.",
        403: "The key lacks the scope this endpoint needs.",
        404: "Missing, or not your channel's (`not_found`).",
        409: "Conflict with current state or stock.",
        412: "`If-Match` is stale (`precondition_failed`).",
        422: "Well-formed request that breaks a business rule.",
        428: "`If-Match` header required (`precondition_required`).",
    }
    wanted = sorted(set(statuses) | {401})
    return {
        s: OpenApiResponse(ErrorSerializer, description=descriptions.get(s, "")) for s in wanted
    }
