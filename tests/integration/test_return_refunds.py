"""Refunding returns: computed from the received lines (discount pro rata, shipping policy,
restocking fee), issued through the channel's adapter, confirmed by the shop, capped by
what was captured; staff adjustments need a reason and are recorded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oms.errors import OMSError
from orders.models import PaymentStatus
from orders.payments import services as payments
from orders.payments.models import Refund, RefundState
from returns import services
from returns.models import ReturnPolicy, ReturnState
from returns.services import InspectionInput, ReturnLineInput
from tests.payments_helpers import amounts, event_types, returns_network, shipped_order

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    return returns_network(channel)


def _received(net, order, *lines, inspect: bool = True):  # type: ignore[no-untyped-def]
    ret = services.return_create(
        order_id=order.pk,
        lines=[ReturnLineInput(line_number=n, quantity=q, reason="damaged") for n, q in lines],
        actor="shop",
        created_via="api",
    )
    services.return_approve(return_id=ret.pk, actor="user:anna")
    ret = services.return_receive(
        return_id=ret.pk, parcel_reference="P", location=net.store, actor="store"
    )
    if inspect:
        ret = services.return_inspect(
            return_id=ret.pk,
            entries=[
                InspectionInput(line_number=n, quantity=q, condition="new", disposition="restock")
                for n, q in lines
            ],
            actor="store",
        )
    return ret


def _code(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(OMSError) as exc:
        call()
    return exc.value.code


def test_refund_pro_rates_the_discount_and_follows_the_shipping_policy(net):  # type: ignore[no-untyped-def]
    ReturnPolicy.objects.create(
        channel=net.channel, shipping_refund="full_return", restocking_fee_percent=D("10")
    )
    order = shipped_order(
        net,
        ("SHIRT", 2, "30.00"),
        ("MUG", 1, "40.00"),
        shipping_total=D("5.00"),
        discount_total=D("10.00"),
    )
    order.refresh_from_db()
    assert order.total == D("95.00")
    first = _received(net, order, (1, 1))
    preview = services.return_refund_compute(ret=first)
    # 30 goods - 3 discount (30/100 of 10) - 2.70 fee; shipping only when all came back
    assert (preview.discount, preview.shipping, preview.restocking_fee) == (D("3"), 0, D("2.70"))
    assert preview.total == D("24.30")
    outcome = services.return_refund(return_id=first.pk, actor="user:anna")
    assert [r.amount for r in outcome.refunds] == [D("24.30")]
    assert outcome.return_request.state == ReturnState.CLOSED
    rest = _received(net, order, (1, 1), (2, 1))
    preview = services.return_refund_compute(ret=rest)
    assert preview.shipping == D("5.00")  # everything delivered is now returned
    assert preview.total == D("61.70")  # 70 - 7 discount + 5 shipping - 6.30 fee


def test_shop_handled_return_refund_waits_for_confirmation(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"))
    ret = _received(net, order, (1, 2))
    (refund,) = services.return_refund(return_id=ret.pk, actor="shop").refunds
    assert (refund.state, refund.amount, refund.source) == (
        "requested",
        D("40"),
        f"return:{ret.pk}",
    )
    assert refund.breakdown["goods"] == "40.00"
    assert amounts(order)[2:] == (D("0"), D("40"))
    payments.refund_confirm(
        order_id=order.pk, refund_id=refund.pk, succeeded=True, psp_reference="re_1", actor="shop"
    )
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.REFUNDED
    assert event_types(order)[-4:] == [
        "return_inspected",
        "refund_requested",
        "return_closed",
        "refund_succeeded",
    ]
    assert _code(lambda: services.return_close(return_id=ret.pk, actor="x")) == (
        "return_transition_not_allowed"
    )


def test_a_second_refund_of_the_same_units_is_refused(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"))
    ret = _received(net, order, (1, 2), inspect=False)
    services.return_refund(return_id=ret.pk, actor="shop")
    assert _code(lambda: services.return_refund(return_id=ret.pk, actor="shop")) == (
        "nothing_to_refund"
    )
    assert Refund.objects.count() == 1


def test_refund_above_what_was_captured_changes_nothing(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"), payment_status="authorized")
    ret = _received(net, order, (1, 1))
    assert _code(lambda: services.return_refund(return_id=ret.pk, actor="shop")) == (
        "refund_exceeds_captured"
    )
    ret.refresh_from_db()
    assert ret.state == ReturnState.INSPECTED
    assert not Refund.objects.exists()


def test_staff_adjustment_needs_a_reason_and_is_recorded(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"))
    ret = _received(net, order, (1, 2))
    adjust = lambda: services.return_refund(  # noqa: E731
        return_id=ret.pk, actor="user:anna", adjustment=D("-5")
    )
    assert _code(adjust) == "adjustment_reason_missing"
    outcome = services.return_refund(
        return_id=ret.pk, actor="user:anna", adjustment=D("-5"), adjustment_reason="no box"
    )
    assert outcome.refunds[0].amount == D("35")
    assert outcome.refunds[0].breakdown["adjustment_reason"] == "no box"
    adjusted = order.events.get(type="return_refund_adjusted")
    assert (adjusted.actor, adjusted.data["amount"], adjusted.data["reason"]) == (
        "user:anna",
        "-5",
        "no box",
    )


def test_no_refund_before_receipt_or_for_an_exchange(net):  # type: ignore[no-untyped-def]
    order = shipped_order(net, ("SHIRT", 2, "20.00"))
    ret = services.return_create(
        order_id=order.pk,
        lines=[ReturnLineInput(line_number=1, quantity=1, reason="damaged")],
        actor="shop",
        created_via="api",
    )
    assert _code(lambda: services.return_refund(return_id=ret.pk, actor="shop")) == (
        "return_transition_not_allowed"
    )
    exchange = services.return_create(
        order_id=order.pk,
        lines=[ReturnLineInput(line_number=1, quantity=1, reason="damaged")],
        actor="shop",
        created_via="api",
        resolution="exchange",
    )
    assert _code(lambda: services.return_refund(return_id=exchange.pk, actor="shop")) == (
        "return_is_exchange"
    )
    assert not Refund.objects.filter(state=RefundState.REQUESTED).exists()
