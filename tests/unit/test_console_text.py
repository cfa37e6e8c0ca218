"""The staff console's readable event sentences and decision-log tables (no database)."""

from __future__ import annotations

from orders.console import describe_event, event_location_ids
from orders.console_decisions import describe_decision
from orders.events import EventType
from orders.models import OrderEvent


def event(type_: str, **data: object) -> OrderEvent:
    return OrderEvent(sequence=1, type=type_, actor="user:alice", data=data)


def test_address_change_lists_only_the_fields_that_changed():
    text = describe_event(
        event(
            EventType.ADDRESS_CHANGED,
            kind="shipping",
            before={"street": "Street A", "city": "Berlin", "country": "DE"},
            after={"street": "Street B", "city": "Berlin", "country": "DE", "phone": "123"},
        )
    )
    assert text == "Shipping address changed: street: Street A → Street B; phone: (empty) → 123"


def test_customer_and_delivery_changes():
    customer = describe_event(
        event(
            EventType.CUSTOMER_CHANGED,
            before={"customer_email": "a@x.de", "customer_name": "A"},
            after={"customer_email": "b@x.de", "customer_name": "A"},
        )
    )
    assert customer == "Customer details changed: e-mail: a@x.de → b@x.de"
    delivery = describe_event(
        event(
            EventType.DELIVERY_CHANGED,
            before={"delivery_type": "ship", "pickup_location": None},
            after={"delivery_type": "click_collect", "pickup_location": "store-1"},
        )
    )
    assert delivery == "Delivery option changed: ship to address → click & collect at store-1"


def test_fulfilment_and_line_events():
    assert (
        describe_event(
            event(
                EventType.FULFILMENT_TRANSITION,
                fulfilment_id=7,
                location="wh-1",
                to="shipped",
                carrier="DHL",
                tracking_number="JJD1",
                **{"from": "packed"},
            )
        )
        == "Fulfilment #7 at wh-1: packed → shipped (carrier DHL, tracking JJD1)"
    )
    assert (
        describe_event(event(EventType.LINE_CANCELLED, line=2, sku="MUG", quantity=1, reason=""))
        == "Line 2 (MUG): 1 unit(s) cancelled"
    )
    assert (
        describe_event(
            event(EventType.FULFILMENT_CANCELLED, fulfilment_id=3, location="wh-1", reason="x")
        )
        == "Fulfilment #3 at wh-1 cancelled (x)"
    )


def test_staff_reroute_names_locations_by_code():
    reroute = event(EventType.REROUTED, trigger="staff", excluded=[4, 5], forced=6)
    assert event_location_ids([reroute]) == {4, 5, 6}
    assert (
        describe_event(reroute, {4: "wh-a", 5: "wh-b", 6: "wh-c"})
        == "Rerouted by staff (excluding wh-a, wh-b, forcing wh-c)"
    )
    partial = event(EventType.REROUTED, trigger="rejection", complete=False, reasons=["no_stock"])
    assert describe_event(partial) == (
        "Rerouted after a rejection; not every unit could be routed, the rest waits for stock"
        " (no_stock)"
    )


def test_unknown_or_malformed_events_fall_back_to_the_payload():
    assert describe_event(event("something_new", a=1)) == "Something new: {'a': 1}"
    assert describe_event(event(EventType.PLACED, lines="oops")).startswith("Order placed")


LOG = {
    "strategy": {
        "name": "default",
        "version": 1,
        "rating_weights": {"geodistance": 1.0},
        "split": {"allowed": True, "max_parts": 2},
    },
    "request": {
        "delivery_type": "ship",
        "destination": {"country": "DE", "latitude": 52.5, "longitude": 13.4},
        "lines": [{"line_id": "1", "sku": "A", "quantity": 2}],
        "excluded_location_ids": [3],
        "forced_location_id": None,
    },
    "candidates": [
        {
            "location_id": 3,
            "code": "wh-c",
            "role": "ship",
            "eliminated_by": "excluded",
            "reason": "excluded for this order (rejected or blacklisted)",
            "distance_km": None,
            "ratings": {},
            "total_penalty": None,
        },
        {
            "location_id": 2,
            "code": "wh-b",
            "role": "ship",
            "eliminated_by": None,
            "reason": None,
            "distance_km": 500.0,
            "cost": 7.5,
            "ratings": {
                "geodistance": {"raw": 500.0, "penalty": 1.0, "weight": 1.0, "weighted": 1.0}
            },
            "total_penalty": 1.0,
        },
        {
            "location_id": 1,
            "code": "wh-a",
            "role": "ship",
            "eliminated_by": None,
            "reason": None,
            "distance_km": 2.0,
            "cost": 4.2,
            "ratings": {
                "geodistance": {"raw": 2.0, "penalty": 0.0, "weight": 1.0, "weighted": 0.0}
            },
            "total_penalty": 0.0,
        },
    ],
    "chosen": {
        "location_ids": [1],
        "fulfilments": [
            {
                "location_id": 1,
                "transfer_to_location_id": None,
                "lines": [{"sku": "A", "quantity": 2}],
            }
        ],
        "objective": {"units": 2, "units_requested": 2, "parts": 1, "penalty": 0.0, "cost": 4.2},
    },
    "search": {"mode": "exact", "nodes": 3, "node_budget": 1000},
    "reasons": [],
    "why": "wh-a fulfils all 2 units alone with the lowest penalty 0.000",
}


def test_decision_log_table_puts_the_winner_first_and_fenced_ones_last():
    view = describe_decision(LOG, routable=True, trigger="staff_reroute")
    assert view.title == "Routing by staff"
    assert [(c.code, c.chosen, c.fence) for c in view.candidates] == [
        ("wh-a", True, None),
        ("wh-b", False, None),
        ("wh-c", False, "excluded"),
    ]
    assert view.rating_names == ["geodistance"]
    assert view.candidates[0].ratings == ["2.00 → 0.000"]
    assert view.chosen == ["wh-a: A × 2"]
    assert "excluded: wh-c" in view.request
    assert view.strategy == "default v1: weights geodistance 1.0; split allowed (max 2 parts)"
    assert view.objective == "2 of 2 units in 1 part(s), total penalty 0.000, cost 4.20"
    assert view.search == "exact search, 3 node(s) of 1000"


def test_an_empty_log_still_renders():
    view = describe_decision({}, routable=False)
    assert view.candidates == [] and view.why == "" and view.title == "Routing"
