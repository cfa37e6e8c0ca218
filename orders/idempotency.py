"""Idempotency-Key handling (IETF draft semantics) for creating POSTs.

- same key + same body -> the stored first response (header `Idempotent-Replayed: true`);
- same key + different body -> 422 `idempotency_key_reused`;
- same key while the first request is still running -> 409 `idempotency_in_progress`;
- missing key -> 400 `idempotency_key_missing`.
The key is claimed in its own short transaction (so concurrent twins see it at once); the
response is stored in the same transaction as the change, so a crash can never leave an
order without its stored response. Failed requests free the key: a retry runs again
(a refusal such as out_of_stock may succeed later).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from oms.models import Channel

from .errors import IdempotencyInProgress, IdempotencyKeyMissing, IdempotencyKeyReused
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"


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
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                channel=channel, scope=scope, key=key, request_hash=fingerprint
            )
    except IntegrityError:
        record = IdempotencyRecord.objects.filter(channel=channel, scope=scope, key=key).first()
        if record is None:  # the first request failed and freed the key meanwhile
            raise IdempotencyInProgress()
        if record.request_hash != fingerprint:
            raise IdempotencyKeyReused()
        if not record.completed:
            raise IdempotencyInProgress()
        return Response(
            record.response_body,
            status=record.response_status,
            headers={"Idempotent-Replayed": "true"},
        )
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
