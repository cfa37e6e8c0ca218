from django import forms

from .models import MAX_QUANTITY, InboundStock
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
