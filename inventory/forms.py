from django import forms

from .models import MAX_QUANTITY


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
