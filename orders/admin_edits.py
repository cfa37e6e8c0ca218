"""The staff console's edits: for each one its form, the permission it needs and the service
call it makes. The admin views (orders.admin) stay generic: validate, call, report.

A stale `version` makes the service raise PreconditionFailed; `conflict_message` turns it into
what the second of two editors reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oms.errors import PreconditionFailed

from . import services
from .forms import (
    DeliveryOptionForm,
    LineCancelForm,
    LineQuantityForm,
    NoteForm,
    OrderCancelForm,
    OrderDetailsForm,
    OrderForm,
    RerouteForm,
)

EDIT_ORDER = "orders.edit_order"
CANCEL_ORDER = "orders.cancel_order"
REROUTE_ORDER = "orders.reroute_order"
TRANSITION_FULFILMENT = "orders.transition_fulfilment"
CONSOLE_PERMISSIONS = (EDIT_ORDER, CANCEL_ORDER, REROUTE_ORDER, TRANSITION_FULFILMENT)

CONFLICT_MESSAGE = (
    "This order was changed by someone else since you opened it (you saw version {yours}, "
    "it is now version {current}). Nothing was saved: review the order as it is now and make "
    "your change again."
)


def _update_details(form: OrderDetailsForm, actor: str) -> str:
    address = form.shipping_address()
    order = services.order_update_details(
        order_id=form.order.pk,
        actor=actor,
        expected_version=form.cleaned_data["version"],
        shipping_address=address,
        customer=form.customer(),
    )
    if order.version == form.cleaned_data["version"]:
        return ""
    return "Changed the shipping address and customer details."


def _change_delivery(form: DeliveryOptionForm, actor: str) -> str:
    store = form.cleaned_data.get("pickup_location")
    services.order_change_delivery(
        order_id=form.order.pk,
        actor=actor,
        expected_version=form.cleaned_data["version"],
        delivery_type=form.cleaned_data["delivery_type"],
        pickup_location_code=store.code if store else None,
    )
    if store is not None:
        return f"Changed the delivery option to click & collect at {store.code}; rerouted."
    return "Changed the delivery option to ship to address; rerouted."


def _set_quantity(form: LineQuantityForm, actor: str) -> str:
    assert form.line is not None
    services.order_line_set_quantity(
        order_id=form.order.pk,
        line_id=form.line.pk,
        quantity=form.cleaned_data["quantity"],
        actor=actor,
        expected_version=form.cleaned_data["version"],
    )
    return (
        f"Changed the quantity of line {form.line.line_number} ({form.line.sku}) from "
        f"{form.line.open_quantity} to {form.cleaned_data['quantity']}."
    )


def _cancel_line(form: LineCancelForm, actor: str) -> str:
    assert form.line is not None
    units = form.cleaned_data["quantity"] or form.line.open_quantity
    services.order_line_cancel(
        order_id=form.order.pk,
        line_id=form.line.pk,
        quantity=units,
        reason=form.cleaned_data["reason"],
        actor=actor,
        expected_version=form.cleaned_data["version"],
    )
    return f"Cancelled {units} unit(s) of line {form.line.line_number} ({form.line.sku})."


def _cancel_order(form: OrderCancelForm, actor: str) -> str:
    services.order_cancel(
        order_id=form.order.pk,
        actor=actor,
        expected_version=form.cleaned_data["version"],
        reason=form.cleaned_data["reason"],
    )
    return f"Cancelled the order: {form.cleaned_data['reason']}"


def _reroute(form: RerouteForm, actor: str) -> str:
    excluded = list(form.cleaned_data["exclude_locations"])
    forced = form.cleaned_data["force_location"]
    services.order_reroute(
        order_id=form.order.pk,
        actor=actor,
        expected_version=form.cleaned_data["version"],
        exclude_location_ids=[loc.pk for loc in excluded],
        force_location_id=forced.pk if forced else None,
        reason=form.cleaned_data["reason"],
    )
    text = "Rerouted the order"
    if excluded:
        text += f", excluding {', '.join(loc.code for loc in excluded)}"
    if forced:
        text += f", forced to {forced.code}"
    return text + "."


def _add_note(form: NoteForm, actor: str) -> str:
    services.order_add_note(order_id=form.order.pk, text=form.cleaned_data["text"], actor=actor)
    return "Added an internal note."


@dataclass(frozen=True)
class StaffEdit:
    slug: str
    title: str
    submit_label: str
    form_class: type[OrderForm]
    apply: Callable[[Any, str], str]  # calls the service; the text goes to messages and history
    permission: str | None  # None: whoever may see the order (notes)
    intro: str = ""
    per_line: bool = False


EDITS = {
    edit.slug: edit
    for edit in (
        StaffEdit(
            "details",
            "Change shipping address and customer",
            "Save address and customer",
            OrderDetailsForm,
            _update_details,
            EDIT_ORDER,
            "A new street keeps the routing; a new country routes the order again. "
            "Refused once something has shipped.",
        ),
        StaffEdit(
            "delivery",
            "Change delivery option",
            "Change delivery option and reroute",
            DeliveryOptionForm,
            _change_delivery,
            EDIT_ORDER,
            "Switching between shipping and click & collect routes every open unit again; "
            "if the new option cannot be served, nothing changes.",
        ),
        StaffEdit(
            "quantity",
            "Change line quantity",
            "Change quantity",
            LineQuantityForm,
            _set_quantity,
            EDIT_ORDER,
            per_line=True,
        ),
        StaffEdit(
            "cancel-line",
            "Cancel line",
            "Cancel line",
            LineCancelForm,
            _cancel_line,
            CANCEL_ORDER,
            "The units' reserved stock is released. Units already shipped cannot be cancelled.",
            per_line=True,
        ),
        StaffEdit(
            "cancel",
            "Cancel order",
            "Cancel the whole order",
            OrderCancelForm,
            _cancel_order,
            CANCEL_ORDER,
            "Every reservation is released. Refused once anything has shipped: cancel the "
            "remaining lines instead.",
        ),
        StaffEdit(
            "reroute",
            "Reroute order",
            "Reroute",
            RerouteForm,
            _reroute,  # the page itself, with its preview, is orders.admin_reroute
            REROUTE_ORDER,
            "Every unit not yet handed over is routed again. The old reservations are only "
            "given up if the new plan can hold every unit; otherwise nothing changes.",
        ),
        StaffEdit(
            "note",
            "Add internal note",
            "Add note",
            NoteForm,
            _add_note,
            None,
            "Notes are part of the order's timeline.",
        ),
    )
}


def conflict_message(exc: PreconditionFailed, form: OrderForm) -> str:
    details = exc.details if isinstance(exc.details, dict) else {}
    return CONFLICT_MESSAGE.format(
        yours=details.get("your_version", form.cleaned_data.get("version")),
        current=details.get("current_version", "newer"),
    )
