"""API authentication: `Authorization: Api-Key <key>`; the key's channel scopes every request."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from oms.models import ApiKey

from .key_cache import api_key_lookup, cached_key

KEYWORD = "Api-Key"
_LAST_USED_RESOLUTION_SECONDS = 300
# The HttpRequest attribute that holds the versions of a key handed out unchecked.
UNCHECKED = "oms_unchecked_api_key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Looks the key up by its public prefix and compares hashes in constant time; the key
    and its channel come from a per-process cache checked on every request (key_cache.py)."""

    def authenticate(self, request: Any) -> tuple[None, ApiKey] | None:
        credentials = read_credentials(request)
        if credentials is None:
            return None
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if getattr(view, "checks_key_in_statement", False):
            # The view checks a cached key in the statement of its answer (availability):
            # oms/api/key_in_statement.py; anything else is checked here, as usual.
            cached = cached_key(prefix=credentials[0], raw_key=credentials[1])
            if cached is not None:
                setattr(request._request, UNCHECKED, cached[1])
                return (None, cached[0])
        key = api_key_lookup(prefix=credentials[0], raw_key=credentials[1])
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        touch_last_used(key)
        return (None, key)

    def authenticate_header(self, request: Any) -> str:
        return KEYWORD


def touch_last_used(key: ApiKey) -> None:
    """Touch last_used_at at most every few minutes: a write per request would make the
    hottest read path (availability) a writing one."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > (
        _LAST_USED_RESOLUTION_SECONDS
    ):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)


def read_credentials(request: Any) -> tuple[str, str] | None:
    """(prefix, raw key) from the Authorization header; None without one."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme != KEYWORD or not raw.strip():
        raise exceptions.AuthenticationFailed("Use the header 'Authorization: Api-Key <key>'.")
    raw = raw.strip()
    parts = raw.split("_")
    if len(parts) < 3 or parts[0] != "oms":
        raise exceptions.AuthenticationFailed("Invalid API key.")
    return parts[1], raw


class HasChannelApiKey(permissions.BasePermission):
    """Every API request needs a valid key; views may also require a scope."""

    def has_permission(self, request: Any, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            raise exceptions.NotAuthenticated()
        required = getattr(view, "required_scope", None)
        if required and not key.has_scope(required):
            raise exceptions.PermissionDenied(f"This API key lacks the '{required}' scope.")
        return True


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "oms.api.auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`; create keys in the admin or with "
            "`manage.py create_api_key`.",
        }
