"""Platform writes: API keys and the outbox."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .hub.publish import messages_publish
from .hub.targets import MessageDraft
from .models import ApiKey, Channel, OutboxMessage, hash_api_key


def api_key_create(
    *, channel: Channel, name: str, scopes: list[str] | None = None, created_by: str = ""
) -> tuple[ApiKey, str]:
    """Create a key and return it with the raw secret, which is never stored."""
    valid = {choice.value for choice in ApiKey.Scope}
    scopes = sorted(set(scopes if scopes is not None else [ApiKey.Scope.ORDERS]))
    unknown = [s for s in scopes if s not in valid]
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")
    prefix, raw = ApiKey.generate()
    key = ApiKey.objects.create(
        channel=channel,
        name=name,
        prefix=prefix,
        key_hash=hash_api_key(raw),
        scopes=scopes,
        created_by=created_by,
    )
    return key, raw


def outbox_enqueue(
    *, topic: str, payload: dict[str, Any], channel_id: int | None = None
) -> OutboxMessage:
    """Publish one message (and its deliveries); must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue must be called inside the transaction of the change")
    return messages_publish([MessageDraft(topic=topic, payload=payload, channel_id=channel_id)])[0]
