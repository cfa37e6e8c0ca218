"""How much a return refunds, as a pure function of plain figures (no ORM), so the preview,
the issued refund and the tests share one computation.

goods            units received x unit price
- discount       the order-level discount's share of those goods (pro rata by value over
                 the order's lines as ordered)
+ shipping       per the channel's policy: never; all of it once everything delivered has
                 come back (full_return); or its share by goods value (always)
- restocking fee a percentage of the goods after discount
+ adjustment     staff, with a reason (may be negative)
- already        refunds this return already issued (requested or succeeded)
= total          never below zero
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RefundLine:
    line_number: int
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class RefundTerms:
    order_goods: Decimal  # every line's quantity x unit price, as ordered
    discount_total: Decimal
    shipping_total: Decimal
    shipping_policy: str  # never | full_return | always
    restocking_fee_percent: Decimal = ZERO
    everything_returned: bool = False


@dataclass(frozen=True)
class RefundComputation:
    goods: Decimal
    discount: Decimal
    shipping: Decimal
    restocking_fee: Decimal
    adjustment: Decimal
    already_refunded: Decimal
    total: Decimal
    lines: list[dict[str, str | int]] = field(default_factory=list)
    adjustment_reason: str = ""

    def breakdown(self) -> dict[str, object]:
        """JSON for the refund row and the preview."""
        return {
            "lines": self.lines,
            "goods": str(self.goods),
            "discount": str(self.discount),
            "shipping": str(self.shipping),
            "restocking_fee": str(self.restocking_fee),
            "adjustment": str(self.adjustment),
            "adjustment_reason": self.adjustment_reason,
            "already_refunded": str(self.already_refunded),
            "total": str(self.total),
        }


def compute_refund(
    lines: list[RefundLine],
    terms: RefundTerms,
    *,
    adjustment: Decimal = ZERO,
    adjustment_reason: str = "",
    already_refunded: Decimal = ZERO,
) -> RefundComputation:
    goods = sum((line.unit_price * line.quantity for line in lines), ZERO)
    share = goods / terms.order_goods if terms.order_goods > 0 else ZERO
    discount = _cents(terms.discount_total * share)
    if terms.shipping_policy == "always":
        shipping = _cents(terms.shipping_total * share)
    elif terms.shipping_policy == "full_return" and terms.everything_returned:
        shipping = terms.shipping_total
    else:
        shipping = ZERO
    fee = _cents((goods - discount) * terms.restocking_fee_percent / 100)
    total = goods - discount + shipping - fee + adjustment - already_refunded
    return RefundComputation(
        goods=_cents(goods),
        discount=discount,
        shipping=shipping,
        restocking_fee=fee,
        adjustment=adjustment,
        already_refunded=already_refunded,
        total=max(_cents(total), ZERO),
        lines=[
            {
                "line": line.line_number,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "value": str(_cents(line.unit_price * line.quantity)),
            }
            for line in lines
        ],
        adjustment_reason=adjustment_reason,
    )
