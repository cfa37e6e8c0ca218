"""What the staff console shows: readable sentences for order events and routing decision logs.

Pure functions over the stored JSON (no queries), so a change to an event payload breaks a unit
test here rather than a staff member's page. Location ids in payloads are shown as codes via the
`codes` mapping the caller loads once per page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from routing.reason_words import REASON_TEXT, reason_text, reasons_text  # noqa: F401

from .events import EventType
from .models import DeliveryType, FulfilmentState, OrderEvent

ARROW = "→"

ADDRESS_LABELS = {
    "name": "name",
    "company": "company",
    "street": "street",
    "postal_code": "postal code",
    "city": "city",
    "country": "country",
    "phone": "phone",
    "latitude": "latitude",
    "longitude": "longitude",
}
CUSTOMER_LABELS = {
    "customer_email": "e-mail",
    "customer_name": "name",
    "customer_phone": "phone",
}
TRIGGERS = {
    "intake": "at intake",
    "rejection": "after a rejection",
    "short_pick": "after a short pick",
    "staff": "by staff",
    "staff_reroute": "by staff",
    "address_changed": "after an address change",
    "delivery_changed": "after a delivery option change",
    "quantity_changed": "after a quantity change",
    "waiting_room": "from the waiting room",
}


def blank(value: Any) -> str:
    return "(empty)" if value in (None, "", [], {}) else str(value)


def _state(value: str | None) -> str:
    try:
        return str(FulfilmentState(value).label).lower()
    except ValueError:
        return blank(value)


def trigger_text(value: str | None) -> str:
    return TRIGGERS.get(value or "", f"({value})" if value else "")


def _lines(items: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(f"line {i.get('line')} {i.get('sku')} × {i.get('quantity')}" for i in items)


def _codes(ids: Iterable[Any], codes: Mapping[int, str]) -> str:
    return ", ".join(codes.get(int(i), f"#{i}") for i in ids)


def changes(before: Mapping[str, Any], after: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """'street: Street A → Street B; city: Berlin → Hamburg' for the keys that differ."""
    keys = [k for k in labels if k in before or k in after]
    keys += sorted(k for k in {*before, *after} if k not in labels)
    parts = [
        f"{labels.get(k, k)}: {blank(before.get(k))} {ARROW} {blank(after.get(k))}"
        for k in keys
        if before.get(k) != after.get(k)
    ]
    return "; ".join(parts) or "no visible difference"


def delivery_text(option: Mapping[str, Any]) -> str:
    if option.get("delivery_type") == DeliveryType.CLICK_COLLECT:
        return f"click & collect at {blank(option.get('pickup_location'))}"
    return "ship to address"


def _placed(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    delivery = delivery_text({"delivery_type": d.get("delivery_type")})
    return (
        f"Order placed: {_lines(d.get('lines', []))}; {delivery}; "
        f"total {d.get('total')} {d.get('currency', '')}".rstrip()
    )


def _waiting(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = "Waiting for stock"
    if d.get("lines"):
        short = ", ".join(
            f"line {i.get('line')} {i.get('sku')} short {i.get('missing')}" for i in d["lines"]
        )
        text += f": {short}"
    elif d.get("unallocated"):
        text += f": {sum(d['unallocated'].values())} unit(s) not routed"
    if d.get("reasons"):
        text += f" ({reasons_text(d['reasons'])})"
    return text


def _routed(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    if "fulfilments" in d:
        return f"Routed with {blank(d.get('strategy'))} into {d['fulfilments']} fulfilment(s)"
    return "Routed: every unit is held now"


def _fulfilment_created(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = f"Fulfilment #{d.get('fulfilment_id')} created at {d.get('location')}"
    if d.get("transfer_to"):
        text += f" (transfer to pickup store {d['transfer_to']})"
    text += f": {_lines(d.get('lines', []))}"
    trigger = trigger_text(d.get("trigger"))
    return f"{text} {trigger}".rstrip()


def _fulfilment_extended(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = f"Fulfilment #{d.get('fulfilment_id')} at {d.get('location')} extended"
    text += f": {_lines(d.get('lines', []))}"
    trigger = trigger_text(d.get("trigger"))
    return f"{text} {trigger}".rstrip()


def _reroute_unchanged(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = "Reroute by staff kept the plan: nothing was moved"
    if d.get("excluded"):
        text += f" (excluding {_codes(d['excluded'], codes)})"
    return text + (f". Reason: {d['reason']}" if d.get("reason") else "")


def _fulfilment_transition(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = (
        f"Fulfilment #{d.get('fulfilment_id')} at {d.get('location')}: "
        f"{_state(d.get('from'))} {ARROW} {_state(d.get('to'))}"
    )
    if d.get("to") == FulfilmentState.SHIPPED:
        text += f" (carrier {blank(d.get('carrier'))}, tracking {blank(d.get('tracking_number'))})"
    return text


def _step(verb: str) -> Callable[[Mapping[str, Any], Mapping[int, str]], str]:
    return lambda d, c: f"Fulfilment #{d.get('fulfilment_id')} at {d.get('location')} {verb}"


def _shipped(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = (
        f"Fulfilment #{d.get('fulfilment_id')} at {d.get('location')} shipped "
        f"(carrier {blank(d.get('carrier'))}, tracking {blank(d.get('tracking_number'))})"
    )
    return text + (f": {d['tracking_url']}" if d.get("tracking_url") else "")


def _rerouted(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = f"Rerouted {trigger_text(d.get('trigger'))}".rstrip()
    parts = []
    if d.get("excluded"):
        parts.append(f"excluding {_codes(d['excluded'], codes)}")
    if d.get("forced"):
        parts.append(f"forcing {_codes([d['forced']], codes)}")
    if parts:
        text += f" ({', '.join(parts)})"
    if d.get("fulfilments"):
        text += f" into fulfilment(s) {', '.join(f'#{pk}' for pk in d['fulfilments'])}"
    if d.get("complete") is False:
        text += "; not every unit could be routed, the rest waits for stock"
        if d.get("reasons"):
            text += f" ({', '.join(d['reasons'])})"
    if d.get("reason"):
        text += f". Reason: {d['reason']}"
    return text


def _address_changed(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    kind = str(d.get("kind", "shipping")).capitalize()
    return (
        f"{kind} address changed: "
        f"{changes(d.get('before') or {}, d.get('after') or {}, ADDRESS_LABELS)}"
    )


def _customer_changed(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    before, after = d.get("before") or {}, d.get("after") or {}
    return f"Customer details changed: {changes(before, after, CUSTOMER_LABELS)}"


def _delivery_changed(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    before, after = delivery_text(d.get("before") or {}), delivery_text(d.get("after") or {})
    return f"Delivery option changed: {before} {ARROW} {after}"


def _line_quantity(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    return (
        f"Line {d.get('line')} ({d.get('sku')}) quantity changed: "
        f"{d.get('before')} {ARROW} {d.get('after')}"
    )


def _line_cancelled(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = f"Line {d.get('line')} ({d.get('sku')}): {d.get('quantity')} unit(s) cancelled"
    return text + (f" ({d['reason']})" if d.get("reason") else "")


def _totals_changed(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    before, after = d.get("before") or {}, d.get("after") or {}
    return (
        f"Totals changed: total {before.get('total')} {ARROW} {after.get('total')} "
        f"{d.get('currency', '')} (difference {d.get('difference')})"
    ).replace("  ", " ")


def _short_picked(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    missing = ", ".join(
        f"line {i.get('line')} {i.get('sku')} missing {i.get('quantity')}"
        for i in d.get("missing", [])
    )
    return f"Fulfilment #{d.get('fulfilment_id')} at {d.get('location')} short-picked: {missing}"


def _with_reason(prefix: str, d: Mapping[str, Any]) -> str:
    return prefix + (f": {d['reason']}" if d.get("reason") else "")


DESCRIBERS: dict[str, Callable[[Mapping[str, Any], Mapping[int, str]], str]] = {
    EventType.PLACED: _placed,
    EventType.WAITING: _waiting,
    EventType.ROUTED: _routed,
    EventType.ESCALATED: lambda d, c: (
        f"Escalated to staff: waiting since {blank(d.get('waiting_since'))}"
    ),
    EventType.COMPLETED: lambda d, c: "Order completed: everything shipped or picked up",
    EventType.CANCELLED: lambda d, c: _with_reason("Order cancelled", d),
    EventType.FULFILMENT_CREATED: _fulfilment_created,
    EventType.FULFILMENT_EXTENDED: _fulfilment_extended,
    EventType.FULFILMENT_TRANSITION: _fulfilment_transition,
    EventType.FULFILMENT_ACCEPTED: _step("accepted"),
    EventType.FULFILMENT_PICKING_STARTED: _step("started picking"),
    EventType.FULFILMENT_PACKED: _step("packed"),
    EventType.FULFILMENT_SHIPPED: _shipped,
    EventType.FULFILMENT_READY_FOR_PICKUP: _step("ready for pickup"),
    EventType.FULFILMENT_PICKED_UP: _step("picked up by the customer"),
    EventType.FULFILMENT_REJECTED: lambda d, c: _with_reason(
        f"Fulfilment #{d.get('fulfilment_id')} rejected by {d.get('location')}", d
    ),
    EventType.FULFILMENT_SHORT_PICKED: _short_picked,
    EventType.FULFILMENT_CANCELLED: lambda d, c: (
        f"Fulfilment #{d.get('fulfilment_id')} at {d.get('location')} cancelled "
        f"{trigger_text(d.get('reason'))}"
    ).rstrip(),
    EventType.REROUTED: _rerouted,
    EventType.REROUTE_UNCHANGED: _reroute_unchanged,
    EventType.ADDRESS_CHANGED: _address_changed,
    EventType.CUSTOMER_CHANGED: _customer_changed,
    EventType.DELIVERY_CHANGED: _delivery_changed,
    EventType.LINE_QUANTITY_CHANGED: _line_quantity,
    EventType.LINE_CANCELLED: _line_cancelled,
    EventType.TOTALS_CHANGED: _totals_changed,
    EventType.NOTE_ADDED: lambda d, c: f"Note: {d.get('text', '')}",
    EventType.HOLD_CONSUMED: lambda d, c: f"Checkout hold {d.get('hold')} consumed by the order",
    EventType.NOTIFICATION_RESENT: lambda d, c: f"E-mail {d['notification']} resent to {d['to']}",
    "refund_requested": lambda d, c: (
        f"Refund #{d.get('refund_id')} of {d.get('amount')} {d.get('currency')} requested"
        + (f" ({d['reason']})" if d.get("reason") else "")
    ),
    "refund_succeeded": lambda d, c: (
        f"Refund #{d.get('refund_id')} of {d.get('amount')} {d.get('currency')} succeeded"
        + (f" (PSP reference {d['psp_reference']})" if d.get("psp_reference") else "")
    ),
    "refund_failed": lambda d, c: (
        f"Refund #{d.get('refund_id')} of {d.get('amount')} {d.get('currency')} failed"
    ),
    "payment_captured": lambda d, c: f"Payment captured: {d.get('amount')} {d.get('currency')}",
    "payment_authorized": lambda d, c: f"Payment authorized: {d.get('amount')} {d.get('currency')}",
    "fulfilment_stock_received": lambda d, c: (
        f"Fulfilment #{d['fulfilment_id']} at {d['location']}: pre-order stock received "
        f"({d['reference']}), ready to fulfil"
    ),
    "order_delayed": lambda d, c: (
        f"Inbound stock {d['reference']} {d['reason']}: "
        + (
            f"{d['waiting']} unit(s) now wait for stock"
            if d.get("waiting")
            else f"now promised for {d['promised_date']}"
            if d.get("promised_date")
            else "re-planned onto stock on hand"
        )
        + (f" (was {d['previous_date']})" if d.get("previous_date") else "")
    ),
}


def event_describer_register(
    event_type: str, describe: Callable[[Mapping[str, Any], Mapping[int, str]], str]
) -> None:
    """An app above `orders` (returns) says in words what its event types mean."""
    DESCRIBERS[event_type] = describe


def describe_event(event: OrderEvent, codes: Mapping[int, str] | None = None) -> str:
    """One readable sentence for an event; unknown types fall back to their raw payload."""
    describe = DESCRIBERS.get(event.type)
    if describe is None:
        return f"{event.type.replace('_', ' ').capitalize()}: {event.data}"
    try:
        return describe(event.data or {}, codes or {})
    except (AttributeError, KeyError, TypeError, ValueError):
        # An old or hand-written payload must not take the whole page down.
        return f"{event.type.replace('_', ' ').capitalize()}: {event.data}"


def event_location_ids(events: Iterable[OrderEvent]) -> set[int]:
    """Location ids mentioned by id (not code) in payloads: staff reroutes."""
    ids: set[int] = set()
    for event in events:
        if event.type in (EventType.REROUTED, EventType.REROUTE_UNCHANGED) and isinstance(
            event.data, dict
        ):
            ids.update(int(i) for i in event.data.get("excluded") or ())
            if event.data.get("forced"):
                ids.add(int(event.data["forced"]))
    return ids
