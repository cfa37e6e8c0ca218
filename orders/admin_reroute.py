"""The staff reroute page: the candidate locations with their stock for the order's open
lines and their distance, a preview of the plan the reroute would make (with its map), and
a reason that lands in the timeline. Nothing changes until the agent confirms the plan they
previewed; a confirmation whose choices differ from the previewed ones previews again.

Served at the order's `edit/reroute/` address (`OrderAdmin.get_urls`), so every link to the
reroute edit leads here; it needs `orders.reroute_order` like the service call it makes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from oms.api.context import user_actor
from oms.errors import OMSError, PreconditionFailed
from routing.reason_words import reasons_text
from routing.route_map import candidate_notes, decision_route_map

from . import services
from .admin_edits import CONFLICT_MESSAGE, REROUTE_ORDER, conflict_message
from .console_errors import console_error_text
from .forms import RerouteForm
from .models import ACTIVE_FULFILMENT_STATES, DeliveryType, Order
from .services.reroute_preview import ReroutePreview, order_reroute_preview

INTRO = (
    "Every unit not yet handed over is routed again. Preview the plan first: the old "
    "reservations are only given up when the new plan can hold every unit, and a plan equal "
    "to today's keeps the fulfilments as they are."
)


def _choices(data: dict[str, Any]) -> str:
    """The previewed choices, as a fingerprint the confirmation must match."""
    excluded = ",".join(str(pk) for pk in sorted(loc.pk for loc in data["exclude_locations"]))
    forced = data["force_location"].pk if data["force_location"] else ""
    return f"x{excluded}|f{forced}"


def _parts(preview: ReroutePreview) -> list[dict[str, Any]]:
    if preview.plan is None:
        return []
    lines = {str(pk): line for pk, line in preview.lines.items()}
    return [
        {
            "code": preview.codes.get(part.location_id, str(part.location_id)),
            "transfer_to": preview.codes.get(part.transfer_to_location_id or 0),
            "lines": [
                (lines[pl.line_id].line_number, pl.sku, pl.quantity)
                for pl in part.lines
                if pl.line_id in lines
            ],
            "distance_km": part.distance_km,
            "cost": part.cost,
        }
        for part in preview.plan.fulfilments
    ]


def _map(order: Order, preview: ReroutePreview) -> Any:
    if preview.plan is None:
        return None
    located = order.shipping_latitude is not None and order.shipping_longitude is not None
    return decision_route_map(
        log=preview.plan.decision_log,
        fulfilments=[(p.location_id, p.transfer_to_location_id) for p in preview.plan.fulfilments],
        destination=(order.shipping_latitude, order.shipping_longitude) if located else None,
        destination_label=(
            "pickup store" if order.delivery_type == DeliveryType.CLICK_COLLECT else "customer"
        ),
        locations=preview.places,
    )


def _candidate_rows(preview: ReroutePreview) -> list[tuple[Any, str]]:
    """Each candidate with what routing made of it in the previewed plan (fenced out and
    why, or its rating), as the map's hover text says it."""
    log = preview.plan.decision_log if preview.plan is not None else {}
    notes = candidate_notes(log.get("candidates") or ())
    chosen = {p.location_id for p in preview.plan.fulfilments} if preview.plan else set()
    rows = []
    for candidate in preview.candidates:
        note = notes.get(candidate.location_id, (False, ""))[1]
        if candidate.location_id in chosen:
            note = "chosen" + (f" ({note.removeprefix('rated: ')})" if note else "")
        rows.append((candidate, note))
    return rows


def _live_ids(order_id: int) -> set[int]:
    return set(
        Order.objects.get(pk=order_id)
        .fulfilments.filter(state__in=ACTIVE_FULFILMENT_STATES)
        .values_list("pk", flat=True)
    )


