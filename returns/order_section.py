"""The order page's returns section: each return with its refunds, what received returns
still owe the customer (not yet refunded), and a button to create a return where units can
still be returned and the staff member may."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from orders.models import DONE_FULFILMENT_STATES, Order
from orders.payments.models import Refund, RefundState

from .models import Resolution, ReturnLine, ReturnRequest
from .rules import REFUNDABLE_STATES
from .selectors import returnable_quantities
from .services import return_refund_compute
from .services.refunds import refund_source

CREATE_RETURN = "returns.add_returnrequest"


def order_returns_section(order: Order, user: Any) -> dict[str, Any]:
    returns = list(
        ReturnRequest.objects.filter(order=order)
        .select_related("location", "order__channel")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line", "reason"))
        )
        .order_by("pk")
    )
    refunds: dict[str, list[Refund]] = {}
    for refund in Refund.objects.filter(order=order).order_by("pk") if returns else ():
        refunds.setdefault(refund.source, []).append(refund)
    owed = Decimal("0")
    rows = []
    for ret in returns:
        mine = refunds.get(refund_source(ret), [])
        due = Decimal("0")
        if ret.state in REFUNDABLE_STATES and ret.resolution == Resolution.REFUND:
            due = return_refund_compute(ret=ret).total
        owed += due
        refunded = sum((r.amount for r in mine if r.state != RefundState.FAILED), Decimal("0"))
        rows.append({"ret": ret, "refunds": mine, "refunded": refunded, "due": due})
    # Nothing handed over (the fulfilments are prefetched on the order page): no query.
    delivered = any(f.state in DONE_FULFILMENT_STATES for f in order.fulfilments.all())
    returnable = (
        sum(f.returnable for f in returnable_quantities(order=order).values()) if delivered else 0
    )
    return {
        "rows": rows,
        "owed_for_returns": owed,
        "returnable_units": returnable,
        "can_create": returnable > 0 and user.has_perm(CREATE_RETURN),
    }
