"""Who is calling: the channel and the actor string used in ledgers and audit trails."""

from __future__ import annotations

from typing import Any

from oms.models import ApiKey, Channel


def request_key(request: Any) -> ApiKey:
    return request.auth


def request_channel(request: Any) -> Channel:
    return request.auth.channel


def request_actor(request: Any) -> str:
    return f"api-key:{request.auth.prefix}"


def user_actor(user: Any) -> str:
    return f"user:{user.get_username()}" if user is not None else "system"
