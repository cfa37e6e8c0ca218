from django import forms

from .models import MAX_QUANTITY, InboundStock, Location
from .services import inbound_expected_window


class StockAdjustmentForm(forms.Form):
    """The intermediate page of the admin's 'adjust stock' action."""

    delta = forms.IntegerField(
        label="Change on hand by",
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        help_text="Positive adds units, negative removes them.",
    )
    reason = forms.CharField(max_length=200, help_text="Why (count, damage, found, ...)")

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError("Enter a non-zero quantity.")
        return delta


class InboundReceiveForm(forms.Form):
    quantity = forms.IntegerField(
        min_value=1, max_value=MAX_QUANTITY, help_text="Units received now."
    )


class InboundStockForm(forms.ModelForm):
    """The admin's inbound stock page: a new or changed expected date must lie in the window
    the API accepts (a date kept as it was stays valid, however old)."""

    class Meta:
        model = InboundStock
        fields = ["location", "product", "kind", "reference", "expected_date", "quantity_expected"]

    def clean_expected_date(self) -> object:
        expected = self.cleaned_data["expected_date"]
        if "expected_date" in self.changed_data:
            earliest, latest = inbound_expected_window()
            if not earliest <= expected <= latest:
                raise forms.ValidationError(
                    f"Give a date from {earliest.isoformat()} to {latest.isoformat()}."
                )
        return expected


class LocationField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Location) -> str:
        return f"{obj.code} - {obj.name}"


class _StockChangeForm(forms.Form):
    """A change of one SKU's stock at a location chosen on the stock page."""

    location = LocationField(queryset=Location.objects.order_by("code"))
    reason = forms.CharField(max_length=200, help_text="Why (count, damage, found, ...)")


class StockPageAdjustForm(_StockChangeForm):
    delta = StockAdjustmentForm.base_fields["delta"]
    field_order = ["location", "delta", "reason"]
    clean_delta = StockAdjustmentForm.clean_delta


class StockCountForm(forms.Form):
    """The intermediate page of the admin's 'set counted quantity' action."""

    on_hand = forms.IntegerField(
        label="Counted quantity",
        min_value=0,
        max_value=MAX_QUANTITY,
        help_text="Units physically there now; on hand becomes this (ledger: count).",
    )
    reason = forms.CharField(
        max_length=200, initial="stock count", help_text="Shown in the ledger with your name."
    )


class StockPageCountForm(_StockChangeForm):
    on_hand = StockCountForm.base_fields["on_hand"]
    field_order = ["location", "on_hand", "reason"]
