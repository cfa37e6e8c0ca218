"""The return refund computation (pure): discounts pro rata, shipping policies, restocking
fee, adjustments, what was already refunded."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from returns.refund_math import RefundLine, RefundTerms, compute_refund

D = Decimal


def _terms(**kw: object) -> RefundTerms:
    base: dict = {
        "order_goods": D("100"),
        "discount_total": D("10"),
        "shipping_total": D("5"),
        "shipping_policy": "never",
    }
    base.update(kw)
    return RefundTerms(**base)


SHIRT = RefundLine(line_number=1, sku="SHIRT", quantity=2, unit_price=D("20"))


def test_goods_minus_their_discount_share() -> None:
    result = compute_refund([SHIRT], _terms())
    assert (result.goods, result.discount, result.shipping, result.total) == (
        D("40"),
        D("4"),
        D("0"),
        D("36"),
    )
    assert result.lines == [
        {"line": 1, "sku": "SHIRT", "quantity": 2, "unit_price": "20", "value": "40.00"}
    ]


def test_shipping_policies() -> None:
    assert compute_refund([SHIRT], _terms(shipping_policy="always")).shipping == D("2")
    partial = compute_refund([SHIRT], _terms(shipping_policy="full_return"))
    assert partial.shipping == D("0")
    full = compute_refund([SHIRT], _terms(shipping_policy="full_return", everything_returned=True))
    assert full.shipping == D("5")


def test_restocking_fee_adjustment_and_already_refunded() -> None:
    result = compute_refund(
        [SHIRT],
        _terms(restocking_fee_percent=D("10")),
        adjustment=D("-1.50"),
        adjustment_reason="scratched box",
        already_refunded=D("10"),
    )
    assert result.restocking_fee == D("3.60")  # 10% of 36
    assert result.total == D("20.90")  # 36 - 3.60 - 1.50 - 10
    assert result.breakdown()["adjustment_reason"] == "scratched box"


def test_never_below_zero() -> None:
    assert compute_refund([SHIRT], _terms(), already_refunded=D("500")).total == D("0")


prices = st.decimals(min_value=D("0.01"), max_value=D("500"), places=2)


@given(
    lines=st.lists(st.tuples(st.integers(1, 5), prices), min_size=1, max_size=5),
    discount_ratio=st.decimals(min_value=D("0"), max_value=D("1"), places=2),
    shipping=st.decimals(min_value=D("0"), max_value=D("50"), places=2),
)
def test_returning_everything_refunds_the_order_total(lines, discount_ratio, shipping) -> None:  # type: ignore[no-untyped-def]
    goods = sum((price * qty for qty, price in lines), D("0"))
    discount = (goods * discount_ratio).quantize(D("0.01"))
    result = compute_refund(
        [RefundLine(n, f"S{n}", qty, price) for n, (qty, price) in enumerate(lines, 1)],
        RefundTerms(
            order_goods=goods,
            discount_total=discount,
            shipping_total=shipping,
            shipping_policy="full_return",
            everything_returned=True,
        ),
    )
    assert result.total == goods - discount + shipping
