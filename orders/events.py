"""Order events: the append-only history, audit trail and status-hub feed of an order.

One constructor per event type keeps the payloads consistent. Events are collected while a
service runs and written in one insert at the end, each with an outbox row so the status
hub can push it to subscribers (same transaction: nothing is lost, nothing is sent for a
change that rolled back). The routing decisions a service makes are collected by the same
recorder and written with its events.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.utils import timezone

from oms.models import OutboxMessage

from .models import Order, OrderEvent, RoutingDecision


class EventType:
    PLACED = "order_placed"
    WAITING = "order_waiting"
    ROUTED = "order_routed"
    ESCALATED = "order_escalated"
    COMPLETED = "order_completed"
    CANCELLED = "order_cancelled"
    FULFILMENT_CREATED = "fulfilment_created"
    FULFILMENT_TRANSITION = "fulfilment_state_changed"
    FULFILMENT_REJECTED = "fulfilment_rejected"
    FULFILMENT_SHORT_PICKED = "fulfilment_short_picked"
    FULFILMENT_CANCELLED = "fulfilment_cancelled"
    REROUTED = "order_rerouted"
    ADDRESS_CHANGED = "address_changed"
    CUSTOMER_CHANGED = "customer_changed"
    DELIVERY_CHANGED = "delivery_option_changed"
    LINE_QUANTITY_CHANGED = "line_quantity_changed"
    LINE_CANCELLED = "line_cancelled"
    NOTE_ADDED = "note_added"
    HOLD_CONSUMED = "checkout_hold_consumed"


class EventRecorder:
    """Collects an order's events during one service call; `flush` writes them at once.

    Sequence numbers come from `order.event_count`, safe because the order row is locked
    (or brand new) for the whole service call.
    """

    def __init__(self, order: Order, actor: str) -> None:
        self.order = order
        self.actor = actor
        self.pending: list[OrderEvent] = []
        self.decisions: list[RoutingDecision] = []

    def add_decision(self, decision: RoutingDecision) -> None:
        """A routing decision log, written by `flush` with the events."""
        self.decisions.append(decision)

    def add(self, type_: str, **data: Any) -> None:
        self.order.event_count += 1
        self.pending.append(
            OrderEvent(
                order=self.order,
                sequence=self.order.event_count,
                type=type_,
                actor=self.actor,
                data=data,
            )
        )

    def flush(self) -> None:
        """Write the collected events, their outbox messages and the routing decisions
        (one statement on PostgreSQL, one per table elsewhere)."""
        if not self.pending and not self.decisions:
            return
        messages = [
            OutboxMessage(
                topic=f"order.{event.type}",
                payload={
                    "order_id": self.order.pk,
                    "channel": self.order.channel_id,
                    "external_reference": self.order.external_reference,
                    "sequence": event.sequence,
                    "type": event.type,
                    "actor": event.actor,
                    "data": event.data,
                },
            )
            for event in self.pending
        ]
        if connection.vendor == "postgresql":
            _insert_history(self.pending, messages, self.decisions)
        else:
            OrderEvent.objects.bulk_create(self.pending)
            OutboxMessage.objects.bulk_create(messages)
            RoutingDecision.objects.bulk_create(self.decisions)
        self.pending = []
        self.decisions = []


_HISTORY_SQL = f"""
WITH events AS (
    INSERT INTO {OrderEvent._meta.db_table} (order_id, sequence, type, actor, data, created_at)
    SELECT * FROM unnest(
        %s::bigint[], %s::integer[], %s::text[], %s::text[], %s::jsonb[], %s::timestamptz[]
    )
),
decisions AS (
    INSERT INTO {RoutingDecision._meta.db_table}
        (order_id, trigger, strategy_version_id, routable, log, created_at)
    SELECT * FROM unnest(
        %s::bigint[], %s::text[], %s::bigint[], %s::boolean[], %s::jsonb[], %s::timestamptz[]
    )
)
INSERT INTO {OutboxMessage._meta.db_table}
    (topic, payload, status, attempts, available_at, created_at, delivered_at, last_error)
SELECT topic, payload, %s, 0, at, at, NULL, ''
FROM unnest(%s::text[], %s::jsonb[], %s::timestamptz[]) AS m (topic, payload, at)
"""


def _insert_history(
    events: list[OrderEvent], messages: list[OutboxMessage], decisions: list[RoutingDecision]
) -> None:
    """Events, outbox messages and routing decisions in one round trip. JSON is encoded as
    the models' JSONFields do (json.dumps, no custom encoder)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _HISTORY_SQL,
            [
                [e.order_id for e in events],
                [e.sequence for e in events],
                [e.type for e in events],
                [e.actor for e in events],
                [json.dumps(e.data) for e in events],
                [now] * len(events),
                [d.order_id for d in decisions],
                [d.trigger for d in decisions],
                [d.strategy_version_id for d in decisions],
                [d.routable for d in decisions],
                [json.dumps(d.log) for d in decisions],
                [now] * len(decisions),
                OutboxMessage.Status.PENDING,
                [m.topic for m in messages],
                [json.dumps(m.payload) for m in messages],
                [now] * len(messages),
            ],
        )
