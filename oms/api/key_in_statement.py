"""The API key checked in the statement that computes a view's answer: one round trip instead
of two for the hottest read (availability), and in the first statement of order intake's
transaction (its idempotency claim, orders/idempotency.py). How it stays as strict as the
usual check: oms/api/key_cache.py; tests: tests/api/test_key_in_statement.py and
tests/api/test_intake_key_check.py."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.views import APIView

from .auth import UNCHECKED, read_credentials, touch_last_used
from .key_cache import Unchecked, api_key_lookup, value_if_current


class ChecksKeyInStatement(APIView):
    """A view that may get a cached API key unchecked (ApiKeyAuthentication hands it out when
    its secret matches) and checks it in the statement of its answer with
    `value_with_key_check`, or in a statement of its own (`key_checked` once it passed). Any
    other answer (an error, a response built some other way) is preceded by the usual check,
    so an unchecked key never gets an answer: a revoked one gets a 401.

    Permissions (a required scope) are decided before the statement, on the cached copy.
    When the check finds that the key's row changed, they are decided again on the current
    key (`check_key_now`) before anything is answered or written: a scope taken away gets
    its 403. A view that writes must check the key before its first change (intake checks it
    in the transaction's first statement)."""

    checks_key_in_statement = True  # read by ApiKeyAuthentication

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        if unchecked_key(request) is not None:
            try:
                check_key_now(request)
            except exceptions.APIException as failed:
                response = self.handle_exception(failed)
        return super().finalize_response(request, response, *args, **kwargs)


def value_with_key_check(request: Any, expression: str, params: dict[str, Any]) -> tuple[bool, Any]:
    """(True, the SQL `expression`'s value) computed in one statement with the check of the
    request's unchecked key; (False, None) when there was none to check or it had changed:
    then `request.auth` is the key as checked now (it may raise AuthenticationFailed), and
    the caller computes its answer with it (its channel may have changed too)."""
    unchecked = unchecked_key(request)
    if unchecked is None:
        return False, None
    current, value = value_if_current(unchecked, expression, params)
    if not current:
        check_key_now(request)
        return False, None
    key_checked(request)
    return True, value


def key_checked(request: Any) -> None:
    """The request's unchecked key was found current in a view's own statement."""
    setattr(request._request, UNCHECKED, None)
    touch_last_used(request.auth)


def unchecked_key(request: Any) -> Unchecked | None:
    return getattr(getattr(request, "_request", request), UNCHECKED, None)


def check_key_now(request: Any) -> None:
    """The usual check of the request's key (raises AuthenticationFailed); it becomes
    `request.auth`, and the view's permissions are decided again on it (they were decided on
    the cached copy; raises PermissionDenied)."""
    unchecked = unchecked_key(request)
    setattr(request._request, UNCHECKED, None)
    credentials = read_credentials(request)
    key = (
        api_key_lookup(prefix=unchecked.prefix, raw_key=credentials[1])
        if unchecked is not None and credentials is not None
        else None
    )
    if key is None:
        raise exceptions.AuthenticationFailed("Invalid API key.")
    touch_last_used(key)
    request.auth = key
    view = (getattr(request, "parser_context", None) or {}).get("view")
    if view is not None:
        view.check_permissions(request)
