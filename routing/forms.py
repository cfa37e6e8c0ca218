"""The strategy version form: fences as checkboxes with their parameters, one number per
rating weight (with what the rating measures), tag preferences as "tag: bonus" pairs. The
form writes the same JSON the planner reads; the model's `clean` still validates it."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import StrategyVersion
from .ratings import (
    RATING_GEODISTANCE,
    RATING_NAMES,
    RATING_PRIORITY,
    RATING_SHIPPING_COST,
    RATING_STOCK_DEPTH,
    RATING_TAGS,
    RATING_WORKLOAD,
)

RATING_HELP = {
    RATING_SHIPPING_COST: "Cheaper parcels first: the location's cost per parcel plus its cost "
    "per km times the distance to the customer.",
    RATING_GEODISTANCE: "Nearer locations first (km to the customer): faster delivery.",
    RATING_STOCK_DEPTH: "Locations with deep stock first: stock left after this order, relative "
    "to the order; keeps thin stock for other orders and avoids short picks.",
    RATING_WORKLOAD: "Less busy locations first: share of today's remaining daily capacity "
    "this order would use.",
    RATING_PRIORITY: "Locations with a higher manual priority (set on the location) first.",
    RATING_TAGS: "Locations whose tags have a higher bonus (tag preferences below) first.",
}
WEIGHTS_HELP = (
    "Each rating scores the candidates of one order from 0 (best) to 1 (worst); the weights "
    "multiply these scores and the lowest total wins. 0 switches a rating off; only the ratio "
    "between weights matters (2 and 1 is the same as 1 and 0.5)."
)
# Fences every strategy applies, whatever its settings (shown, not editable).
ALWAYS_ON_FENCES = (
    "inactive locations",
    "locations excluded for the order (rejected it, or staff excluded them)",
    "locations not serving the order's channel",
    "locations not offering the delivery type (ship, click & collect)",
    "countries the location does not ship to",
    "locations whose daily capacity is used up",
    "locations without the stock (a split can combine several)",
)


def weight_field_name(rating: str) -> str:
    return f"weight_{rating}"


def _parse_tags(text: str) -> dict[str, float]:
    tags: dict[str, float] = {}
    for item in text.replace("\n", ",").split(","):
        if not item.strip():
            continue
        tag, sep, bonus = item.partition(":")
        if not sep or not tag.strip():
            raise forms.ValidationError(f"Write each preference as tag: bonus (not {item!r}).")
        try:
            tags[tag.strip()] = float(bonus)
        except ValueError:
            raise forms.ValidationError(f"The bonus of {tag.strip()!r} is not a number.")
    return tags


def _weight_field(rating: str) -> forms.FloatField:
    return forms.FloatField(
        label=rating.replace("_", " "),
        min_value=0,
        max_value=1000,
        required=False,
        help_text=RATING_HELP.get(rating, ""),
        widget=forms.NumberInput(attrs={"step": "any", "style": "width: 6em"}),
    )


class _StrategyVersionForm(forms.ModelForm):
    distance_fence = forms.BooleanField(
        label="Distance limit",
        required=False,
        help_text="Fence out locations further from the customer than the limit below.",
    )
    tag_preferences_text = forms.CharField(
        label="Tag preferences",
        required=False,
        help_text='Location tag and bonus, e.g. "flagship: 2, outlet: -1"; used by the '
        "tags rating (a higher bonus is preferred).",
    )

    class Meta:
        model = StrategyVersion
        fields = [
            "notes",
            "max_distance_km",
            "split_allowed",
            "max_parts",
            "min_part_value",
            "allow_transfer_to_pickup",
            "transfer_days",
        ]
        labels = {"max_distance_km": "At most (km)"}
        help_texts = {
            "split_allowed": "May an order be split over several locations (several parcels)?",
            "max_parts": "At most this many parcels per order; empty for no limit.",
            "min_part_value": "Each parcel of a split must be worth at least this.",
            "allow_transfer_to_pickup": "Click & collect: may other locations send stock to the "
            "pickup store when it lacks some?",
            "transfer_days": "Days such a transfer takes.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What routes with this version: no weights at all means the default's (to_config).
        weights = dict(self.instance.rating_weights or {}) or {RATING_SHIPPING_COST: 1.0}
        for rating in RATING_NAMES:
            if weight_field_name(rating) in self.fields:
                self.fields[weight_field_name(rating)].initial = weights.get(rating, 0)
        self.fields["distance_fence"].initial = self.instance.max_distance_km is not None
        self.fields["tag_preferences_text"].initial = ", ".join(
            f"{tag}: {bonus:g}" for tag, bonus in (self.instance.tag_preferences or {}).items()
        )
        if "max_distance_km" in self.fields:  # absent when the version is frozen (read-only)
            field = self.fields["max_distance_km"]
            field.widget.attrs.setdefault("style", "width: 8em")
            # The column's bounds, checked even when the fence is unticked (value then unused).
            field.validators.extend(StrategyVersion._meta.get_field("max_distance_km").validators)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("distance_fence"):
            if data.get("max_distance_km") is None:
                self.add_error("max_distance_km", "Give the limit in km, or untick the fence.")
        else:
            data["max_distance_km"] = None
        weights = {
            rating: float(value)
            for rating in RATING_NAMES
            if (value := data.get(weight_field_name(rating)))
        }
        try:
            tags = _parse_tags(data.get("tag_preferences_text") or "")
        except forms.ValidationError as exc:
            self.add_error("tag_preferences_text", exc)
            tags = {}
        if not weights:
            raise forms.ValidationError("Give at least one rating a weight above 0.")
        # Not in Meta.fields: set here so the model's clean (validate_strategy) sees them.
        self.instance.rating_weights = weights
        self.instance.tag_preferences = tags
        return data


WEIGHT_FIELDS = [weight_field_name(r) for r in RATING_NAMES]

# One number field per rating, declared on the class so the admin's fieldsets may name them.
StrategyVersionForm = type(
    "StrategyVersionForm",
    (_StrategyVersionForm,),
    {
        "__module__": __name__,
        **{name: _weight_field(r) for name, r in zip(WEIGHT_FIELDS, RATING_NAMES, strict=True)},
    },
)
