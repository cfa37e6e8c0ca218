"""Payments: the first payment at intake, PSP transactions, refunds through the adapters,
capture on shipment, refunds for cancellations, and the database's last line of defence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from oms.models import OutboxMessage
from orders import services
from orders.models import OrderState, PaymentStatus
from orders.payments import services as payments
from orders.payments.errors import (
    CaptureExceedsAuthorized,
    PspReferenceConflict,
    RefundAlreadySettled,
    RefundExceedsCaptured,
)
from orders.payments.models import Payment, PaymentTransaction, Refund, RefundState
from tests.factories import order_network, place_order, stock
from tests.payments_helpers import amounts, event_types, first_payment, ship_all

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 10)
    stock(net.berlin, net.mug, 10)
    return net


def _order(net, status: str = "paid", **kw):  # type: ignore[no-untyped-def]
    return place_order(
        net.channel,
        ("SHIRT", 2, "20.00"),
        ("MUG", 1, "10.00"),
        payment_status=status,
        shipping_total=D("5.00"),
        **kw,
    )


@pytest.mark.parametrize(
    ("status", "authorized", "captured"),
    [("pending", "0", "0"), ("authorized", "55", "0"), ("paid", "55", "55")],
)
def test_intake_payment_status_becomes_the_first_payment(net, status, authorized, captured):  # type: ignore[no-untyped-def]
    order = _order(net, status, payment_provider="stripe", payment_reference="pi_1")
    payment = first_payment(order)
    assert (payment.provider, payment.reference, payment.currency) == ("stripe", "pi_1", "EUR")
    assert (payment.authorized, payment.captured) == (D(authorized), D(captured))
    kinds = list(payment.transactions.values_list("kind", "amount"))
    assert kinds == [
        (k, D(a)) for k, a in (("authorization", authorized), ("capture", captured)) if D(a)
    ]
    order.refresh_from_db()
    assert order.payment_status == status


def test_reported_transactions_move_the_amounts_and_the_state(net):  # type: ignore[no-untyped-def]
    order = _order(net, "pending")
    common = {"order_id": order.pk, "actor": "shop"}
    payments.payment_record_transaction(
        kind="authorization", amount=D("55"), psp_reference="auth-1", **common
    )
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.AUTHORIZED
    payments.payment_record_transaction(
        kind="capture", amount=D("30"), psp_reference="cap-1", **common
    )
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTIALLY_CAPTURED
    assert amounts(order) == (D("55"), D("30"), D("0"), D("0"))
    assert event_types(order)[-2:] == ["payment_authorized", "payment_captured"]


def test_the_same_psp_reference_twice_changes_nothing(net):  # type: ignore[no-untyped-def]
    order = _order(net, "authorized")
    args = {"order_id": order.pk, "kind": "capture", "psp_reference": "cap-1", "actor": "shop"}
    first = payments.payment_record_transaction(amount=D("20"), **args)
    again = payments.payment_record_transaction(amount=D("20"), **args)
    assert first.created and not again.created
    assert again.transaction.pk == first.transaction.pk
    assert amounts(order)[1] == D("20")
    with pytest.raises(PspReferenceConflict):
        payments.payment_record_transaction(amount=D("21"), **args)
    assert amounts(order)[1] == D("20")
    assert event_types(order).count("payment_captured") == 1


def test_capture_above_authorized_is_refused(net):  # type: ignore[no-untyped-def]
    order = _order(net, "authorized")
    with pytest.raises(CaptureExceedsAuthorized) as exc:
        payments.payment_record_transaction(
            order_id=order.pk, kind="capture", amount=D("55.01"), psp_reference="c", actor="shop"
        )
    assert exc.value.code == "capture_exceeds_authorized"
    assert amounts(order)[1] == D("0")


def test_shop_handled_refund_waits_for_the_shops_confirmation(net):  # type: ignore[no-untyped-def]
    order = _order(net)
    (refund,) = payments.refund_request(order_id=order.pk, amount=D("15"), actor="user:anna")
    assert refund.state == RefundState.REQUESTED
    assert amounts(order) == (D("55"), D("55"), D("0"), D("15"))
    assert event_types(order)[-1] == "refund_requested"
    message = OutboxMessage.objects.filter(topic="refund_requested").get()
    assert message.payload["data"]["refund_id"] == refund.pk
    payments.refund_confirm(
        order_id=order.pk, refund_id=refund.pk, succeeded=True, psp_reference="re_1", actor="shop"
    )
    refund = Refund.objects.get(pk=refund.pk)
    assert (refund.state, refund.psp_reference) == (RefundState.SUCCEEDED, "re_1")
    assert amounts(order) == (D("55"), D("55"), D("15"), D("0"))
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    # Confirming again is a no-op; the opposite answer is refused.
    payments.refund_confirm(
        order_id=order.pk, refund_id=refund.pk, succeeded=True, psp_reference="re_1", actor="shop"
    )
    with pytest.raises(RefundAlreadySettled):
        payments.refund_confirm(
            order_id=order.pk, refund_id=refund.pk, succeeded=False, actor="shop"
        )
    assert amounts(order)[2] == D("15")
    assert PaymentTransaction.objects.filter(kind="refund").count() == 1


def test_a_failed_refund_gives_the_amount_back(net):  # type: ignore[no-untyped-def]
    order = _order(net)
    (refund,) = payments.refund_request(order_id=order.pk, amount=D("55"), actor="shop")
    with pytest.raises(RefundExceedsCaptured):
        payments.refund_request(order_id=order.pk, amount=D("1"), actor="shop")
    payments.refund_confirm(order_id=order.pk, refund_id=refund.pk, succeeded=False, actor="shop")
    assert amounts(order) == (D("55"), D("55"), D("0"), D("0"))
    assert event_types(order)[-1] == "refund_failed"
    payments.refund_request(order_id=order.pk, amount=D("55"), actor="shop")


def test_manual_refund_with_a_psp_reference_is_done_at_once(net):  # type: ignore[no-untyped-def]
    net.channel.payment_adapter = "manual"
    net.channel.save()
    order = _order(net)
    (refund,) = payments.refund_request(
        order_id=order.pk, amount=D("10"), actor="user:anna", psp_reference="dash-7"
    )
    assert (refund.state, refund.psp_reference) == (RefundState.SUCCEEDED, "dash-7")
    assert amounts(order)[2:] == (D("10"), D("0"))
    assert "refund_requested" not in event_types(order)
    assert event_types(order)[-1] == "refund_succeeded"


def test_refund_above_captured_changes_nothing(net):  # type: ignore[no-untyped-def]
    order = _order(net, "authorized")
    with pytest.raises(RefundExceedsCaptured) as exc:
        payments.refund_request(order_id=order.pk, amount=D("0.01"), actor="shop")
    assert exc.value.details["refundable"] == "0.00"
    assert not Refund.objects.exists()
    assert amounts(order) == (D("55"), D("0"), D("0"), D("0"))


def test_refunds_spread_over_payments(net):  # type: ignore[no-untyped-def]
    order = _order(net, "paid")
    payments.payment_record_transaction(
        order_id=order.pk,
        kind="authorization",
        amount=D("20"),
        psp_reference="gift-a",
        payment_reference="gift",
        provider="giftcard",
        actor="shop",
    )
    payments.payment_record_transaction(
        order_id=order.pk,
        kind="capture",
        amount=D("20"),
        psp_reference="gift-c",
        payment_reference="gift",
        actor="shop",
    )
    refunds = payments.refund_request(order_id=order.pk, amount=D("60"), actor="shop")
    assert [r.amount for r in refunds] == [D("55"), D("5")]
    assert Payment.objects.filter(order=order).count() == 2


def test_the_database_refuses_refunds_above_captured(net):  # type: ignore[no-untyped-def]
    order = _order(net)
    payment = first_payment(order)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(refunded=F("captured") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(captured=F("authorized") + 1)


def test_a_cancelled_captured_order_ends_with_a_refund_of_what_was_captured(net):  # type: ignore[no-untyped-def]
    order = _order(net)
    services.order_cancel(order_id=order.pk, actor="user:anna", expected_version=None)
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.amount, refund.source) == (D("55"), "cancellation")
    payments.refund_confirm(order_id=order.pk, refund_id=refund.pk, succeeded=True, actor="shop")
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert order.payment_status == PaymentStatus.REFUNDED
    types = event_types(order)
    assert types.index("order_cancelled") < types.index("refund_requested")


def test_a_cancelled_authorized_order_asks_to_void(net):  # type: ignore[no-untyped-def]
    order = _order(net, "authorized")
    services.order_cancel(order_id=order.pk, actor="user:anna", expected_version=None)
    assert not Refund.objects.exists()
    assert "void_requested" in event_types(order)
    payments.payment_record_transaction(
        order_id=order.pk, kind="void", amount=D("0"), psp_reference="void-1", actor="shop"
    )
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.VOIDED


def test_a_cancelled_line_refunds_its_captured_share(net):  # type: ignore[no-untyped-def]
    order = _order(net)
    mug = order.lines.get(sku="MUG")
    services.order_line_cancel(
        order_id=order.pk, line_id=mug.pk, actor="user:anna", expected_version=None
    )
    (refund,) = Refund.objects.filter(order=order)
    assert refund.amount == D("10")


def test_capture_on_shipment_requests_each_shipments_share(net):  # type: ignore[no-untyped-def]
    net.channel.capture_on_shipment = True
    net.channel.save()
    order = _order(net, "authorized")
    ship_all(order)
    requested = [e.data for e in order.events.filter(type="capture_requested").order_by("sequence")]
    assert [r["amount"] for r in requested] == ["55.00"]  # lines 50 + shipping 5 (last one)
    assert amounts(order)[1] == D("0")  # captured when the shop confirms


def test_no_capture_requested_without_capture_on_shipment(net):  # type: ignore[no-untyped-def]
    order = _order(net, "authorized")
    ship_all(order)
    assert "capture_requested" not in event_types(order)
