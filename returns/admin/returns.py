"""The returns console: the list (filters: state, channel, location, reason, age; search by
order reference, e-mail, tracking number) and the return page, which changes nothing itself:
each button posts one step to one service call. A button is shown only where the service
would allow the step (returns.rules) and disabled with the reason otherwise; a refusal is a
message in words. Staff create returns from the order page (returns.admin.create)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http import HttpResponseRedirect as Redirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from oms.admin_console import ConsoleModelAdmin
from oms.api.context import user_actor
from oms.errors import OMSError

from .. import services
from ..models import QualityHold, ReturnRequest, ReturnState
from ..rules import CONSOLE_PERMISSIONS, INSPECT, ISSUE_REFUND, step_permitted
from .create import create_view
from .forms import AdjustmentForm, ReceiveForm, RefundForm, StepForm, inspection_forms
from .page import STEP_FORMS, return_page_context, step_form

# One service call per lifecycle step; each gets the return, the form's data and the actor.
STEP_CALLS: dict[str, Callable[[ReturnRequest, dict[str, Any], str], object]] = {
    "approve": lambda r, d, a: services.return_approve(return_id=r.pk, actor=a),
    "reject": lambda r, d, a: services.return_reject(return_id=r.pk, reason=d["reason"], actor=a),
    "ship_back": lambda r, d, a: services.return_mark_in_transit(
        return_id=r.pk, tracking_number=d["tracking_number"], actor=a
    ),
    "receive": lambda r, d, a: services.return_receive(
        return_id=r.pk,
        parcel_reference=d["parcel_reference"],
        location=d["location"],
        lines=d["lines"],
        actor=a,
    ),
    "close": lambda r, d, a: services.return_close(return_id=r.pk, actor=a),
    "cancel": lambda r, d, a: services.return_cancel(
        return_id=r.pk, reason=d.get("reason", ""), actor=a
    ),
}
HOLD_DECISIONS = {"release": "released to sellable stock", "write-off": "written off"}
STEP_DONE = {
    "approve": "approved",
    "reject": "rejected",
    "ship_back": "marked in transit",
    "receive": "received",
    "close": "closed",
    "cancel": "cancelled",
}


def form_problems(form: Form) -> str:
    """A bound form's errors as one sentence: "Label: problem; ..."."""
    return "; ".join(
        f"{form.fields[name].label if name in form.fields else 'Form'}: "
        + " ".join(str(e) for e in errors)
        for name, errors in form.errors.items()
    )


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", "Older than 1 day"), ("3", "Older than 3 days"), ("7", "Older than 7 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(created_at__lt=timezone.now() - timedelta(days=int(value)))
        return queryset


