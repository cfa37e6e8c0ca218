"""The staff console: orders are read-only in the admin; every change goes through an edit page
(one form, one service call, one permission) or a fulfilment button on the order page.

The order page (`change_view`) shows the summary, addresses, lines, fulfilments with the
transitions allowed now, the event timeline and the routing decision logs. Each edit carries the
order version it was opened at: a stale one is refused by the service and nothing is overwritten.
Every change is in the order's event log (who, when, before/after) and in Django's admin history.
The read-only lists around orders (fulfilments, events, decisions, holds) are in `admin_lists`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from oms.admin_console import ConsoleModelAdmin
from oms.api.context import user_actor
from oms.errors import OMSError, PreconditionFailed

from . import (
    admin_lists,  # noqa: F401  (registers the read-only lists around orders)
    services,
)
from .admin_edits import (
    CONSOLE_PERMISSIONS,
    EDITS,
    TRANSITION_FULFILMENT,
    conflict_message,
)
from .admin_notifications import resend_view
from .admin_reroute import reroute_view
from .attention import ORDER_QUEUES
from .console_errors import console_error_text
from .console_page import console_context, edit_verdict
from .forms import FULFILMENT_ACTION_LABELS, FulfilmentActionForm
from .models import (
    Fulfilment,
    FulfilmentState,
    Order,
    OrderLine,
)
from .search import orders_search
from .selectors import order_for_console

# --- Order admin ------------------------------------------------------------------------------


class AttentionFilter(admin.SimpleListFilter):
    """The dashboard's order queues (orders.attention): the same definition as its counts."""

    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in ORDER_QUEUES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        queue = ORDER_QUEUES.get(self.value() or "")
        if queue is None:
            return queryset
        return queryset.filter(pk__in=queue[1]().values("pk"))


