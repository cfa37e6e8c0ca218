"""Per-process cache of API keys and their channels, checked against the database on every
request (docs/scaling.md, "Per-process caches").

Each request still asks PostgreSQL one question, by the key's unique prefix: is the key
unrevoked and its channel active, and what are the row versions of the key and of the channel?
A row version is its `xmin` (the transaction that wrote it) with its `ctid` (where it lives):
every UPDATE, however it is made (save, `QuerySet.update`, raw SQL, another machine), writes a
new version, from another transaction or, within one transaction, at another place while the
old one still exists. So it is a revocation stamp that nobody can forget to bump. When both
versions equal those of the cached rows, the cached key and channel are used (copies, so one
request cannot change another's); otherwise they are loaded again. A revoked key, a deactivated
channel, changed scopes or a new routing stamp are therefore seen by the next request in every
worker, as without the cache; what the cache saves is building the query and two model
instances per request (the check is one prepared statement that returns one short row).

The raw key is compared with the stored hash on every request, cached or not. Without
PostgreSQL (the SQLite quickstart) there is no `xmin` and nothing is cached.

A view whose answer is one SQL expression (availability, the hottest read) can ask the same
question in its own statement instead: `cached_key` hands out the cached key once the secret
matches, marked as not yet checked, and `value_if_current` evaluates the view's expression in
one statement with the check, only when both versions are still the cached ones. One round
trip instead of two; the answer and the check read the same snapshot. Any other outcome
(another version, a revoked key, an error before the statement) goes through `api_key_lookup`
before anything is answered (oms/api/key_in_statement.py).
"""

from __future__ import annotations

import copy
import hmac
import threading
from functools import cache
from typing import Any, NamedTuple, TypeVar

from django.db import connection
from django.db.models import Model

from oms.models import ApiKey, Channel, hash_api_key
from oms.postgresql.direct import fetch_row

M = TypeVar("M", bound=Model)

# Keys per process; past this the cache starts over (a process serves a few channels' keys).
MAX_ENTRIES = 1024

_entries: dict[str, tuple[str, str, ApiKey]] = {}  # prefix -> (key xmin, channel xmin, key)
_lock = threading.Lock()
# A row version: the transaction that wrote it (`xmin`) and where it lives (`ctid`).
_VERSIONS = "k.xmin::text || k.ctid::text", "c.xmin::text || c.ctid::text"
# The key by its prefix, unrevoked, with its channel, active.
_ACTIVE_KEY = (
    "FROM {key} k JOIN {channel} c ON c.id = k.channel_id "
    "WHERE k.prefix = {prefix} AND k.revoked_at IS NULL AND c.active"
)


@cache
def _check_sql() -> str:
    return f"SELECT {_VERSIONS[0]}, {_VERSIONS[1]} " + _active_key("%s")


@cache
def _current_sql(expression: str) -> str:
    """The check and a view's expression in one statement: the expression is evaluated only
    when both rows are still the cached versions (CASE evaluates its branch lazily). No row:
    the key is revoked or unknown, or its channel inactive."""
    return (
        f"SELECT v.current, CASE WHEN v.current THEN ({expression}) END FROM ("
        f"{_current('%(oms_key_version)s', '%(oms_channel_version)s', '%(oms_prefix)s')}) v"
    )


def _current(key_version: str, channel_version: str, prefix: str) -> str:
    """One row, `current`: whether both rows are still these versions; no row when the key
    is revoked or unknown or its channel inactive. Placeholders as given."""
    return (
        f"SELECT {_VERSIONS[0]} = {key_version} AND {_VERSIONS[1]} = {channel_version} "
        f"AS current {_active_key(prefix)}"
    )


@cache
def current_subquery() -> str:
    """The check as a subquery for a view's own statement (`%s` placeholders; parameters:
    `current_params`): one row whose `current` is true when the key is unrevoked, its
    channel active and both rows still the versions it was cached at; false or no row
    otherwise. Intake's idempotency claim carries it (orders/idempotency.py)."""
    return _current("%s", "%s", "%s")