@admin.register(ReturnRequest)
class ReturnRequestAdmin(ConsoleModelAdmin):
    # Returns change only through the page's steps (and are never deleted); staff create
    # them from an order (create_view), not from an empty form.
    console_permissions = CONSOLE_PERMISSIONS
    list_display = [
        "number",
        "order_reference",
        "customer_email",
        "channel",
        "state_badge",
        "resolution",
        "location",
        "tracking_number",
        "created_at",
    ]
    list_display_links = ["number"]
    list_filter = [
        "state",
        "channel",
        ("location", admin.RelatedOnlyFieldListFilter),
        "lines__reason",
        AgeFilter,
        "created_via",
    ]
    search_fields = [
        "order__external_reference",
        "order__customer_email",
        "tracking_number",
        "order__fulfilments__tracking_number",
    ]
    list_select_related = ["order", "channel", "location"]
    show_full_result_count = False
    actions = ["approve_selected"]

    @admin.display(description="return", ordering="pk")
    def number(self, ret: ReturnRequest) -> str:
        return f"#{ret.pk}"

    @admin.display(description="order", ordering="order__external_reference")
    def order_reference(self, ret: ReturnRequest) -> str:
        return ret.order.external_reference

    @admin.display(description="e-mail", ordering="order__customer_email")
    def customer_email(self, ret: ReturnRequest) -> str:
        return ret.order.customer_email or "-"

    @admin.display(description="state", ordering="state")
    def state_badge(self, ret: ReturnRequest) -> str:
        return format_html('<span class="return-state">{}</span>', ret.get_state_display())

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "create/<int:order_id>/",
                wrap(partial(create_view, self)),
                name="returns_returnrequest_create",
            ),
            path(
                "<int:object_id>/step/<slug:step>/",
                wrap(self.step_view),
                name="returns_returnrequest_step",
            ),
            path(
                "<int:object_id>/inspect/",
                wrap(self.inspect_view),
                name="returns_returnrequest_inspect",
            ),
            path(
                "<int:object_id>/holds/<int:hold_id>/<slug:decision>/",
                wrap(self.hold_view),
                name="returns_returnrequest_hold",
            ),
            path(
                "<int:object_id>/refund/",
                wrap(self.refund_view),
                name="returns_returnrequest_refund",
            ),
            *super().get_urls(),
        ]

    def _return(self, request: HttpRequest, object_id: Any) -> ReturnRequest:
        try:
            pk = int(object_id)
        except ValueError:
            raise Http404("No such return.") from None
        ret = get_object_or_404(
            ReturnRequest.objects.select_related(
                "order__channel", "channel", "location", "exchange_order"
            ),
            pk=pk,
        )
        if not self.has_view_permission(request, ret):
            raise PermissionDenied
        return ret

    def _page_url(self, ret: ReturnRequest) -> str:
        return reverse("admin:returns_returnrequest_change", args=[ret.pk])

    # --- The return page ----------------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])  # the page changes nothing: see the steps
        ret = self._return(request, object_id)
        adjustment = None
        if "adjustment" in request.GET and request.user.has_perm(ISSUE_REFUND):
            adjustment = AdjustmentForm(request.GET)
        context = {
            **self.admin_site.each_context(request),
            **return_page_context(ret, request.user, adjustment),
            "opts": self.opts,
            "title": f"Return #{ret.pk} of order {ret.order.external_reference}",
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/returns/returnrequest/console.html", context)

    def _fresh(self, request: HttpRequest, ret: ReturnRequest, form: StepForm) -> bool:
        """Whether the return is still in the state the page showed (else say so)."""
        if form.cleaned_data["state"] == ret.state:
            return True
        shown = ReturnState(form.cleaned_data["state"]).label.lower()
        messages.error(
            request,
            f"Return #{ret.pk} changed since you opened the page: it is now "
            f"{ret.get_state_display().lower()}, not {shown}. Nothing was done; check the "
            "return and try again.",
        )
        return False

    def _refused(self, request: HttpRequest, ret: ReturnRequest, what: str, exc: OMSError) -> None:
        messages.error(request, f"Return #{ret.pk} was not {what}: {exc.message}")

    def step_view(self, request: HttpRequest, object_id: int, step: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if step not in STEP_FORMS:
            raise Http404("No such step.")
        ret = self._return(request, object_id)
        if not step_permitted(step, request.user):
            raise PermissionDenied
        redirect = Redirect(self._page_url(ret))
        form = step_form(step, ret, request.POST)
        if not form.is_valid():
            messages.error(
                request, f"Return #{ret.pk} was not {STEP_DONE[step]}: {form_problems(form)}"
            )
            return redirect
        if self._fresh(request, ret, form):
            data = dict(form.cleaned_data)
            if isinstance(form, ReceiveForm):
                data["lines"] = form.parcel_lines()
            self._take_step(request, ret, step, data)
        return redirect

    def _take_step(
        self, request: HttpRequest, ret: ReturnRequest, step: str, data: dict[str, Any]
    ) -> bool:
        try:
            STEP_CALLS[step](ret, data, user_actor(request.user))
        except OMSError as exc:
            self._refused(request, ret, STEP_DONE[step], exc)
            return False
        done = f"Return #{ret.pk} {STEP_DONE[step]}"
        if step == "receive":
            done += f" at {data['location'].code} (parcel {data['parcel_reference']})"
        if data.get("reason"):
            done += f". Reason: {data['reason']}"
        self.log_change(request, ret, done + ".")
        messages.success(request, done + ".")
        return True

    @admin.action(description="Approve selected returns")
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        if not step_permitted("approve", request.user):
            messages.error(request, "You lack the permission to approve returns.")
            return
        for ret in queryset.order_by("pk"):
            self._take_step(request, ret, "approve", {})

    def inspect_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ret = self._return(request, object_id)
        if not step_permitted("inspect", request.user):
            raise PermissionDenied
        redirect = Redirect(self._page_url(ret) + "#lines")
        lines = list(ret.lines.select_related("order_line").order_by("pk"))
        forms = inspection_forms(lines, request.POST)
        if not all(form.is_valid() for form in forms):
            problems = "; ".join(
                f"line {form.line.order_line.line_number}: {form_problems(form)}"  # type: ignore[attr-defined]
                for form in forms
                if form.errors
            )
            messages.error(request, f"Return #{ret.pk} was not inspected: {problems}")
            return redirect
        entries = [
            services.InspectionInput(**form.cleaned_data)
            for form in forms
            if form.cleaned_data["quantity"] > 0
        ]
        if not entries:
            messages.error(request, f"Return #{ret.pk}: enter the units you inspected.")
            return redirect
        try:
            services.return_inspect(
                return_id=ret.pk, entries=entries, actor=user_actor(request.user)
            )
        except OMSError as exc:
            self._refused(request, ret, "inspected", exc)
            return redirect
        done = f"Return #{ret.pk} inspected: " + "; ".join(
            f"line {e.line_number} {e.quantity} unit(s) {e.condition}, "
            f"{e.disposition.replace('_', ' ')}"
            for e in entries
        )
        self.log_change(request, ret, done)
        messages.success(request, done + ".")
        return redirect

    def refund_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ret = self._return(request, object_id)
        if not step_permitted("refund", request.user):
            raise PermissionDenied
        redirect = Redirect(self._page_url(ret) + "#refund")
        form = RefundForm(request.POST, prefix="refund")
        if not form.is_valid():
            messages.error(request, f"Return #{ret.pk} was not refunded: open the page again.")
            return redirect
        if not self._fresh(request, ret, form):
            return redirect
        data = form.cleaned_data
        try:
            outcome = services.return_refund(
                return_id=ret.pk,
                actor=user_actor(request.user),
                adjustment=data["adjustment"] or Decimal("0"),
                adjustment_reason=data["adjustment_reason"],
                expected_total=data["expected_total"],
            )
        except OMSError as exc:
            self._refused(request, ret, "refunded", exc)
            return redirect
        states = ", ".join(sorted({r.get_state_display().lower() for r in outcome.refunds}))
        done = (
            f"Refund of {outcome.computation.total} {ret.order.currency} for return #{ret.pk} "
            f"issued ({states})."
        )
        self.log_change(request, ret, done)
        messages.success(request, done)
        return redirect

    def hold_view(
        self, request: HttpRequest, object_id: int, hold_id: int, decision: str
    ) -> HttpResponse:
        """Release a quality hold of this return to sellable stock, or write it off."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if decision not in HOLD_DECISIONS:
            raise Http404("No such decision.")
        ret = self._return(request, object_id)
        if not request.user.has_perm(INSPECT):
            raise PermissionDenied
        get_object_or_404(QualityHold, pk=hold_id, inspection__line__return_request=ret)
        redirect = Redirect(self._page_url(ret) + "#lines")
        verb = HOLD_DECISIONS[decision]
        try:
            hold = services.quality_hold_decide(
                hold_id=hold_id, release=decision == "release", actor=user_actor(request.user)
            )
        except OMSError as exc:
            messages.error(request, f"Quality hold #{hold_id} was not {verb}: {exc.message}")
            return redirect
        done = (
            f"Quality hold #{hold.pk} ({hold.quantity} × {hold.product.sku} at "
            f"{hold.location.code}) {verb}."
        )
        self.log_change(request, ret, done)
        messages.success(request, done)
        return redirect
