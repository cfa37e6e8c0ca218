"""The channel-wide event feed: published messages in commit order, read with a cursor.

Ids are handed out when a row is inserted, not when its transaction commits, so reading
"id > last seen id" skips a row whose transaction commits after a later id was read. Each
message stores the id of its writing transaction (`txid`, `pg_current_xact_id()`), and the
feed only shows rows whose `txid` is below the oldest transaction still running when the
read starts (`pg_snapshot_xmin(pg_current_snapshot())`): every such transaction has ended,
so no row can appear later below that horizon. Rows are ordered by `(txid, id)` and the
cursor encodes the last `(txid, id)` read; a transaction that commits late has its rows
held back (not skipped) until it ends. Only the reader's own transaction is exempt (its
rows are visible to it and cannot commit later than the read); API reads write nothing.

On SQLite (the quickstart) one writer commits at a time and `txid` is 0, so the order is
plain id order.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from ..errors import OMSError
from ..models import OutboxMessage

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
_PREFIX = "v1."
_BIGINT = 2**63 - 1


class InvalidCursor(OMSError):
    code = "invalid_cursor"
    status = 400
    default_message = "The cursor is not one this feed returned."


@dataclass(frozen=True)
class FeedPosition:
    txid: int
    id: int


@dataclass(frozen=True)
class FeedPage:
    messages: list[OutboxMessage]
    next: str
    has_more: bool


def cursor_encode(position: FeedPosition) -> str:
    raw = f"{_PREFIX}{position.txid}.{position.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> FeedPosition:
    """The position in `cursor`; InvalidCursor for anything this feed did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not raw.startswith(_PREFIX):
            raise ValueError(raw)
        txid_text, id_text = raw[len(_PREFIX) :].split(".")
        position = FeedPosition(txid=int(txid_text), id=int(id_text))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor(details={"after": cursor[:100]}) from exc
    if not (txid_text.isdigit() and id_text.isdigit()) or max(position.txid, position.id) > _BIGINT:
        raise InvalidCursor(details={"after": cursor[:100]})
    return position


START = FeedPosition(txid=0, id=0)

# Rows of every transaction that has ended, plus the reader's own (visible to it already).
_HORIZON_SQL = (
    "({table}.txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
    " OR {table}.txid = pg_current_xact_id_if_assigned()::text::bigint)"
)


def feed_queryset(
    *,
    channel_id: int,
    after: FeedPosition = START,
    types: Sequence[str] = (),
    order_ids: QuerySet | None = None,
) -> QuerySet[OutboxMessage]:
    """The channel's published messages after `after`, in feed order. `order_ids` (a
    queryset of order ids) narrows it, e.g. to a location's orders."""
    qs = OutboxMessage.objects.filter(channel_id=channel_id).filter(
        Q(txid__gt=after.txid) | Q(txid=after.txid, id__gt=after.id)
    )
    if connection.vendor == "postgresql":
        table = OutboxMessage._meta.db_table
        horizon = _HORIZON_SQL.format(table=connection.ops.quote_name(table))
        qs = qs.filter(RawSQL(horizon, [], output_field=BooleanField()))
    if types:
        qs = qs.filter(topic__in=list(types))
    if order_ids is not None:
        qs = qs.filter(order_id__in=order_ids)
    return qs.order_by("txid", "id")


def feed_page(
    *,
    channel_id: int,
    after: FeedPosition = START,
    types: Sequence[str] = (),
    limit: int = DEFAULT_LIMIT,
    order_ids: QuerySet | None = None,
) -> FeedPage:
    """Up to `limit` messages after `after` and the cursor to continue from (the same
    cursor again when nothing new is visible, so a poller can always send `next` back)."""
    limit = max(1, min(limit, MAX_LIMIT))
    rows = list(
        feed_queryset(channel_id=channel_id, after=after, types=types, order_ids=order_ids)[
            : limit + 1
        ]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = FeedPosition(txid=rows[-1].txid, id=rows[-1].pk) if rows else after
    return FeedPage(messages=rows, next=cursor_encode(last), has_more=has_more)
