"""Order events: the append-only history, audit trail and status-hub feed of an order.

Events are built with the typed constructors of `event_types.py` (one per type), collected
while a service runs and written in one insert at the end. Public events are published in
the same statement: a message row (`OutboxMessage`) and one delivery row per target that
wants it (`oms/hub`), so nothing is lost and nothing is sent for a change that rolled back.
The routing decisions a service makes are collected by the same recorder and written with
its events.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Field
from django.utils import timezone

from oms.db import json_param
from oms.hub.publish import (
    PUBLISH_DELIVERIES_INSERT,
    PUBLISH_MESSAGES_CTE,
    messages_publish,
    nudge_workers_on_commit,
    publish_sql_params,
)
from oms.hub.targets import MessageDraft, PlannedDelivery, plan_deliveries

from . import event_types as et
from .decision_logs import decision_log_compact
from .models import Order, OrderEvent, RoutingDecision


class EventType:
    """The event type names (the classes in `event_types.py` are the constructors)."""

    PLACED = et.OrderPlaced.type
    WAITING = et.OrderWaiting.type
    ROUTED = et.OrderRouted.type
    ESCALATED = et.OrderEscalated.type
    COMPLETED = et.OrderCompleted.type
    CANCELLED = et.OrderCancelled.type
    FULFILMENT_CREATED = et.FulfilmentCreated.type
    FULFILMENT_EXTENDED = et.FulfilmentExtended.type
    FULFILMENT_ACCEPTED = et.FulfilmentAccepted.type
    FULFILMENT_PICKING_STARTED = et.FulfilmentPickingStarted.type
    FULFILMENT_PACKED = et.FulfilmentPacked.type
    FULFILMENT_SHIPPED = et.FulfilmentShipped.type
    FULFILMENT_READY_FOR_PICKUP = et.FulfilmentReadyForPickup.type
    FULFILMENT_PICKED_UP = et.FulfilmentPickedUp.type
    # Written before the lifecycle steps had their own types; kept for stored history.
    FULFILMENT_TRANSITION = "fulfilment_state_changed"
    FULFILMENT_REJECTED = et.FulfilmentRejected.type
    FULFILMENT_SHORT_PICKED = et.FulfilmentShortPicked.type
    FULFILMENT_CANCELLED = et.FulfilmentCancelled.type
    REROUTED = et.OrderRerouted.type
    REROUTE_UNCHANGED = et.RerouteUnchanged.type
    ADDRESS_CHANGED = et.AddressChanged.type
    CUSTOMER_CHANGED = et.CustomerChanged.type
    DELIVERY_CHANGED = et.DeliveryOptionChanged.type
    LINE_QUANTITY_CHANGED = et.LineQuantityChanged.type
    LINE_CANCELLED = et.LineCancelled.type
    TOTALS_CHANGED = et.TotalsChanged.type
    NOTE_ADDED = et.NoteAdded.type
    NOTIFICATION_RESENT = et.NotificationResent.type
    HOLD_CONSUMED = et.CheckoutHoldConsumed.type
    PAYMENT_AUTHORIZED = et.PaymentAuthorized.type
    PAYMENT_CAPTURED = et.PaymentCaptured.type
    PAYMENT_REFUNDED = et.PaymentRefunded.type
    PAYMENT_VOIDED = et.PaymentVoided.type
    CAPTURE_REQUESTED = et.CaptureRequested.type
    VOID_REQUESTED = et.VoidRequested.type
    REFUND_REQUESTED = et.RefundRequested.type
    REFUND_SUCCEEDED = et.RefundSucceeded.type
    REFUND_FAILED = et.RefundFailed.type


class EventRecorder:
    """Collects an order's events during one service call; `flush` writes them at once.

    Sequence numbers come from `order.event_count`, safe because the order row is locked
    (or brand new) for the whole service call.
    """

    def __init__(self, order: Order, actor: str) -> None:
        self.order = order
        self.actor = actor
        self.pending: list[OrderEvent] = []
        self.published: list[MessageDraft] = []
        self.decisions: list[RoutingDecision] = []

    def add_decision(self, decision: RoutingDecision) -> None:
        """A routing decision log, written by `flush` with the events (stored compactly)."""
        decision.log = decision_log_compact(decision.log)
        self.decisions.append(decision)

    def discard_decisions(self) -> None:
        """Forget the collected decisions (a waiting-room retry that decided nothing new)."""
        self.decisions = []

    def add(self, event: et.OrderEventData) -> None:
        """Record one event; public ones are also published to the channel."""
        self.order.event_count += 1
        data = event.as_data()
        self.pending.append(
            OrderEvent(
                order=self.order,
                sequence=self.order.event_count,
                type=event.type,
                actor=self.actor,
                data=data,
                public=event.public,
            )
        )
        if event.public:
            self.published.append(
                MessageDraft(
                    topic=event.type,
                    channel_id=self.order.channel_id,
                    order_id=self.order.pk,
                    sequence=self.order.event_count,
                    payload=message_body(self.order, event, self.order.event_count, data),
                    subject=self.order,
                    # The request's channel (read with its API key) when intake holds it.
                    channel=self.order.channel if Order.channel.is_cached(self.order) else None,
                )
            )

    def flush(self, order_fields: Sequence[str] = ()) -> None:
        """Write the collected events, the published messages with their deliveries and
        the routing decisions (one statement on PostgreSQL, one per table elsewhere).

        `order_fields`: the order's fields to save in the same statement (intake's state,
        strategy and event count: one round trip less). A plain UPDATE of those fields by
        primary key, for an order this transaction created or holds locked."""
        if not self.pending and not self.decisions:
            if order_fields:
                self.order.save(update_fields=order_fields)
            return
        if connection.vendor == "postgresql":
            planned = plan_deliveries(self.published)
            _insert_history(
                self.pending, self.published, planned, self.decisions, self.order, order_fields
            )
            if planned:
                nudge_workers_on_commit()
        else:
            if order_fields:
                self.order.save(update_fields=order_fields)
            OrderEvent.objects.bulk_create(self.pending)
            messages_publish(self.published)
            RoutingDecision.objects.bulk_create(self.decisions)
        self.pending = []
        self.published = []
        self.decisions = []


def message_body(
    order: Order, event: et.OrderEventData, sequence: int, data: dict[str, Any]
) -> dict[str, Any]:
    """The published body (webhooks, the events feed): Standard Webhooks' type / timestamp
    / data, with the order and its per-order sequence beside them."""
    return {
        "type": event.type,
        "version": event.version,
        "timestamp": timezone.now().isoformat(),
        "order_id": order.pk,
        "external_reference": order.external_reference,
        "sequence": sequence,
        "data": data,
    }


# The rows travel as one JSON document per table: a jsonb[] parameter would be sent as an
# array literal, and escaping the quotes of an 18 KB decision log element by element cost
# more CPU than the rest of the statement.
_HISTORY_SQL = f"""
WITH {{order_update}}events AS (
    INSERT INTO {OrderEvent._meta.db_table}
        (order_id, sequence, type, actor, data, public, created_at)
    SELECT e.order_id, e.sequence, e.type, e.actor, e.data, e.public, %(now)s
    FROM jsonb_to_recordset(%(events)s::jsonb)
        AS e (order_id bigint, sequence integer, type text, actor text, data jsonb,
              public boolean)
),
decisions AS (
    INSERT INTO {RoutingDecision._meta.db_table}
        (order_id, trigger, strategy_version_id, routable, log, created_at)
    SELECT d.order_id, d.trigger, d.strategy_version_id, d.routable, d.log, %(now)s
    FROM jsonb_to_recordset(%(decisions)s::jsonb)
        AS d (order_id bigint, trigger text, strategy_version_id bigint, routable boolean,
              log jsonb)
),
{PUBLISH_MESSAGES_CTE.strip()}
{PUBLISH_DELIVERIES_INSERT.strip()}
"""


@cache
def _history_sql(order_fields: tuple[str, ...]) -> tuple[str, tuple[Field, ...]]:
    """The history statement, with an UPDATE of the order's `order_fields` in front."""
    if not order_fields:
        return _HISTORY_SQL.replace("{order_update}", ""), ()
    fields = tuple(Order._meta.get_field(name) for name in order_fields)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %(order_{f.column})s" for f in fields)
    update = (
        f"order_update AS (UPDATE {quote(Order._meta.db_table)} SET {assignments} "
        "WHERE id = %(order_id)s),\n"
    )
    return _HISTORY_SQL.replace("{order_update}", update), fields


def _insert_history(
    events: list[OrderEvent],
    published: list[MessageDraft],
    planned: list[PlannedDelivery],
    decisions: list[RoutingDecision],
    order: Order,
    order_fields: Sequence[str],
) -> None:
    """Events, messages, deliveries and routing decisions (and the order's `order_fields`)
    in one round trip. JSON is encoded as the models' JSONFields do (`oms.db.json_param`)."""
    sql, fields = _history_sql(tuple(order_fields))
    rows = {
        "events": [
            {
                "order_id": e.order_id,
                "sequence": e.sequence,
                "type": e.type,
                "actor": e.actor,
                "data": e.data,
                "public": e.public,
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
    }
    params: dict[str, Any] = {name: json_param(value) for name, value in rows.items()}
    params.update(publish_sql_params(published, planned))
    params["now"] = timezone.now()
    if fields:
        params["order_id"] = order.pk
        for f in fields:
            value = f.pre_save(order, False)
            params[f"order_{f.column}"] = f.get_db_prep_save(value, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
