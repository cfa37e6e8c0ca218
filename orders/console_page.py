"""What the order page shows: lines with their figures, fulfilments, and every action with
whether it is allowed now and, if not, why.

The "why" of an edit comes from `orders.rules`, the same functions the services call before
they change anything; the "why" of a fulfilment step from its declared django-fsm transitions,
which the service fires. A missing permission is a reason too: agents see what exists and whom
to ask.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django_fsm import can_proceed

from inventory.models import Location

from . import rules
from .admin_edits import CANCEL_ORDER, EDIT_ORDER, REROUTE_ORDER, TRANSITION_FULFILMENT
from .admin_notifications import RESEND_NOTIFICATION, customer_emails
from .console import describe_event, event_location_ids
from .console_decisions import describe_decision
from .console_sections import console_line_counts, console_sections
from .forms import FULFILMENT_ACTION_LABELS, TRANSITION_ACTIONS
from .models import FulfilmentState, Order
from .payments.selectors import payment_summary

PERMISSION_NAMES = {
    EDIT_ORDER: "edit orders",
    CANCEL_ORDER: "cancel orders",
    REROUTE_ORDER: "reroute orders",
    TRANSITION_FULFILMENT: "move fulfilments",
}
STATE_NAMES = {state.value: str(state.label).lower() for state in FulfilmentState}


_FINAL = (
    FulfilmentState.SHIPPED,
    FulfilmentState.PICKED_UP,
    FulfilmentState.REJECTED,
    FulfilmentState.CANCELLED,
)


@dataclass(frozen=True)
class Action:
    """One button: `allowed`, or disabled with `reason`."""

    key: str
    label: str
    allowed: bool
    reason: str = ""


def _action(user: Any, permission: str, key: str, label: str, verdict: rules.Verdict) -> Action:
    if not user.has_perm(permission):
        reason = f"Needs the permission to {PERMISSION_NAMES[permission]}; ask an administrator."
        return Action(key, label, False, reason)
    return Action(key, label, verdict.allowed, verdict.reason)


def _fulfilment_actions(fulfilment: Any) -> list[Action]:
    """Each lifecycle step that applies to this kind of fulfilment: allowed now, or when."""
    if fulfilment.state in _FINAL:
        return []
    actions = []
    for transition in fulfilment.get_all_state_transitions():  # declared by django-fsm
        name = transition.name
        if name not in TRANSITION_ACTIONS:
            continue
        key = TRANSITION_ACTIONS[name]
        conditions = getattr(transition, "conditions", ())
        if fulfilment.awaiting_stock and any(
            getattr(c, "__name__", "") == "_goods_arrived" for c in conditions
        ):
            if not any(a.key == key for a in actions):
                expected = fulfilment.promised_date.isoformat() if fulfilment.promised_date else "-"
                reason = f"Only once the pre-order's inbound stock arrives (expected {expected})."
                actions.append(Action(key, FULFILMENT_ACTION_LABELS[key], False, reason))
            continue
        if not all(condition(fulfilment) for condition in conditions):
            continue  # e.g. "ship" for a click & collect fulfilment: never applies
        if any(a.key == key for a in actions):
            continue
        sources = sorted(
            {
                STATE_NAMES.get(str(t.source), str(t.source))
                for t in fulfilment.get_all_state_transitions()
                if t.name == name and t.source != "*"
            }
        )
        allowed = can_proceed(getattr(fulfilment, name))
        reason = "" if allowed else f"Only when {' or '.join(sources)}."
        actions.append(Action(key, FULFILMENT_ACTION_LABELS[key], allowed, reason))
    order = list(FULFILMENT_ACTION_LABELS)
    return sorted(actions, key=lambda a: order.index(a.key))


def _by_reason(actions: Iterable[Action]) -> list[tuple[str, str]]:
    """("Reroute, Cancel order", reason): one sentence per reason, not one per button."""
    grouped: dict[str, list[str]] = {}
    for action in actions:
        grouped.setdefault(action.reason, []).append(action.label)
    return [(", ".join(labels), reason) for reason, labels in grouped.items()]


def console_context(user: AbstractBaseUser | AnonymousUser, order: Order) -> dict[str, Any]:
    """The order page's context (order from `order_for_console`: rows prefetched)."""
    events = list(order.events.all())
    ids = event_location_ids(events) | set(order.excluded_location_ids or ())
    codes = dict(Location.objects.filter(pk__in=ids).values_list("pk", "code")) if ids else {}
    fulfilments = list(order.fulfilments.all())
    for fulfilment in fulfilments:
        fulfilment.order = order  # transition conditions read the order; no extra query
    order_actions = [
        _action(
            user,
            EDIT_ORDER,
            "details",
            "Address & customer",
            rules.order_open_rule(order=order),
        ),
        _action(
            user,
            EDIT_ORDER,
            "delivery",
            "Delivery option",
            rules.order_delivery_rule(order=order, fulfilments=fulfilments),
        ),
        _action(
            user,
            REROUTE_ORDER,
            "reroute",
            "Reroute",
            rules.order_reroute_rule(order=order, fulfilments=fulfilments),
        ),
        _action(
            user,
            CANCEL_ORDER,
            "cancel",
            "Cancel order",
            rules.order_cancel_rule(order=order, fulfilments=fulfilments),
        ),
    ]
    address_verdict = rules.order_address_rule(order=order, fulfilments=fulfilments)
    can_transition = user.has_perm(TRANSITION_FULFILMENT)
    placements: dict[int, list[str]] = {}
    for fulfilment in fulfilments:
        fulfilment.actions = _fulfilment_actions(fulfilment)  # type: ignore[attr-defined]
        if fulfilment.state not in (FulfilmentState.CANCELLED, FulfilmentState.REJECTED):
            for fl in fulfilment.lines.all():
                preorder = (
                    f", pre-order expected {fulfilment.promised_date.isoformat()}"
                    if fulfilment.awaiting_stock and fulfilment.promised_date
                    else ""
                )
                placements.setdefault(fl.order_line_id, []).append(
                    f"{fl.quantity} at {fulfilment.location.code} "
                    f"({fulfilment.get_state_display().lower()}{preorder})"
                )
    order_open = rules.order_open_rule(order=order)
    extra_counts = console_line_counts(order)
    lines = list(order.lines.all())
    for line in lines:
        handed = rules.handed_over_units(line, fulfilments)
        line.display_name = line.name or line.product.name  # type: ignore[attr-defined]
        line.line_total = Decimal(line.open_quantity) * line.unit_price  # type: ignore[attr-defined]
        line.shipped = rules.shipped_units(line, fulfilments)  # type: ignore[attr-defined]
        line.to_ship = line.open_quantity - handed  # type: ignore[attr-defined]
        line.extra_counts = [counts.get(line.pk, 0) for _, counts in extra_counts]  # type: ignore[attr-defined]
        line.placements = placements.get(line.pk, [])  # type: ignore[attr-defined]
        line.actions = [  # type: ignore[attr-defined]
            _action(
                user,
                EDIT_ORDER,
                "quantity",
                "Quantity",
                rules.line_quantity_rule(order=order, line=line, fulfilments=fulfilments),
            ),
            _action(
                user,
                CANCEL_ORDER,
                "cancel-line",
                "Cancel line",
                rules.line_cancel_rule(order=order, line=line, fulfilments=fulfilments),
            ),
        ]
    return {
        "title": f"Order {order}",
        "order": order,
        "lines": lines,
        "line_count_labels": [label for label, _ in extra_counts],
        "fulfilments": fulfilments,
        "order_actions": order_actions,
        "disabled_order_actions": _by_reason(a for a in order_actions if not a.allowed),
        "address_note": "" if address_verdict.allowed else address_verdict.reason,
        # A closed order says why once, at the top; lines then repeat it only as a tooltip.
        "line_reasons_shown": order_open.allowed,
        "money": payment_summary(order=order),
        "extra_sections": console_sections(order, user),
        "timeline": [(event, describe_event(event, codes)) for event in events],
        "decisions": [
            (
                decision,
                describe_decision(
                    decision.log or {}, routable=decision.routable, trigger=decision.trigger
                ),
            )
            for decision in order.routing_decisions.all()
        ],
        "excluded_codes": [codes.get(pk, f"#{pk}") for pk in order.excluded_location_ids or ()],
        "can": {
            "transition": can_transition,
            "resend": user.has_perm(RESEND_NOTIFICATION),
        },
        "emails": customer_emails(order),
    }


def edit_verdict(slug: str, order: Order, line: Any = None) -> rules.Verdict:
    """The rule of an edit page, for an agent who opens it from a link or a bookmark: the
    page then says at once what the service would answer on submit."""
    fulfilments = list(order.fulfilments.prefetch_related("lines"))
    if slug == "delivery":
        return rules.order_delivery_rule(order=order, fulfilments=fulfilments)
    if slug == "cancel":
        return rules.order_cancel_rule(order=order, fulfilments=fulfilments)
    if slug == "cancel-line" and line is not None:
        return rules.line_cancel_rule(order=order, line=line, fulfilments=fulfilments)
    if slug in ("details", "quantity", "reroute"):
        return rules.order_open_rule(order=order)
    return rules.ALLOWED
