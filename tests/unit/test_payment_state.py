"""The order's payment state is derived from its payments' amounts (no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders.models import PaymentStatus
from orders.payments.models import Payment
from orders.payments.state import payment_state

D = Decimal


def _p(authorized: str, captured: str = "0", refunded: str = "0", **kw: object) -> Payment:
    return Payment(authorized=D(authorized), captured=D(captured), refunded=D(refunded), **kw)


@pytest.mark.parametrize(
    ("payments", "state"),
    [
        ([], PaymentStatus.PENDING),
        ([_p("0")], PaymentStatus.PENDING),
        ([_p("0", failed=True)], PaymentStatus.FAILED),
        ([_p("50")], PaymentStatus.AUTHORIZED),
        ([_p("50", "20")], PaymentStatus.PARTIALLY_CAPTURED),
        ([_p("50", "50")], PaymentStatus.PAID),
        ([_p("50", "20", voided_at=datetime(2026, 1, 1, tzinfo=UTC))], PaymentStatus.PAID),
        ([_p("50", "50", "10")], PaymentStatus.PARTIALLY_REFUNDED),
        ([_p("50", "50", "50")], PaymentStatus.REFUNDED),
        ([_p("50", voided_at=datetime(2026, 1, 1, tzinfo=UTC))], PaymentStatus.VOIDED),
        ([_p("30", "30"), _p("20")], PaymentStatus.PARTIALLY_CAPTURED),
        ([_p("30", "30", "30"), _p("20", "20")], PaymentStatus.PARTIALLY_REFUNDED),
    ],
)
def test_state_follows_the_amounts(payments: list[Payment], state: str) -> None:
    assert payment_state(payments) == state


def test_refundable_excludes_refunds_pending() -> None:
    payment = _p("50", "40", "10", refund_pending=D("5"))
    assert payment.refundable == D("25")
    assert payment.capturable == D("10")
