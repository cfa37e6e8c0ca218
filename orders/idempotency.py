"""Idempotency-Key handling (IETF draft semantics) for creating POSTs.

- same key + same body -> the stored first response (header `Idempotent-Replayed: true`);
- same key + different body -> 422 `idempotency_key_reused`;
- same key while the first request is still running -> 409 `idempotency_in_progress`;
- missing key -> 400 `idempotency_key_missing`.

Everything happens in the request's one transaction (docs/decisions/0004-lean-order-intake.md):
the first statement takes a transaction-scoped advisory lock on the key (never waiting: a twin
that finds it taken answers 409 at once) and reads any stored response in the same round
trip; the response is stored by the same transaction as the change, just before it commits.
So a crash can neither leave an order without its stored response nor leave a claim behind
(rolling back frees the lock), and failed requests keep the key free: a retry runs again (a
refusal such as out_of_stock may succeed later). Keys are kept for KEY_RETENTION.
Two different keys in flight at the same instant share an advisory lock only if their 64-bit
hashes collide; one of them would then get a retryable 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.response import Response

from oms.api.key_cache import Unchecked, current_params, current_subquery
from oms.db import execute_then_commit, json_param, pipelined
from oms.errors import OMSError
from oms.models import Channel

from .errors import (
    IdempotencyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
)
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
# Claims without a stored response were written by versions before the single-transaction
# design (their process died before committing): older than this, they may be taken over.
ABANDONED_AFTER = timedelta(seconds=120)
# Keys are remembered this long; then a retry with the same key creates a new order.
KEY_RETENTION = timedelta(hours=24)

_CLAIM_SQL = (
    "SELECT lock.taken, r.id, r.request_hash, r.completed, r.response_status, "
    "r.response_body, r.created_at{current} "
    "FROM (SELECT pg_try_advisory_xact_lock(%s) AS taken) AS lock "
    f"LEFT JOIN {IdempotencyRecord._meta.db_table} AS r "
    "ON r.channel_id = %s AND r.scope = %s AND r.key = %s{check}"
)


@cache
def _claim_sql(checks_key: bool) -> str:
    """The claim; with `checks_key`, also whether the request's cached API key is current
    (oms/api/key_cache.py), read in the same snapshot."""
    if not checks_key:
        return _CLAIM_SQL.format(current="", check="")
    return _CLAIM_SQL.format(
        current=", coalesce(v.current, false)",
        check=f" LEFT JOIN ({current_subquery()}) AS v ON true",
    )


class KeyChanged(Exception):
    """The request's cached API key was not current when the claim checked it (revoked, its
    channel deactivated, or either row changed). The transaction rolled back with nothing
    done: check the key the usual way and start again."""


@dataclass(frozen=True)
class KeyCheck:
    """A cached API key to check in the claim, and what to do once it passed."""

    unchecked: Unchecked
    passed: Callable[[], None]


_STORE_SQL = f"""
INSERT INTO {IdempotencyRecord._meta.db_table}
    (channel_id, key, scope, request_hash, completed, response_status, response_body, created_at)
VALUES (%(channel_id)s, %(key)s, %(scope)s, %(request_hash)s, %(completed)s,
        %(response_status)s, %(response_body)s::jsonb, %(created_at)s)
