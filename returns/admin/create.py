"""Staff create a return for an order's shipped or picked-up units (linked from the order
page): one form, one call of `return_create` (the same rules as the shop's API: returnable
quantity under the order's lock, window, reasons), in the order's event log as staff's and
in the admin history."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from oms.api.context import user_actor
from oms.errors import OMSError
from orders.models import Order

from .. import services
from ..models import CreatedVia
from ..selectors import returnable_quantities
from .forms import ReturnCreateForm

CREATE_RETURN = "returns.add_returnrequest"


def create_view(model_admin: Any, request: HttpRequest, order_id: int) -> HttpResponse:
    if not request.user.has_perm(CREATE_RETURN):
        raise PermissionDenied
    order = get_object_or_404(Order.objects.select_related("channel"), pk=order_id)
    order_url = reverse("admin:orders_order_change", args=[order.pk])
    returnable = returnable_quantities(order=order)
    if not any(figures.returnable for figures in returnable.values()):
        messages.error(
            request,
            f"Nothing of order {order.external_reference} can be returned: no unit is shipped "
            "or picked up that is not already in a return.",
        )
        return HttpResponseRedirect(order_url)
    form = ReturnCreateForm(
        request.POST if request.method == "POST" else None, order=order, returnable=returnable
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            ret = services.return_create(
                order_id=order.pk,
                lines=[
                    services.ReturnLineInput(line_number=n, quantity=q, reason=reason)
                    for n, q, reason in form.line_inputs()
                ],
                actor=user_actor(request.user),
                created_via=CreatedVia.STAFF,
                location=data["location"],
                resolution=data["resolution"],
                tracking_number=data["tracking_number"],
                customer_note=data["customer_note"],
            )
        except OMSError as exc:
            form.add_error(None, exc.message)
        else:
            done = f"Return #{ret.pk} created for order {order.external_reference}: " + ", ".join(
                f"line {n} × {q} ({reason})" for n, q, reason in form.line_inputs()
            )
            model_admin.log_addition(request, ret, done)
            messages.success(request, f"{done}; it is {ret.get_state_display().lower()}.")
            return HttpResponseRedirect(
                reverse("admin:returns_returnrequest_change", args=[ret.pk])
            )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Create a return for order {order.external_reference}",
        "order": order,
        "order_url": order_url,
        "form": form,
    }
    return TemplateResponse(request, "admin/returns/returnrequest/create.html", context)
