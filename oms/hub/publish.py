"""Publishing messages: the message rows and their deliveries, in the caller's transaction.

`messages_publish` is the ORM path (any database, any message). Order events on
PostgreSQL travel in the history statement of `orders/events.py`, which embeds
`PUBLISH_SQL` so events, messages and deliveries are one round trip. Both register one
on-commit nudge for the workers; if the process dies before it, the sweep finds the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ..db import json_param
from ..models import Delivery, OutboxMessage
from .targets import MessageDraft, PlannedDelivery, plan_deliveries


def current_txid() -> int:
    """The writing transaction's id on PostgreSQL (0 elsewhere: SQLite commits one writer
    at a time, so id order is commit order there)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return int(cursor.fetchone()[0])


def messages_publish(drafts: Sequence[MessageDraft]) -> list[OutboxMessage]:
    """Write the messages and every target's deliveries; must run inside the transaction
    of the change (a rollback then publishes nothing)."""
    if not drafts:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("messages_publish must run inside the transaction of the change")
    now = timezone.now()
    txid = current_txid()
    messages = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                topic=d.topic,
                payload=d.payload,
                channel_id=d.channel_id,
                order_id=d.order_id,
                sequence=d.sequence,
                txid=txid,
                created_at=now,
            )
            for d in drafts
        ]
    )
    planned = plan_deliveries(drafts)
    Delivery.objects.bulk_create(
        [
            Delivery(
                message=messages[p.index],
                kind=p.kind,
                subscription_id=p.subscription_id,
                target=p.target,
                ordering_key=p.ordering_key,
                sequence=drafts[p.index].sequence or 0,
                next_attempt_at=now,
                created_at=now,
            )
            for p in planned
        ]
    )
    if planned:
        nudge_workers_on_commit()
    return messages


def nudge_workers_on_commit() -> None:
    """After commit, tell the workers there is work (once per transaction is enough)."""
    from ..tasks import nudge_delivery_workers

    transaction.on_commit(nudge_delivery_workers)


# The messages and deliveries part of a PostgreSQL statement (a CTE list entry and the final
# INSERT): messages come as one JSON document, deliveries name their message by
# (order_id, sequence), which is unique for order events.
PUBLISH_MESSAGES_CTE = f"""
messages AS (
    INSERT INTO {OutboxMessage._meta.db_table}
        (topic, channel_id, order_id, sequence, payload, txid, created_at)
    SELECT m.topic, m.channel_id, m.order_id, m.sequence, m.payload,
        pg_current_xact_id()::text::bigint, %(now)s
    FROM jsonb_to_recordset(%(messages)s::jsonb)
        AS m (topic text, channel_id bigint, order_id bigint, sequence integer, payload jsonb)
    RETURNING id, order_id, sequence
)"""
PUBLISH_DELIVERIES_INSERT = f"""
INSERT INTO {Delivery._meta.db_table}
    (message_id, kind, subscription_id, target, ordering_key, sequence, status, attempts,
     next_attempt_at, lease_until, last_status_code, last_error, created_at, delivered_at,
     replayed_at, replayed_by, attempts_before_replay)
SELECT m.id, d.kind, d.subscription_id, d.target, d.ordering_key, m.sequence, %(pending)s, 0,
    %(now)s, NULL, NULL, '', %(now)s, NULL, NULL, '', 0
FROM jsonb_to_recordset(%(deliveries)s::jsonb)
    AS d (order_id bigint, sequence integer, kind text, subscription_id bigint, target text,
          ordering_key text)
JOIN messages m ON m.order_id = d.order_id AND m.sequence = d.sequence
"""


def publish_sql_params(
    drafts: Sequence[MessageDraft], planned: Sequence[PlannedDelivery]
) -> dict[str, Any]:
    """Parameters for PUBLISH_MESSAGES_CTE + PUBLISH_DELIVERIES_INSERT (order events only).
    JSON is encoded as the models' JSONFields do (`oms.db.json_param`)."""
    messages = [
        {
            "topic": d.topic,
            "channel_id": d.channel_id,
            "order_id": d.order_id,
            "sequence": d.sequence,
            "payload": d.payload,
        }
        for d in drafts
    ]
    deliveries = [
        {
            "order_id": drafts[p.index].order_id,
            "sequence": drafts[p.index].sequence,
            "kind": p.kind,
            "subscription_id": p.subscription_id,
            "target": p.target,
            "ordering_key": p.ordering_key,
        }
        for p in planned
    ]
    return {
        "messages": json_param(messages),
        "deliveries": json_param(deliveries),
        "pending": Delivery.Status.PENDING,
    }
