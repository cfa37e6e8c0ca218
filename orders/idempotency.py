"""Idempotency-Key handling (IETF draft semantics) for creating POSTs.

- same key + same body -> the stored first response (header `Idempotent-Replayed: true`);
- same key + different body -> 422 `idempotency_key_reused`;
- same key while the first request is still running -> 409 `idempotency_in_progress`;
- missing key -> 400 `idempotency_key_missing`.
The key is claimed in its own short transaction (so concurrent twins see it at once); the
response is stored in the same transaction as the change, so a crash can never leave an
order without its stored response. Failed requests free the key: a retry runs again
(a refusal such as out_of_stock may succeed later). A claim left incomplete for
ABANDONED_AFTER (its process died before committing, so nothing changed) may be taken over;
keys are kept for KEY_RETENTION.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from oms.models import Channel

from .errors import IdempotencyInProgress, IdempotencyKeyMissing, IdempotencyKeyReused
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
# A claim older than this without a stored response was abandoned (the process died).
ABANDONED_AFTER = timedelta(seconds=120)
# Keys are remembered this long; then a retry with the same key creates a new order.
KEY_RETENTION = timedelta(hours=24)


def _fingerprint(data: Any) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def idempotent(
    *,
    request: Any,
    channel: Channel,
    scope: str,
    handler: Callable[[], tuple[int, Any]],
) -> Response:
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        raise IdempotencyKeyMissing()
    if len(key) > 255:
        raise IdempotencyKeyMissing(
            "The Idempotency-Key is longer than 255 characters.", code="idempotency_key_invalid"
        )
    if not key.isprintable():  # a NUL byte cannot even be stored (a 500, not a 400)
        raise IdempotencyKeyMissing(
            "The Idempotency-Key must be printable text.", code="idempotency_key_invalid"
        )
    fingerprint = _fingerprint(request.data)
    record = None
    for _attempt in range(2):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    channel=channel, scope=scope, key=key, request_hash=fingerprint
                )
            break
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(
                channel=channel, scope=scope, key=key
            ).first()
            if existing is None:  # the first request failed and freed the key meanwhile
                raise IdempotencyInProgress()
            if existing.request_hash != fingerprint:
                raise IdempotencyKeyReused()
            if existing.completed:
                return Response(
                    existing.response_body,
                    status=existing.response_status,
                    headers={"Idempotent-Replayed": "true"},
                )
            # The response is stored in the same transaction as the change, so a claim that
            # stayed incomplete this long belongs to a request that died before committing:
            # nothing was changed, and the key may be claimed again.
            abandoned = IdempotencyRecord.objects.filter(
                pk=existing.pk,
                completed=False,
                created_at__lt=timezone.now() - ABANDONED_AFTER,
            ).delete()[0]
            if not abandoned:
                raise IdempotencyInProgress()
    if record is None:
        raise IdempotencyInProgress()
    try:
        with transaction.atomic():
            status, body = handler()
            IdempotencyRecord.objects.filter(pk=record.pk).update(
                completed=True, response_status=status, response_body=body
            )
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    return Response(body, status=status)


def idempotency_records_purge(*, now: Any = None) -> int:
    """Forget keys past their retention (the periodic job calls this)."""
    now = now or timezone.now()
    return IdempotencyRecord.objects.filter(created_at__lt=now - KEY_RETENTION).delete()[0]
