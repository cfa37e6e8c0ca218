"""API authentication: `Authorization: Api-Key <key>`; the key's channel scopes every request."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from oms.models import ApiKey

from .key_cache import api_key_lookup

KEYWORD = "Api-Key"
_LAST_USED_RESOLUTION_SECONDS = 300


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Looks the key up by its public prefix and compares hashes in constant time; the key
    and its channel come from a per-process cache checked on every request (key_cache.py)."""

    def authenticate(self, request: Any) -> tuple[None, ApiKey] | None:
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
        key = api_key_lookup(prefix=parts[1], raw_key=raw)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        now = timezone.now()
        # Touch last_used_at at most every few minutes: a write per request would make the
        # hottest read path (availability) a writing one.
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > (
            _LAST_USED_RESOLUTION_SECONDS
        ):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return (None, key)

    def authenticate_header(self, request: Any) -> str:
        return KEYWORD


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