@admin.register(Order)
class OrderAdmin(ConsoleModelAdmin):
    # Orders come from the channels' APIs and are never deleted; edits use the edit pages.
    console_permissions = CONSOLE_PERMISSIONS
    list_display = [
        "reference",
        "channel_code",
        "state",
        "customer",
        "total_display",
        "placed",
        "fulfilment_locations",
    ]
    list_filter = [
        "state",
        "channel",
        "delivery_type",
        # Not RelatedOnlyFieldListFilter: that one reads every order's fulfilments per page.
        ("fulfilments__location", admin.RelatedFieldListFilter),
        "placed_at",
        AttentionFilter,
    ]
    list_display_links = ["reference"]
    # One box finds everything an agent is given (orders.search); the admin's own
    # `search_fields` machinery is replaced by get_search_results below.
    search_fields = ["external_reference"]
    search_help_text = (
        "Reference, e-mail, name, tracking number, SKU, postal code, phone, or an order, "
        "fulfilment or return number."
    )
    show_full_result_count = False  # no second COUNT(*) over every order on each search
    show_facets = admin.ShowFacets.NEVER  # per-filter counts would scan every order
    list_per_page = 50

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Order], search_term: str
    ) -> tuple[QuerySet[Order], bool]:
        return orders_search(queryset, search_term), False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        live = Fulfilment.objects.exclude(
            state__in=[FulfilmentState.CANCELLED, FulfilmentState.REJECTED]
        ).select_related("location")
        return (
            super()
            .get_queryset(request)
            .select_related("channel")
            .prefetch_related(Prefetch("fulfilments", queryset=live, to_attr="live_fulfilments"))
        )

    @admin.display(description="reference", ordering="external_reference")
    def reference(self, obj: Order) -> str:
        return obj.external_reference

    @admin.display(description="channel", ordering="channel__code")
    def channel_code(self, obj: Order) -> str:
        return obj.channel.code

    @admin.display(description="customer", ordering="customer_name")
    def customer(self, obj: Order) -> str:
        if obj.customer_name and obj.customer_email:
            return format_html(
                '{}<br><span class="quiet">{}</span>', obj.customer_name, obj.customer_email
            )
        return obj.customer_name or obj.customer_email or "-"

    @admin.display(description="total", ordering="total")
    def total_display(self, obj: Order) -> str:
        return f"{obj.total} {obj.currency}"

    @admin.display(description="placed", ordering="placed_at")
    def placed(self, obj: Order) -> str:
        return date_format(localtime(obj.placed_at), "Y-m-d H:i")

    @admin.display(description="locations")
    def fulfilment_locations(self, obj: Order) -> str:
        fulfilments = getattr(obj, "live_fulfilments", None)
        if fulfilments is None:  # not fetched through get_queryset
            return "-"
        return ", ".join(sorted({f.location.code for f in fulfilments})) or "-"

    # --- URLs --------------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            # Before the generic edit pages: the reroute has its own page with a preview.
            path(
                "<int:object_id>/edit/reroute/",
                wrap(partial(reroute_view, self)),
                name="orders_order_reroute",
            ),
            path(
                "<int:object_id>/edit/<slug:slug>/",
                wrap(self.edit_view),
                name="orders_order_edit",
            ),
            path(
                "<int:object_id>/lines/<int:line_id>/<slug:slug>/",
                wrap(self.edit_view),
                name="orders_order_line_edit",
            ),
            path(
                "<int:object_id>/emails/<int:delivery_id>/resend/",
                wrap(partial(resend_view, self)),
                name="orders_order_resend_email",
            ),
            path(
                "<int:object_id>/fulfilments/<int:fulfilment_id>/",
                wrap(self.fulfilment_action_view),
                name="orders_order_fulfilment_action",
            ),
            *super().get_urls(),
        ]

    def _order_url(self, order_id: int) -> str:
        return reverse("admin:orders_order_change", args=[order_id])

    # --- The order page ----------------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])  # the page changes nothing: see the edits
        try:
            order = order_for_console(order_id=int(object_id))
        except ValueError:
            order = None
        if order is None:
            raise Http404("No such order.")
        if not self.has_view_permission(request, order):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            **console_context(request.user, order),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/orders/order/console.html", context)

    # --- Edit pages ----------------------------------------------------------------------------

    def edit_view(
        self, request: HttpRequest, object_id: int, slug: str, line_id: int | None = None
    ) -> HttpResponse:
        edit = EDITS.get(slug)
        if edit is None or edit.per_line != (line_id is not None):
            raise Http404("No such edit.")
        order = get_object_or_404(
            Order.objects.select_related("channel", "pickup_location"), pk=object_id
        )
        allowed = (
            self.has_view_permission(request, order)
            if edit.permission is None
            else request.user.has_perm(edit.permission)
        )
        if not allowed:
            raise PermissionDenied
        line = get_object_or_404(OrderLine, pk=line_id, order=order) if line_id else None
        form = edit.form_class(
            request.POST if request.method == "POST" else None, order=order, line=line
        )
        if request.method != "POST":
            verdict = edit_verdict(slug, order, line)
            if not verdict.allowed:
                messages.warning(request, f"This will be refused: {verdict.reason}")
        if form.is_bound and form.is_valid():
            try:
                done = edit.apply(form, user_actor(request.user))
            except PreconditionFailed as exc:
                messages.error(request, conflict_message(exc, form))
                return HttpResponseRedirect(self._order_url(order.pk))
            except OMSError as exc:
                excluded = [loc.pk for loc in form.cleaned_data.get("exclude_locations") or ()]
                messages.error(request, console_error_text(exc, order, also_excluded=excluded))
            else:
                if done:
                    self.log_change(request, order, done)
                    messages.success(request, done)
                else:
                    messages.info(request, "Nothing changed.")
                return HttpResponseRedirect(self._order_url(order.pk))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": edit.title,
            "intro": edit.intro,
            "submit_label": edit.submit_label,
            "order": order,
            "line": line,
            "form": form,
            "order_url": self._order_url(order.pk),
            "order_form_id": "order-edit-form",
        }
        return TemplateResponse(request, "admin/orders/order/edit_form.html", context)

    # --- Fulfilment buttons --------------------------------------------------------------------

    @staticmethod
    def _run_fulfilment_action(fulfilment: Fulfilment, data: dict[str, Any], actor: str) -> None:
        if data["action"] == "reject":
            services.fulfilment_reject(
                fulfilment_id=fulfilment.pk, reason=data["reason"].strip(), actor=actor
            )
        else:
            services.fulfilment_transition(
                fulfilment_id=fulfilment.pk,
                action=data["action"],
                actor=actor,
                carrier=data["carrier"],
                tracking_number=data["tracking_number"],
                tracking_url=data["tracking_url"],
            )

    def fulfilment_action_view(
        self, request: HttpRequest, object_id: int, fulfilment_id: int
    ) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(TRANSITION_FULFILMENT):
            raise PermissionDenied
        fulfilment = get_object_or_404(
            Fulfilment.objects.select_related("order__channel", "location"),
            pk=fulfilment_id,
            order_id=object_id,
        )
        redirect = HttpResponseRedirect(self._order_url(object_id))
        form = FulfilmentActionForm(request.POST)
        if not form.is_valid():
            problems = "; ".join(" ".join(errors) for errors in form.errors.values())
            messages.error(request, f"Fulfilment #{fulfilment.pk}: {problems}")
            return redirect
        data = form.cleaned_data
        if data["state"] != fulfilment.state:
            messages.error(
                request,
                f"Fulfilment #{fulfilment.pk} changed since you opened the page: it is now "
                f"{fulfilment.get_state_display().lower()}, not {data['state'].replace('_', ' ')}."
                " Nothing was done; check the order and try again.",
            )
            return redirect
        try:
            self._run_fulfilment_action(fulfilment, data, user_actor(request.user))
        except OMSError as exc:
            messages.error(request, f"{fulfilment}: {console_error_text(exc)}")
            return redirect
        done = (
            f"Fulfilment #{fulfilment.pk} at {fulfilment.location.code}: "
            f"{FULFILMENT_ACTION_LABELS[data['action']].lower()}."
        )
        if data["action"] == "reject":
            done += f" Reason: {data['reason'].strip()}. Its units were routed again."
        self.log_change(request, fulfilment.order, done)
        messages.success(request, done)
        return redirect