def _confirm(
    model_admin: admin.ModelAdmin, request: HttpRequest, order: Order, form: RerouteForm
) -> str:
    """Run the reroute; returns what happened (raises OMSError when refused)."""
    data = form.cleaned_data
    excluded = list(data["exclude_locations"])
    forced = data["force_location"]
    before = _live_ids(order.pk)
    services.order_reroute(
        order_id=order.pk,
        actor=user_actor(request.user),
        expected_version=data["version"],
        exclude_location_ids=[loc.pk for loc in excluded],
        force_location_id=forced.pk if forced else None,
        reason=data["reason"],
    )
    if _live_ids(order.pk) == before:
        text = "The new plan is the current one: nothing was moved"
    else:
        text = "Rerouted the order"
    if excluded:
        text += f", excluding {', '.join(loc.code for loc in excluded)}"
    if forced:
        text += f", forced to {forced.code}"
    return f"{text}. Reason: {data['reason']}"


def reroute_view(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int
) -> HttpResponse:
    if not request.user.has_perm(REROUTE_ORDER):
        raise PermissionDenied
    order = get_object_or_404(
        Order.objects.select_related("channel", "pickup_location"), pk=object_id
    )
    order_url = reverse("admin:orders_order_change", args=[order.pk])
    previewed = ""
    if request.method == "POST":
        form = RerouteForm(request.POST, order=order)
        if not form.is_valid():
            preview = order_reroute_preview(order_id=order.pk)
        else:
            data = form.cleaned_data
            if data["version"] != order.version:
                messages.error(
                    request, CONFLICT_MESSAGE.format(yours=data["version"], current=order.version)
                )
                return HttpResponseRedirect(order_url)
            previewed = _choices(data)
            if "confirm" in request.POST and request.POST.get("previewed") == previewed:
                try:
                    done = _confirm(model_admin, request, order, form)
                except PreconditionFailed as exc:
                    messages.error(request, conflict_message(exc, form))
                    return HttpResponseRedirect(order_url)
                except OMSError as exc:  # in words: which SKU, each location's answer
                    excluded = [loc.pk for loc in data["exclude_locations"]]
                    messages.error(request, console_error_text(exc, order, also_excluded=excluded))
                else:
                    model_admin.log_change(request, order, done)
                    messages.success(request, done)
                    return HttpResponseRedirect(order_url)
            elif "confirm" in request.POST:
                messages.warning(
                    request, "Your choices changed since the preview: check the new plan."
                )
            preview = order_reroute_preview(
                order_id=order.pk,
                exclude_location_ids=[loc.pk for loc in data["exclude_locations"]],
                force_location_id=data["force_location"].pk if data["force_location"] else None,
            )
    else:
        form = RerouteForm(order=order)
        preview = order_reroute_preview(order_id=order.pk)
    needed: dict[str, int] = {}
    for line in preview.lines.values():
        if line.open_quantity:
            needed[line.sku] = needed.get(line.sku, 0) + line.open_quantity
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Reroute order",
        "intro": INTRO,
        "order": order,
        "order_url": order_url,
        "form": form,
        "preview": preview,
        "previewed": previewed,
        # A waiting order may take what it can; any other is refused unless every unit fits.
        "can_confirm": bool(previewed)
        and (preview.plan is None or preview.routable or order.state == "waiting"),
        "parts": _parts(preview),
        "current": [
            (
                f.pk,
                f.location.code,
                f.get_state_display(),
                [(fl.order_line_id, fl.quantity) for fl in f.lines.all()],
            )
            for f in preview.giving_up
        ],
        "candidate_rows": _candidate_rows(preview),
        "refusal": reasons_text(preview.plan.reasons) if preview.plan is not None else "",
        "skus": list(dict.fromkeys(sku for c in preview.candidates for sku in c.stock)),
        "needed": needed,
        "route_map": _map(order, preview),
        "line_numbers": {pk: (line.line_number, line.sku) for pk, line in preview.lines.items()},
        "order_form_id": "reroute-form",
    }
    return TemplateResponse(request, "admin/orders/order/reroute.html", context)
