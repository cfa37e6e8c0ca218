"""What the return page shows: the steps allowed now (or why not), the lines with an
inspection form each, receipts, quality holds, the refund preview and the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q

from orders.console import describe_event
from orders.payments.models import Refund
from orders.payments.selectors import payment_summary

from .. import services
from ..models import QualityHold, ReturnLine, ReturnRequest
from ..rules import INSPECT, STEPS, step_permission, step_permitted, step_refusal
from ..services.refunds import refund_source
from .forms import (
    AdjustmentForm,
    CancelForm,
    InTransitForm,
    ReceiveForm,
    RefundForm,
    RejectForm,
    StepForm,
    inspection_forms,
)

# The lifecycle steps offered as buttons (inspect and refund have their own sections).
STEP_FORMS: dict[str, type[StepForm]] = {
    "approve": StepForm,
    "reject": RejectForm,
    "ship_back": InTransitForm,
    "receive": ReceiveForm,
    "close": StepForm,
    "cancel": CancelForm,
}


def step_form(step: str, ret: ReturnRequest, data: Any = None) -> StepForm:
    kwargs: dict[str, Any] = {}
    initial: dict[str, Any] = {"state": ret.state}
    if step == "receive":
        initial["parcel_reference"] = ret.tracking_number
        initial["location"] = ret.location_id
        outstanding = {
            line.order_line.line_number: line.quantity - line.received_quantity
            for line in ret.lines.select_related("order_line").order_by("pk")
        }
        kwargs = {
            "channel": ret.channel,
            "outstanding": {n: units for n, units in outstanding.items() if units > 0},
        }
    return STEP_FORMS[step](data, initial=initial, prefix=step, **kwargs)


@dataclass(frozen=True)
class StepView:
    """A button: enabled with its form, or disabled with the reason."""

    name: str
    label: str
    form: forms.Form | None
    refusal: str | None


def refusal_for(ret: ReturnRequest, step: str, user: Any) -> str | None:
    """The state rule (as the service enforces it), then the permission."""
    refusal = step_refusal(ret, step)
    if refusal is None and not step_permitted(step, user):
        refusal = f"You lack the permission ({step_permission(step)})."
    return refusal


def _steps(ret: ReturnRequest, user: Any) -> list[StepView]:
    views = []
    for name in STEP_FORMS:
        refusal = refusal_for(ret, name, user)
        form = step_form(name, ret) if refusal is None else None
        views.append(StepView(name, STEPS[name].label, form, refusal))
    return views


def refund_preview(
    ret: ReturnRequest, user: Any, adjustment: AdjustmentForm | None = None
) -> dict[str, Any]:
    """The amount refunding now would pay back and how it was computed, what the payments
    can still refund, and the issue form (or why refunding is not possible now)."""
    adjusted = adjustment is not None and adjustment.is_valid()
    data = adjustment.cleaned_data if adjustment is not None and adjusted else {}
    computation = services.return_refund_compute(
        ret=ret,
        adjustment=data.get("adjustment") or Decimal("0"),
        adjustment_reason=data.get("adjustment_reason", ""),
    )
    summary = payment_summary(order=ret.order)
    refusal = refusal_for(ret, "refund", user)
    if refusal is None and computation.total <= 0:
        refusal = "Nothing is left to refund for this return."
    if refusal is None and computation.total > summary.refundable:
        refusal = (
            f"The payments can refund only {summary.refundable} {summary.currency} "
            "(captured and not yet refunded); adjust the amount or record a capture first."
        )
    form = None
    if refusal is None:
        form = RefundForm(
            initial={
                "state": ret.state,
                "expected_total": computation.total,
                "adjustment": computation.adjustment,
                "adjustment_reason": computation.adjustment_reason,
            },
            prefix="refund",
        )
    return {
        "computation": computation,
        "summary": summary,
        "refusal": refusal,
        "form": form,
        "adjustment_form": adjustment or AdjustmentForm(),
        "adjusted": adjusted,
        "refunds": list(Refund.objects.filter(source=refund_source(ret)).order_by("pk")),
    }


def return_timeline(ret: ReturnRequest, refund_ids: list[int]) -> list[tuple[Any, str]]:
    """The order events about this return (and its refunds), oldest first."""
    events = ret.order.events.filter(
        Q(data__return_id=ret.pk) | Q(data__refund_id__in=refund_ids)
    ).order_by("sequence")
    return [(event, describe_event(event)) for event in events]


def return_page_context(
    ret: ReturnRequest, user: Any, adjustment: AdjustmentForm | None = None
) -> dict[str, Any]:
    lines = list(
        ReturnLine.objects.filter(return_request=ret)
        .select_related("order_line", "reason")
        .prefetch_related("inspections")
        .order_by("pk")
    )
    inspect_refusal = refusal_for(ret, "inspect", user)
    forms_by_line = {}
    if inspect_refusal is None:
        forms_by_line = {f.line.pk: f for f in inspection_forms(lines)}  # type: ignore[attr-defined]
        if not forms_by_line:
            inspect_refusal = "Every received unit is inspected."
    for line in lines:
        line.inspection_form = forms_by_line.get(line.pk)  # type: ignore[attr-defined]
    refund = refund_preview(ret, user, adjustment)
    return {
        "ret": ret,
        "order": ret.order,
        "steps": _steps(ret, user),
        "lines": lines,
        "inspect_refusal": inspect_refusal,
        "receipts": list(ret.receipts.select_related("location")),
        "holds": list(
            QualityHold.objects.filter(inspection__line__return_request=ret)
            .select_related("product", "location")
            .order_by("pk")
        ),
        "refund": refund,
        "can_decide_holds": user.has_perm(INSPECT),
        "hold_decisions": [("release", "Release to stock"), ("write-off", "Write off")],
        "timeline": return_timeline(ret, [r.pk for r in refund["refunds"]]),
    }
