"""The strategy pages' "try it" panel, replay summary and activation confirmation, and the
built-in default strategy shown beside the listed ones (routing.strategy_trial does the
work; past orders come from the orders app through routing.replay_source)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from inventory.models import Location, Product
from oms.api.context import user_actor
from oms.errors import OMSError, error_words
from oms.models import Channel

from . import services
from .models import StrategyVersion
from .planner import CLICK_COLLECT, SHIP, Destination, PlanLine, RoutingRequest, StrategyConfig
from .reason_words import reasons_text
from .replay import ReplayOrder
from .replay_source import replay_source
from .route_map import RouteMap, decision_route_map
from .strategy_trial import (
    MAX_REPLAY_ORDERS,
    ReplaySummary,
    Trial,
    strategy_replay_recent,
    strategy_try,
)

DEFAULT_REPLAY_ORDERS = 200


# --- the built-in default ---------------------------------------------------------------------


def built_in_default_context(request: HttpRequest) -> dict[str, Any]:
    """The built-in default strategy as the strategy lists show it (it has no row)."""
    config = StrategyConfig()
    return {
        "built_in_default": {
            "name": f"{config.name} v{config.version} (built-in)",
            "weights": ", ".join(
                f"{k.replace('_', ' ')} {v:g}" for k, v in config.rating_weights.items()
            ),
            "distance": "no limit"
            if config.max_distance_km is None
            else f"{config.max_distance_km:g} km",
            "split": "allowed, any number of parcels" if config.split.allowed else "not allowed",
            "transfer": "no"
            if not config.allow_transfer_to_pickup
            else f"{config.transfer_days} days",
        },
        "can_copy_default": request.user.has_perm("routing.add_routingstrategy"),
    }


def default_strategy_create_view(
    model_admin: admin.ModelAdmin, request: HttpRequest
) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.has_perm("routing.add_routingstrategy"):
        raise PermissionDenied
    try:
        draft = services.strategy_from_built_in_create(actor=user_actor(request.user))
    except IntegrityError:
        messages.error(request, f'A strategy named "{services.BUILT_IN_NAME}" exists already.')
        return HttpResponseRedirect(reverse("admin:routing_routingstrategy_changelist"))
    model_admin.log_addition(request, draft.strategy, "Copied the built-in default strategy")
    messages.success(
        request,
        "Created the strategy “default” with draft v1 holding the built-in rules; the built-in "
        "default keeps routing until you activate it.",
    )
    return HttpResponseRedirect(reverse("admin:routing_strategyversion_change", args=[draft.pk]))


# --- try it -----------------------------------------------------------------------------------


class LocationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Location) -> str:
        return f"{obj.city or obj.code} ({obj.country}) - near {obj.code}"


class SampleOrderForm(forms.Form):
    """A what-if order: lines, a channel and a place to ship to (a location's town, so nobody
    types coordinates)."""

    channel = forms.ModelChoiceField(queryset=Channel.objects.order_by("code"))
    ship_to = LocationChoice(
        queryset=Location.objects.exclude(latitude=None).order_by("city", "code"),
        label="Ship to",
        help_text="The customer lives in this town (its location's coordinates are used).",
    )
    delivery_type = forms.ChoiceField(
        choices=[(SHIP, "Ship to address"), (CLICK_COLLECT, "Click & collect")], initial=SHIP
    )
    pickup_location = forms.ModelChoiceField(
        queryset=Location.objects.filter(click_collect=True).order_by("code"),
        required=False,
        help_text="Click & collect only: the store the customer picks up at.",
    )
    lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 30}),
        help_text="One line per row: SKU and quantity, e.g. SHIRT-M 2.",
    )

    def clean_lines(self) -> list[tuple[str, int]]:
        parsed = []
        for row in self.cleaned_data["lines"].splitlines():
            if not row.strip():
                continue
            sku, _, quantity = row.strip().replace(" x ", " ").rpartition(" ")
            if not sku.strip() or not quantity.isdigit() or not 0 < int(quantity) <= 100_000:
                raise forms.ValidationError(f"Write “SKU quantity”, not “{row.strip()}”.")
            parsed.append((sku.strip(), int(quantity)))
        if not parsed:
            raise forms.ValidationError("Give at least one line.")
        known = set(
            Product.objects.filter(sku__in=[s for s, _ in parsed]).values_list("sku", flat=True)
        )
        unknown = sorted({s for s, _ in parsed} - known)
        if unknown:
            raise forms.ValidationError(f"Unknown SKU: {', '.join(unknown)}.")
        return parsed

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("delivery_type") == CLICK_COLLECT and not data.get("pickup_location"):
            self.add_error("pickup_location", "Click & collect needs a pickup store.")
        return data

    def order(self) -> ReplayOrder:
        data = self.cleaned_data
        place: Location = data["ship_to"]
        pickup: Location | None = data.get("pickup_location")
        if data["delivery_type"] == CLICK_COLLECT and pickup is not None:
            place = pickup
        return ReplayOrder(
            reference="sample order",
            request=RoutingRequest(
                lines=tuple(
                    PlanLine(str(n), sku, qty, Decimal("0"))
                    for n, (sku, qty) in enumerate(data["lines"], start=1)
                ),
                destination=Destination(place.country, place.latitude, place.longitude),
                delivery_type=data["delivery_type"],
                pickup_location_id=pickup.pk if pickup else None,
                channel_id=data["channel"].pk,
            ),
        )


class PastOrderForm(forms.Form):
    reference = forms.CharField(
        max_length=200,
        label="Past order",
        help_text="Its reference, e.g. WEB-1001 or web-de/WEB-1001 (open lines, as placed).",
    )

    def order(self) -> ReplayOrder:
        found = replay_source().by_reference(reference=self.cleaned_data["reference"])
        if found is None:
            raise forms.ValidationError("No such order with open lines.")
        return found


class ReplayForm(forms.Form):
    replay_orders = forms.IntegerField(
        label="Most recent orders",
        min_value=1,
        max_value=MAX_REPLAY_ORDERS,
        initial=DEFAULT_REPLAY_ORDERS,
    )


@dataclass(frozen=True)
class TrialView:
    trial: Trial
    parts: list[dict[str, Any]]
    route_map: RouteMap | None
    refusal: str  # why it is not (fully) routable, in words


def _trial_view(trial: Trial) -> TrialView:
    plan = trial.plan
    request = trial.order.request
    parts = [
        {
            "code": trial.code(part.location_id),
            "transfer_to": trial.code(part.transfer_to_location_id)
            if part.transfer_to_location_id
            else "",
            "lines": [(pl.sku, pl.quantity) for pl in part.lines],
            "distance_km": part.distance_km,
            "cost": part.cost,
        }
        for part in plan.fulfilments
    ]
    dest = request.destination
    located = dest.latitude is not None and dest.longitude is not None
    return TrialView(
        trial=trial,
        parts=parts,
        refusal=reasons_text(plan.reasons),
        route_map=decision_route_map(
            log=plan.decision_log,
            fulfilments=[(p.location_id, p.transfer_to_location_id) for p in plan.fulfilments],
            destination=(dest.latitude, dest.longitude) if located else None,  # type: ignore[arg-type]
            destination_label="pickup store"
            if request.delivery_type == CLICK_COLLECT
            else "customer",
            locations=trial.places,
        ),
    )


def _replay_count(raw: Any) -> int:
    try:
        return max(1, min(int(raw), MAX_REPLAY_ORDERS))
    except (TypeError, ValueError):
        return DEFAULT_REPLAY_ORDERS


def activation_summaries(
    versions: Sequence[StrategyVersion], replay_orders: Any = None
) -> list[tuple[StrategyVersion, ReplaySummary | None, str]]:
    """Each version's replay summary over the recent orders (or why there is none)."""
    count = _replay_count(replay_orders)
    rows: list[tuple[StrategyVersion, ReplaySummary | None, str]] = []
    for version in versions:
        try:
            rows.append((version, strategy_replay_recent(version=version, orders=count), ""))
        except OMSError as exc:
            rows.append((version, None, error_words(exc)))
    return rows