"""


def request_fingerprint(data: Any) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def idempotency_lock_id(channel_id: int, scope: str, key: str) -> int:
    """A signed 64-bit advisory lock id for (channel, scope, key)."""
    digest = hashlib.blake2b(f"{channel_id}\x00{scope}\x00{key}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _validated_key(request: Any) -> str:
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        raise IdempotencyKeyMissing()
    if len(key) > 255:
        raise IdempotencyKeyInvalid("The Idempotency-Key is longer than 255 characters.")
    if not key.isprintable():  # a NUL byte cannot even be stored (a 500, not a 400)
        raise IdempotencyKeyInvalid("The Idempotency-Key must be printable text.")
    return key


class _Stored:
    """A stored record as the claim read it."""

    def __init__(self, row: tuple) -> None:
        (self.pk, self.request_hash, self.completed, self.status, self.body, self.created_at) = row
        if isinstance(self.body, str):  # the raw query bypasses JSONField's decoding
            self.body = json.loads(self.body)


def _claim(
    channel: Channel, scope: str, key: str, key_check: KeyCheck | None = None
) -> tuple[bool, _Stored | None]:
    """(lock taken, stored record or None), in one statement on PostgreSQL, which also checks
    `key_check`'s API key (raises KeyChanged when it is not current). Elsewhere (the SQLite
    quickstart, whose transactions take the write lock up front) only the read; no key is
    cached there, so there is none to check."""
    if connection.vendor != "postgresql":
        record = (
            IdempotencyRecord.objects.filter(channel=channel, scope=scope, key=key)
            .values_list(
                "pk",
                "request_hash",
                "completed",
                "response_status",
                "response_body",
                "created_at",
            )
            .first()
        )
        return True, _Stored(record) if record else None
    params: list[Any] = [idempotency_lock_id(channel.pk, scope, key), channel.pk, scope, key]
    if key_check is not None:
        params += current_params(key_check.unchecked)
    with connection.cursor() as cursor:
        # The transaction's first statement: pipelined, BEGIN goes out with it in one round
        # trip (oms/postgresql/connection.py).
        with pipelined():
            cursor.execute(_claim_sql(key_check is not None), params)
        taken, *record = cursor.fetchone()
    if key_check is not None:
        if not record.pop():
            raise KeyChanged()
        key_check.passed()
    return bool(taken), _Stored(tuple(record)) if record[0] is not None else None


def _store(
    channel: Channel, scope: str, key: str, fingerprint: str, status: int, body: Any
) -> None:
    """The completed record, in the request's transaction, as its last statement. On
    PostgreSQL one hand-written INSERT with the body written by `oms.db.json_param` (the
    ORM's create cost 0.45 ms of Python per order, this ~0.1 ms), sent with the COMMIT in
    one round trip when the request's transaction is the outermost
    (`oms.db.execute_then_commit`); elsewhere the ORM."""
    record: dict[str, Any] = {
        "channel_id": channel.pk,
        "scope": scope,
        "key": key,
        "request_hash": fingerprint,
        "completed": True,
        "response_status": status,
    }
    if connection.vendor != "postgresql":
        IdempotencyRecord.objects.create(**record, response_body=body)
        return
    execute_then_commit(
        _STORE_SQL, {**record, "response_body": json_param(body), "created_at": timezone.now()}
    )


def _replay(stored: _Stored, fingerprint: str) -> Response:
    if stored.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    return Response(stored.body, status=stored.status, headers={"Idempotent-Replayed": "true"})


def _stored_after_conflict(channel: Channel, scope: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        channel=channel, scope=scope, key=key, completed=True
    ).first()


def idempotent(
    *,
    request: Any,
    channel: Channel,
    scope: str,
    handler: Callable[[], tuple[int, Any]],
    key_check: KeyCheck | None = None,
) -> Response:
    """Run `handler` (-> (status, body)) at most once per key, in one transaction with the
    key's claim and its stored response. With `key_check`, the claim also checks the
    request's cached API key before anything is read or done: KeyChanged when it is not
    current, with the transaction rolled back."""
    key = _validated_key(request)
    fingerprint = request_fingerprint(request.data)
    try:
        with transaction.atomic():
            taken, stored = _claim(channel, scope, key, key_check)
            if stored is not None and stored.completed:
                return _replay(stored, fingerprint)
            if not taken:
                raise IdempotencyInProgress()
            if stored is not None:  # a claim left by an older version (see ABANDONED_AFTER)
                if stored.request_hash != fingerprint:
                    raise IdempotencyKeyReused()
                if stored.created_at >= timezone.now() - ABANDONED_AFTER:
                    raise IdempotencyInProgress()
                IdempotencyRecord.objects.filter(pk=stored.pk).delete()
            status, body = handler()
            _store(channel, scope, key, fingerprint, status, body)
    except (IntegrityError, OMSError):
        # A twin may have committed between our snapshot and our lock (READ COMMITTED reads
        # before the lock is granted): our work rolled back on its unique constraints, or
        # failed on the stock it took. Its stored response is the answer to this request too.
        twin = _stored_after_conflict(channel, scope, key)
        if twin is None:
            raise
        if twin.request_hash != fingerprint:
            raise IdempotencyKeyReused() from None
        return Response(
            twin.response_body,
            status=twin.response_status,
            headers={"Idempotent-Replayed": "true"},
        )
    return Response(body, status=status)


def idempotency_records_purge(*, now: Any = None) -> int:
    """Forget keys past their retention (the periodic job calls this)."""
    now = now or timezone.now()
    return IdempotencyRecord.objects.filter(created_at__lt=now - KEY_RETENTION).delete()[0]