def current_params(unchecked: Unchecked) -> list[str]:
    return [unchecked.key_version, unchecked.channel_version, unchecked.prefix]


def _active_key(prefix: str) -> str:
    return _ACTIVE_KEY.format(
        key=ApiKey._meta.db_table, channel=Channel._meta.db_table, prefix=prefix
    )


class Unchecked(NamedTuple):
    """A cached key handed out before its rows were checked: the versions it was cached at."""

    prefix: str
    key_version: str
    channel_version: str


def cached_key(*, prefix: str, raw_key: str) -> tuple[ApiKey, Unchecked] | None:
    """A copy of the cached key with this prefix if `raw_key` matches its hash, without asking
    the database; None when nothing is cached (then use `api_key_lookup`) or the secret does
    not match. Whoever takes it must check it with `value_if_current` (or `api_key_lookup`)
    before answering anything."""
    hit = _entries.get(prefix)
    if hit is None or not hmac.compare_digest(hit[2].key_hash, hash_api_key(raw_key)):
        return None
    return _copy(hit[2]), Unchecked(prefix, hit[0], hit[1])


def value_if_current(
    unchecked: Unchecked, expression: str, params: dict[str, Any]
) -> tuple[bool, Any]:
    """(True, the value of the SQL `expression`) when the key is unrevoked, its channel active
    and both rows still the versions `unchecked` was cached at; (False, None) otherwise, and
    the expression is not evaluated. `expression` takes named parameters (`params`); a text
    value comes as the server's bytes (oms/postgresql/direct.py: this is the hottest read)."""
    row = fetch_row(
        connection,
        _current_sql(expression),
        {
            **params,
            "oms_prefix": unchecked.prefix,
            "oms_key_version": unchecked.key_version,
            "oms_channel_version": unchecked.channel_version,
        },
    )
    if row is None or not row[0]:
        return False, None
    return True, row[1]


def api_key_lookup(*, prefix: str, raw_key: str) -> ApiKey | None:
    """The active key with this prefix whose hash matches `raw_key`, with its channel; None
    for an unknown, revoked or mismatching key or an inactive channel. One statement."""
    if connection.vendor != "postgresql":
        return _load(prefix, raw_key)
    with connection.cursor() as cursor:
        cursor.execute(_check_sql(), [prefix])
        row = cursor.fetchone()
    if row is None:
        _entries.pop(prefix, None)
        return None
    key_version, channel_version = row
    hit = _entries.get(prefix)
    if hit is not None and hit[0] == key_version and hit[1] == channel_version:
        cached = hit[2]
        if not hmac.compare_digest(cached.key_hash, hash_api_key(raw_key)):
            return None
        return _copy(cached)
    key = _load(prefix, raw_key)
    if key is not None:
        with _lock:
            if len(_entries) >= MAX_ENTRIES:
                _entries.clear()
            # The versions read above: if the rows changed in between, the next request
            # sees other versions and loads again.
            _entries[prefix] = (key_version, channel_version, _copy(key))
    return key


def _copy(key: ApiKey) -> ApiKey:
    duplicate = _clone(key)
    duplicate.scopes = list(key.scopes or [])
    duplicate._state.fields_cache["channel"] = _clone(key.channel)
    return duplicate


def _clone(instance: M) -> M:
    """What `copy.copy` of a model instance gives (its own `_state` and relation cache, the
    field values shared), without the pickling protocol it goes through (4x the time)."""
    duplicate = instance.__class__.__new__(instance.__class__)
    duplicate.__dict__.update(instance.__dict__)
    state = copy.copy(instance._state)
    state.fields_cache = dict(instance._state.fields_cache)
    duplicate._state = state
    return duplicate


def _load(prefix: str, raw_key: str) -> ApiKey | None:
    key = (
        ApiKey.objects.select_related("channel")
        .filter(prefix=prefix, revoked_at__isnull=True, channel__active=True)
        .first()
    )
    if key is None or not key.matches(raw_key):
        return None
    return key


def clear() -> None:
    """Forget this process's entries (tests)."""
    with _lock:
        _entries.clear()