def strategy_try_view(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int
) -> HttpResponse:
    version = get_object_or_404(StrategyVersion.objects.select_related("strategy"), pk=object_id)
    if not model_admin.has_view_permission(request, version):
        raise PermissionDenied
    kind = request.POST.get("try") if request.method == "POST" else None
    sample = SampleOrderForm(request.POST if kind == "sample" else None, prefix="sample")
    past = PastOrderForm(request.POST if kind == "past" else None, prefix="past")
    replay_form = ReplayForm(
        request.POST if kind == "replay" else None, initial={"replay_orders": DEFAULT_REPLAY_ORDERS}
    )
    trial: TrialView | None = None
    summary: ReplaySummary | None = None
    problem = ""
    try:
        if kind in ("sample", "past"):
            form: SampleOrderForm | PastOrderForm = sample if kind == "sample" else past
            if form.is_valid():
                try:
                    trial = _trial_view(strategy_try(version=version, order=form.order()))
                except forms.ValidationError as exc:
                    form.add_error(None, exc)
        elif kind == "replay" and replay_form.is_valid():
            summary = strategy_replay_recent(
                version=version, orders=replay_form.cleaned_data["replay_orders"]
            )
    except OMSError as exc:
        problem = error_words(exc)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Try {version.strategy.name} v{version.number} ({version.status})",
        "version": version,
        "sample_form": sample,
        "past_form": past,
        "replay_form": replay_form,
        "trial": trial,
        "summary": summary,
        "problem": problem,
        "can_activate": version.status == StrategyVersion.Status.DRAFT
        and request.user.has_perm("routing.activate_strategyversion"),
        "change_url": reverse("admin:routing_strategyversion_change", args=[version.pk]),
        "changelist_url": reverse("admin:routing_strategyversion_changelist"),
    }
    return TemplateResponse(request, "admin/routing/strategyversion/try.html", context)
