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
    TOTALS_CHANGED = "totals_changed"
    NOTE_ADDED = "note_added"
    HOLD_CONSUMED = "checkout_hold_consumed"
    PAYMENT_AUTHORIZED = "payment_authorized"
    PAYMENT_CAPTURED = "payment_captured"
    PAYMENT_REFUNDED = "payment_refunded"
    PAYMENT_VOIDED = "payment_voided"
    CAPTURE_REQUESTED = "capture_requested"
    VOID_REQUESTED = "void_requested"
    REFUND_REQUESTED = "refund_requested"
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"


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


# The rows travel as one JSON document per table: a jsonb[] parameter would be sent as an
# array literal, and escaping the quotes of an 18 KB decision log element by element cost
# more CPU than the rest of the statement.
_HISTORY_SQL = f"""
WITH events AS (
    INSERT INTO {OrderEvent._meta.db_table} (order_id, sequence, type, actor, data, created_at)
    SELECT e.order_id, e.sequence, e.type, e.actor, e.data, %(now)s
    FROM jsonb_to_recordset(%(events)s::jsonb)
        AS e (order_id bigint, sequence integer, type text, actor text, data jsonb)
),
decisions AS (
    INSERT INTO {RoutingDecision._meta.db_table}
        (order_id, trigger, strategy_version_id, routable, log, created_at)
    SELECT d.order_id, d.trigger, d.strategy_version_id, d.routable, d.log, %(now)s
    FROM jsonb_to_recordset(%(decisions)s::jsonb)
        AS d (order_id bigint, trigger text, strategy_version_id bigint, routable boolean,
              log jsonb)
)
INSERT INTO {OutboxMessage._meta.db_table}
    (topic, payload, status, attempts, available_at, created_at, delivered_at, last_error)
SELECT m.topic, m.payload, %(pending)s, 0, %(now)s, %(now)s, NULL, ''
FROM jsonb_to_recordset(%(messages)s::jsonb) AS m (topic text, payload jsonb)
"""


def _insert_history(
    events: list[OrderEvent], messages: list[OutboxMessage], decisions: list[RoutingDecision]
) -> None:
    """Events, outbox messages and routing decisions in one round trip. JSON is encoded as
    the models' JSONFields do (json.dumps, no custom encoder)."""
    rows = {
        "events": [
            {
                "order_id": e.order_id,
                "sequence": e.sequence,
                "type": e.type,
                "actor": e.actor,
                "data": e.data,
            }
            for e in events
        ],
        "decisions": [
            {
                "order_id": d.order_id,
                "trigger": d.trigger,
                "strategy_version_id": d.strategy_version_id,
                "routable": d.routable,
                "log": d.log,
            }
            for d in decisions
        ],
        "messages": [{"topic": m.topic, "payload": m.payload} for m in messages],
    }
    params: dict[str, Any] = {name: json.dumps(value) for name, value in rows.items()}
    params.update(now=timezone.now(), pending=OutboxMessage.Status.PENDING)
    with connection.cursor() as cursor:
        cursor.execute(_HISTORY_SQL, params)
