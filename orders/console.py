"""What the staff console shows: readable sentences for order events and routing decision logs.

Pure functions over the stored JSON (no queries), so a change to an event payload breaks a unit
test here rather than a staff member's page. Location ids in payloads are shown as codes via the
`codes` mapping the caller loads once per page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .decision_logs import decision_log_expand
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


def _blank(value: Any) -> str:
    return "(empty)" if value in (None, "", [], {}) else str(value)


def _state(value: str | None) -> str:
    try:
        return str(FulfilmentState(value).label).lower()
    except ValueError:
        return _blank(value)


def _trigger(value: str | None) -> str:
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
        f"{labels.get(k, k)}: {_blank(before.get(k))} {ARROW} {_blank(after.get(k))}"
        for k in keys
        if before.get(k) != after.get(k)
    ]
    return "; ".join(parts) or "no visible difference"


def _delivery(option: Mapping[str, Any]) -> str:
    if option.get("delivery_type") == DeliveryType.CLICK_COLLECT:
        return f"click & collect at {_blank(option.get('pickup_location'))}"
    return "ship to address"


def _placed(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    delivery = _delivery({"delivery_type": d.get("delivery_type")})
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
        text += f" ({', '.join(d['reasons'])})"
    return text


def _routed(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    if "fulfilments" in d:
        return f"Routed with {_blank(d.get('strategy'))} into {d['fulfilments']} fulfilment(s)"
    return "Routed: every unit is held now"


def _fulfilment_created(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = f"Fulfilment #{d.get('fulfilment_id')} created at {d.get('location')}"
    if d.get("transfer_to"):
        text += f" (transfer to pickup store {d['transfer_to']})"
    text += f": {_lines(d.get('lines', []))}"
    trigger = _trigger(d.get("trigger"))
    return f"{text} {trigger}".rstrip()


def _fulfilment_transition(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = (
        f"Fulfilment #{d.get('fulfilment_id')} at {d.get('location')}: "
        f"{_state(d.get('from'))} {ARROW} {_state(d.get('to'))}"
    )
    if d.get("to") == FulfilmentState.SHIPPED:
        text += (
            f" (carrier {_blank(d.get('carrier'))}, tracking {_blank(d.get('tracking_number'))})"
        )
    return text


def _step(verb: str) -> Callable[[Mapping[str, Any], Mapping[int, str]], str]:
    return lambda d, c: f"Fulfilment #{d.get('fulfilment_id')} at {d.get('location')} {verb}"


def _shipped(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = (
        f"Fulfilment #{d.get('fulfilment_id')} at {d.get('location')} shipped "
        f"(carrier {_blank(d.get('carrier'))}, tracking {_blank(d.get('tracking_number'))})"
    )
    return text + (f": {d['tracking_url']}" if d.get("tracking_url") else "")


def _rerouted(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    text = f"Rerouted {_trigger(d.get('trigger'))}".rstrip()
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
    before, after = _delivery(d.get("before") or {}), _delivery(d.get("after") or {})
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
        f"Escalated to staff: waiting since {_blank(d.get('waiting_since'))}"
    ),
    EventType.COMPLETED: lambda d, c: "Order completed: everything shipped or picked up",
    EventType.CANCELLED: lambda d, c: _with_reason("Order cancelled", d),
    EventType.FULFILMENT_CREATED: _fulfilment_created,
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
        f"{_trigger(d.get('reason'))}"
    ).rstrip(),
    EventType.REROUTED: _rerouted,
    EventType.ADDRESS_CHANGED: _address_changed,
    EventType.CUSTOMER_CHANGED: _customer_changed,
    EventType.DELIVERY_CHANGED: _delivery_changed,
    EventType.LINE_QUANTITY_CHANGED: _line_quantity,
    EventType.LINE_CANCELLED: _line_cancelled,
    EventType.TOTALS_CHANGED: _totals_changed,
    EventType.NOTE_ADDED: lambda d, c: f"Note: {d.get('text', '')}",
    EventType.HOLD_CONSUMED: lambda d, c: f"Checkout hold {d.get('hold')} consumed by the order",
    EventType.NOTIFICATION_RESENT: lambda d, c: f"E-mail {d['notification']} resent to {d['to']}",
}


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
        if event.type == EventType.REROUTED and isinstance(event.data, dict):
            ids.update(int(i) for i in event.data.get("excluded") or ())
            if event.data.get("forced"):
                ids.add(int(event.data["forced"]))
    return ids


# --- Routing decision logs ---------------------------------------------------------------


@dataclass
class CandidateRow:
    code: str
    role: str
    fence: str | None
    reason: str
    distance_km: float | None
    cost: float | None
    ratings: list[str]
    total_penalty: float | None
    chosen: bool


@dataclass
class DecisionView:
    title: str
    why: str
    strategy: str
    routable: bool
    rating_names: list[str]
    candidates: list[CandidateRow]
    chosen: list[str]
    reasons: list[str]
    request: str
    objective: str
    search: str


def _rating_cell(detail: Mapping[str, Any] | None) -> str:
    if not detail:
        return ""
    raw = detail.get("raw")
    raw_text = "unknown" if raw is None else f"{raw:.2f}"
    return f"{raw_text} → {detail.get('weighted', 0.0):.3f}"


def _candidate_rows(
    entries: list[Mapping[str, Any]], rating_names: list[str], chosen_ids: set[Any]
) -> list[CandidateRow]:
    rows = [
        CandidateRow(
            code=e.get("code", ""),
            role=str(e.get("role", "")).replace("_", " "),
            fence=e.get("eliminated_by"),
            reason=e.get("reason") or "",
            distance_km=e.get("distance_km"),
            cost=e.get("cost"),
            ratings=[_rating_cell((e.get("ratings") or {}).get(n)) for n in rating_names],
            total_penalty=e.get("total_penalty"),
            chosen=e.get("location_id") in chosen_ids and e.get("eliminated_by") is None,
        )
        for e in entries
    ]
    # Survivors first, best penalty first; the fenced-out ones after them.
    rows.sort(key=lambda r: (r.fence is not None, r.total_penalty or 0.0, r.code))
    return rows


def _chosen_parts(chosen: Mapping[str, Any], by_id: Mapping[Any, str]) -> list[str]:
    parts = []
    for part in chosen.get("fulfilments") or ():
        text = f"{by_id.get(part.get('location_id'), part.get('location_id'))}: " + ", ".join(
            f"{ln.get('sku')} × {ln.get('quantity')}" for ln in part.get("lines") or ()
        )
        if part.get("transfer_to_location_id"):
            target = by_id.get(part["transfer_to_location_id"], part["transfer_to_location_id"])
            text += f" (transfer to {target})"
        parts.append(text)
    return parts


def _request_text(request: Mapping[str, Any], by_id: Mapping[Any, str]) -> str:
    dest = request.get("destination") or {}
    delivery = _delivery({"delivery_type": request.get("delivery_type")})
    text = (
        f"{delivery} in {_blank(dest.get('country'))} "
        f"({_blank(dest.get('latitude'))}, {_blank(dest.get('longitude'))}): "
        + ", ".join(f"{ln.get('sku')} × {ln.get('quantity')}" for ln in request.get("lines") or ())
    )
    if request.get("excluded_location_ids"):
        excluded = ", ".join(str(by_id.get(i, i)) for i in request["excluded_location_ids"])
        text += f"; excluded: {excluded}"
    if request.get("forced_location_id"):
        text += (
            f"; forced: {by_id.get(request['forced_location_id'], request['forced_location_id'])}"
        )
    return text


def _strategy_text(strategy: Mapping[str, Any]) -> str:
    weights = strategy.get("rating_weights") or {}
    split = strategy.get("split") or {}
    split_text = "split allowed" if split.get("allowed") else "no split"
    if split.get("allowed") and split.get("max_parts"):
        split_text += f" (max {split['max_parts']} parts)"
    weights_text = ", ".join(f"{k} {v}" for k, v in weights.items()) or "none"
    return (
        f"{strategy.get('name', '?')} v{strategy.get('version', '?')}: "
        f"weights {weights_text}; {split_text}"
    )


def _objective_text(objective: Mapping[str, Any]) -> str:
    penalty = float(objective.get("penalty") or 0)
    cost = float(objective.get("cost") or 0)
    return (
        f"{objective.get('units', 0)} of {objective.get('units_requested', 0)} units in "
        f"{objective.get('parts', 0)} part(s), total penalty {penalty:.3f}, cost {cost:.2f}"
    )


def describe_decision(log: Mapping[str, Any], *, routable: bool, trigger: str = "") -> DecisionView:
    """Tables and sentences for one stored decision log (routing.explain.decision_log)."""
    log = decision_log_expand(dict(log))
    strategy = log.get("strategy") or {}
    chosen = log.get("chosen") or {}
    entries = list(log.get("candidates") or ())
    rating_names = list(strategy.get("rating_weights") or {}) or sorted(
        {n for e in entries for n in e.get("ratings") or {}}
    )
    by_id = {e.get("location_id"): e.get("code") for e in entries}
    search = log.get("search") or {}
    return DecisionView(
        title=f"Routing {_trigger(trigger)}".rstrip(),
        why=log.get("why") or "",
        strategy=_strategy_text(strategy),
        routable=routable,
        rating_names=rating_names,
        candidates=_candidate_rows(entries, rating_names, set(chosen.get("location_ids") or ())),
        chosen=_chosen_parts(chosen, by_id),
        reasons=list(log.get("reasons") or ()),
        request=_request_text(log.get("request") or {}, by_id),
        objective=_objective_text(chosen.get("objective") or {}),
        search=(
            f"{search.get('mode', 'none')} search, {search.get('nodes', 0)} node(s)"
            + (f" of {search['node_budget']}" if search.get("node_budget") else "")
        ),
    )
