"""The returns console's forms: they check input; the services decide (and refuse)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator

from inventory.models import Location
from oms.models import Channel
from orders.models import Order

from ..models import Condition, Disposition, Resolution, ReturnLine, ReturnReason, ReturnState
from ..selectors import Returnable, return_locations


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Location) -> str:
        return f"{obj.code} - {obj.name} ({obj.get_kind_display().lower()})"


class StepForm(forms.Form):
    """A step on the return page; carries the state the page showed, so a step taken on a
    return that changed meanwhile is refused instead of acting on what staff did not see."""

    state = forms.ChoiceField(choices=ReturnState.choices, widget=forms.HiddenInput)


class RejectForm(StepForm):
    reason = forms.CharField(max_length=200, label="Reason")


class InTransitForm(StepForm):
    tracking_number = forms.CharField(max_length=100, label="Tracking number")


class CancelForm(StepForm):
    reason = forms.CharField(max_length=200, required=False, label="Reason")


class ReceiveForm(StepForm):
    location = LocationChoiceField(queryset=Location.objects.none(), label="Received at")
    parcel_reference = forms.CharField(
        max_length=100,
        label="Parcel reference",
        help_text="The same reference again changes nothing (a parcel is received once).",
    )

    def __init__(
        self, *args: Any, channel: Channel, outstanding: dict[int, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = return_locations(channel=channel).order_by("code")
        # Units in this parcel per line (default: all still outstanding; fewer: partial).
        for number, units in outstanding.items():
            self.fields[f"line_{number}"] = forms.IntegerField(
                min_value=0, max_value=units, initial=units, label=f"Line {number} units"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not self.parcel_lines():
            raise forms.ValidationError("Enter the units in this parcel.")
        return data

    def parcel_lines(self) -> dict[int, int]:
        """{line number: units} with units in this parcel."""
        return {
            int(name.removeprefix("line_")): units
            for name, units in self.cleaned_data.items()
            if name.startswith("line_") and units
        }


class InspectionLineForm(forms.Form):
    """One returned line: how many of its received units are judged now, and how."""

    line_number = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(min_value=0, label="Units")
    condition = forms.ChoiceField(choices=Condition.choices, label="Condition")
    disposition = forms.ChoiceField(choices=Disposition.choices, label="Disposition")
    note = forms.CharField(max_length=200, required=False, label="Note")

    def __init__(self, *args: Any, pending: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["quantity"]
        assert isinstance(field, forms.IntegerField)
        field.max_value = pending
        field.widget.attrs.update({"max": pending, "min": 0})
        field.validators.append(MaxValueValidator(pending))


def inspection_forms(lines: list[ReturnLine], data: Any = None) -> list[InspectionLineForm]:
    """A form per line with received units not yet inspected (prefix `line-<number>`)."""
    result = []
    for line in lines:
        pending = line.received_quantity - line.inspected_quantity
        if pending <= 0:
            continue
        number = line.order_line.line_number
        form = InspectionLineForm(
            data,
            prefix=f"line-{number}",
            pending=pending,
            initial={
                "line_number": number,
                "quantity": pending,
                "condition": Condition.NEW,
                "disposition": Disposition.RESTOCK,
            },
        )
        form.line = line  # type: ignore[attr-defined]
        result.append(form)
    return result


class RefundForm(StepForm):
    """Issue the previewed amount; `expected_total` is the amount staff saw."""

    expected_total = forms.DecimalField(max_digits=12, decimal_places=2, widget=forms.HiddenInput)
    adjustment = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        initial=Decimal("0"),
        widget=forms.HiddenInput,
    )
    adjustment_reason = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)


class AdjustmentForm(forms.Form):
    """Preview an adjusted amount (GET on the return page)."""

    adjustment = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        label="Adjust by",
        help_text="Added to the computed amount (negative to deduct).",
    )
    adjustment_reason = forms.CharField(max_length=200, label="Reason for the adjustment")


class ReturnCreateForm(forms.Form):
    """Staff create a return for an order's shipped or picked-up lines: units per line (at
    most what is still returnable) with a reason, the resolution, where it will come back."""

    resolution = forms.ChoiceField(choices=Resolution.choices, initial=Resolution.REFUND)
    location = LocationChoiceField(
        queryset=Location.objects.none(),
        required=False,
        label="Receiving location",
        help_text="Where the parcel will be received (a store for return-to-store). "
        "Empty: any location that accepts returns.",
    )
    tracking_number = forms.CharField(max_length=100, required=False)
    customer_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(
        self, data: Any = None, *, order: Order, returnable: dict[int, Returnable]
    ) -> None:
        super().__init__(data)
        self.order = order
        location = self.fields["location"]
        assert isinstance(location, forms.ModelChoiceField)
        location.queryset = return_locations(channel=order.channel).order_by("code")
        reasons = [(r.code, r.label) for r in ReturnReason.objects.filter(active=True)]
        self.line_rows: list[tuple[Any, forms.BoundField, forms.BoundField, int]] = []
        for line in order.lines.order_by("line_number"):
            figures = returnable.get(line.pk)
            if figures is None or figures.returnable <= 0:
                continue
            n = line.line_number
            self.fields[f"quantity_{n}"] = forms.IntegerField(
                min_value=0, max_value=figures.returnable, initial=0, label=f"Line {n} units"
            )
            self.fields[f"reason_{n}"] = forms.ChoiceField(
                choices=reasons, label=f"Line {n} reason"
            )
            self.line_rows.append(
                (line, self[f"quantity_{n}"], self[f"reason_{n}"], figures.returnable)
            )

    def return_fields(self) -> list[forms.BoundField]:
        return [
            self[name] for name in ("resolution", "location", "tracking_number", "customer_note")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f"quantity_{line.line_number}") for line, *_ in self.line_rows):
            raise forms.ValidationError("Choose at least one unit to return.")
        return data

    def line_inputs(self) -> list[tuple[int, int, str]]:
        """(line number, units, reason code) of the lines with units."""
        data = self.cleaned_data
        return [
            (
                line.line_number,
                data[f"quantity_{line.line_number}"],
                data[f"reason_{line.line_number}"],
            )
            for line, *_ in self.line_rows
            if data.get(f"quantity_{line.line_number}")
        ]
