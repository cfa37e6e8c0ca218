"""The staff console's edit forms: they validate input; the services (orders.services) decide.

Every form that changes the order carries the `version` the staff member saw, passed to the
service as `expected_version`: if someone else changed the order in between, the service
refuses and nothing is overwritten.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django_countries import countries

from inventory.models import Location

from .addresses import address_problems
from .models import ACTIVE_FULFILMENT_STATES, DeliveryType, FulfilmentState, Order, OrderLine
from .services.fulfilments import SIMPLE_ACTIONS

# No latitude/longitude: agents type the place; the service resolves its coordinates offline
# (orders.addresses.shipping_coordinates) or clears them, so routing never uses a stale place.
ADDRESS_FIELDS = ("name", "company", "street", "postal_code", "city", "region", "country", "phone")
CUSTOMER_FIELDS = ("customer_name", "customer_email", "customer_phone")


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Location) -> str:
        return f"{obj.code} - {obj.name} ({obj.city or obj.country})"


class LocationMultipleChoiceField(forms.ModelMultipleChoiceField):
    current_ids: frozenset[int] = frozenset()

    def label_from_instance(self, obj: Location) -> str:
        label = f"{obj.code} - {obj.name} ({obj.city or obj.country})"
        return label + (" - fulfils this order now" if obj.pk in self.current_ids else "")


class OrderForm(forms.Form):
    """A form about one order (and maybe one of its lines)."""

    fieldsets: tuple[tuple[str | None, tuple[str, ...]], ...] = ()

    def __init__(self, data: Any = None, *, order: Order, line: OrderLine | None = None) -> None:
        self.order = order
        self.line = line
        super().__init__(data, initial=self.initial_for(order, line))

    def initial_for(self, order: Order, line: OrderLine | None) -> dict[str, Any]:
        return {}

    def fieldset_list(self) -> list[tuple[str | None, list[forms.BoundField]]]:
        if not self.fieldsets:
            return [(None, list(self.visible_fields()))]
        return [(title, [self[name] for name in names]) for title, names in self.fieldsets]


class VersionedOrderForm(OrderForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def initial_for(self, order: Order, line: OrderLine | None) -> dict[str, Any]:
        return {"version": order.version}


class OrderDetailsForm(VersionedOrderForm):
    """Shipping address and customer details."""

    fieldsets = (
        ("Customer", CUSTOMER_FIELDS),
        ("Shipping address", ADDRESS_FIELDS),
    )

    customer_name = forms.CharField(label="Name", max_length=200, required=False)
    customer_email = forms.EmailField(label="E-mail", required=False)
    customer_phone = forms.CharField(label="Phone", max_length=50, required=False)
    name = forms.CharField(label="Recipient", max_length=200, required=False)
    company = forms.CharField(max_length=200, required=False)
    street = forms.CharField(max_length=200, required=False)
    postal_code = forms.CharField(max_length=20, required=False)
    city = forms.CharField(max_length=100, required=False)
    region = forms.CharField(
        label="State / province", max_length=100, required=False, help_text="US, CA and AU."
    )
    country = forms.ChoiceField(
        choices=[("", "---------"), *countries],
        required=False,
        help_text="A new country reroutes the order.",
    )
    phone = forms.CharField(max_length=50, required=False)

    def initial_for(self, order: Order, line: OrderLine | None) -> dict[str, Any]:
        address = order.shipping_address or {}
        return {
            **super().initial_for(order, line),
            **{f: getattr(order, f) for f in CUSTOMER_FIELDS},
            **{f: address.get(f) for f in ADDRESS_FIELDS},
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.order.delivery_type == DeliveryType.SHIP and not data.get("country"):
            self.add_error("country", "Orders shipped to an address need a country.")
        elif self.order.delivery_type == DeliveryType.SHIP:
            address = {f: data.get(f) for f in ADDRESS_FIELDS}
            for field, problem in address_problems(address, complete=True).items():
                self.add_error(field, problem)
        return data

    def shipping_address(self) -> dict[str, Any] | None:
        """The new address (unknown keys of the stored one kept), or None when unchanged."""
        before = dict(self.order.shipping_address or {})
        after = dict(before)
        for name in ADDRESS_FIELDS:
            value = self.cleaned_data.get(name)
            if value in ("", None):
                if before.get(name) not in ("", None):
                    after.pop(name)
            else:
                after[name] = value
        return None if after == before else after

    def customer(self) -> dict[str, str]:
        return {f.removeprefix("customer_"): self.cleaned_data[f] for f in CUSTOMER_FIELDS}


class DeliveryOptionForm(VersionedOrderForm):
    delivery_type = forms.ChoiceField(
        choices=DeliveryType.choices,
        widget=forms.RadioSelect,
        help_text="Every unit not yet handed over is routed again for the new option.",
    )
    pickup_location = LocationChoiceField(
        queryset=Location.objects.none(),
        to_field_name="code",
        required=False,
        help_text="The store where the customer collects (click & collect only).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pickup_location"].queryset = Location.objects.filter(
            channels=self.order.channel_id, active=True, click_collect=True
        )

    def initial_for(self, order: Order, line: OrderLine | None) -> dict[str, Any]:
        return {
            **super().initial_for(order, line),
            "delivery_type": order.delivery_type,
            "pickup_location": order.pickup_location.code if order.pickup_location else None,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        store = data.get("pickup_location")
        if data.get("delivery_type") == DeliveryType.CLICK_COLLECT:
            if store is None:
                self.add_error("pickup_location", "Choose the pickup store.")
            elif store.pk == self.order.pickup_location_id:
                raise forms.ValidationError("The order is already collected at this store.")
        elif data.get("delivery_type") == self.order.delivery_type:
            raise forms.ValidationError("The order is already shipped to an address.")
        return data


class LineQuantityForm(VersionedOrderForm):
    quantity = forms.IntegerField(
        min_value=0,
        max_value=100_000,
        help_text="Fewer units cancel the difference (stock released); more units are routed "
        "now or refused when there is not enough stock.",
    )

    def initial_for(self, order: Order, line: OrderLine | None) -> dict[str, Any]:
        assert line is not None
        return {**super().initial_for(order, line), "quantity": line.open_quantity}

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        assert self.line is not None
        if quantity == self.line.open_quantity:
            raise forms.ValidationError("The line already has this quantity.")
        return quantity


class LineCancelForm(VersionedOrderForm):
    quantity = forms.IntegerField(min_value=1, required=False)  # bounded per line below
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert self.line is not None
        self.fields["quantity"] = forms.IntegerField(
            min_value=1,
            max_value=self.line.open_quantity,
            required=False,
            help_text=f"Units to cancel; all {self.line.open_quantity} open units when empty.",
        )


class OrderCancelForm(VersionedOrderForm):
    reason = forms.CharField(
        max_length=200, help_text="Why (customer request, fraud, ...); shown in the timeline."
    )


class RerouteForm(VersionedOrderForm):
    reason = forms.CharField(
        max_length=200,
        help_text="Why (location reported damage, customer asked for a faster parcel, ...); "
        "shown in the timeline.",
    )
    exclude_locations = LocationMultipleChoiceField(
        queryset=Location.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="These locations will not fulfil this order (also in later reroutes).",
    )
    force_location = LocationChoiceField(
        queryset=Location.objects.none(),
        required=False,
        help_text="Route everything to this location; refused if it cannot hold every unit.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations: QuerySet[Location] = Location.objects.filter(
            channels=self.order.channel_id, active=True
        )
        self.fields["exclude_locations"].queryset = locations
        self.fields["exclude_locations"].current_ids = frozenset(
            self.order.fulfilments.filter(state__in=ACTIVE_FULFILMENT_STATES).values_list(
                "location_id", flat=True
            )
        )
        self.fields["force_location"].queryset = locations

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        forced = data.get("force_location")
        if forced is not None and forced in (data.get("exclude_locations") or ()):
            raise forms.ValidationError("A location cannot be both excluded and forced.")
        return data


class NoteForm(OrderForm):
    text = forms.CharField(
        label="Note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Internal: staff see it in the timeline; it is not sent to the customer.",
    )


# Location-side actions staff may take from the order page (cancel is not one: staff
# cancel lines or the order, and the services cancel fulfilments as a consequence).
FULFILMENT_ACTION_LABELS = {
    "accept": "Accept",
    "start_picking": "Start picking",
    "pack": "Pack",
    "ship": "Ship",
    "ready_for_pickup": "Ready for pickup",
    "picked_up": "Picked up",
    "reject": "Reject",
}
# django-fsm transition (method) name -> service action name.
TRANSITION_ACTIONS = {method: action for action, method in SIMPLE_ACTIONS.items()} | {
    "reject": "reject"
}


class FulfilmentActionForm(forms.Form):
    action = forms.ChoiceField(choices=list(FULFILMENT_ACTION_LABELS.items()))
    # The state the staff member saw: a fulfilment that moved on in between is not touched.
    state = forms.ChoiceField(choices=FulfilmentState.choices, widget=forms.HiddenInput)
    carrier = forms.CharField(max_length=100, required=False)
    tracking_number = forms.CharField(max_length=100, required=False)
    tracking_url = forms.URLField(max_length=500, required=False, assume_scheme="https")
    reason = forms.CharField(max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "A rejection needs a reason.")
        return data
