"""The per-SKU stock page of the admin: the SKU's stock at every location and per channel,
inbound stock by date, the newest ledger movements, and two changes beside each other -
"adjust on hand by" (`stock_adjust`) and "set counted quantity" (an absolute count through
`stock_feed_apply`, as a location's own system would send it). Both write ledger movements
with the staff member's name and reason and need `inventory.adjust_stock`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from oms.api.context import user_actor
from oms.errors import OMSError, error_words

from . import services
from .errors import StockFeedRejected
from .forms import StockPageAdjustForm, StockPageCountForm
from .models import Location, Product, StockLevel
from .selectors import sku_stock

ADJUST_STOCK = "inventory.adjust_stock"
VIEW_PERMISSIONS = ("inventory.view_product", "inventory.view_stocklevel")


def stock_count_apply(
    *, location: Location, product: Product, on_hand: int, reason: str, actor: str
) -> str:
    """Set on hand to a counted quantity (ledger kind `count`); returns what happened, in
    words. Raises OMSError (e.g. below what is reserved for orders)."""
    result = services.stock_feed_apply(
        updates=[
            services.StockUpdate(
                location_code=location.code,
                sku=product.sku,
                on_hand=on_hand,
                counted_at=timezone.now(),
                reason=reason,
            )
        ],
        actor=actor,
        reference="console count",
    )
    if result.stale:
        return "A newer count is already recorded for this stock level; nothing changed."
    if result.unchanged:
        return f"Counted {on_hand} at {location.code}: on hand already was {on_hand}."
    return f"Set on hand of {product.sku} at {location.code} to the counted {on_hand}."


def refusal_text(exc: OMSError) -> str:
    """What a refused change tells an agent: the rows' messages, not the error code."""
    if isinstance(exc, StockFeedRejected) and isinstance(exc.details, dict):
        rows = exc.details.get("errors") or []
        if rows:
            return " ".join(str(row.get("message", "")) for row in rows)
    return error_words(exc)


def sku_stock_view(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int
) -> HttpResponse:
    user = request.user
    if not any(user.has_perm(p) for p in VIEW_PERMISSIONS):
        raise PermissionDenied
    product = get_object_or_404(Product, pk=object_id)
    can_change = user.has_perm(ADJUST_STOCK)
    page_url = reverse("admin:inventory_product_stock", args=[product.pk])
    adjust_form = StockPageAdjustForm(prefix="adjust")
    count_form = StockPageCountForm(prefix="count")
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        kind = request.POST.get("change")
        form: StockPageAdjustForm | StockPageCountForm
        if kind == "count":
            form = count_form = StockPageCountForm(request.POST, prefix="count")
        else:
            form = adjust_form = StockPageAdjustForm(request.POST, prefix="adjust")
        if form.is_valid():
            data = form.cleaned_data
            location = data["location"]
            actor = user_actor(user)
            try:
                if kind == "count":
                    done = stock_count_apply(
                        location=location,
                        product=product,
                        on_hand=data["on_hand"],
                        reason=data["reason"],
                        actor=actor,
                    )
                else:
                    services.stock_adjust(
                        location=location,
                        product=product,
                        delta=data["delta"],
                        reason=data["reason"],
                        actor=actor,
                    )
                    done = (
                        f"Adjusted on hand of {product.sku} at {location.code} by "
                        f"{data['delta']:+d}."
                    )
            except OMSError as exc:
                messages.error(request, f"{product.sku} at {location.code}: {refusal_text(exc)}")
            else:
                level = StockLevel.objects.filter(location=location, product=product).first()
                if level is not None:
                    model_admin.log_change(request, level, f"{done} Reason: {data['reason']}")
                messages.success(request, done)
                return HttpResponseRedirect(page_url)
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"Stock of {product.sku} {product.name}",
        "product": product,
        "stock": sku_stock(product=product),
        "can_change": can_change,
        "adjust_form": adjust_form,
        "count_form": count_form,
        "page_url": page_url,
    }
    return TemplateResponse(request, "admin/inventory/product/stock.html", context)
