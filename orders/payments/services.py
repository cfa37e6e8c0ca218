"""Payment writes: the first payment at intake, PSP transactions reported by the shop,
captures on shipment, refunds (requested through the channel's adapter, confirmed later).

Lock order: the order row (orders.locks.order_lock), then its payments in pk order
(`payments_lock`). Every amount change is a conditional UPDATE guarded by the payment's CHECK
constraints; refunds reserve their amount in `refund_pending` at once, so concurrent refunds
(staff in the console and the shop through the API) can never promise more than was captured.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import event_types as et
from ..events import EventRecorder
from ..locks import order_lock
from ..models import Order, PaymentStatus
from .adapters import FAILED, SUCCEEDED, adapter_get
from .errors import (
    CaptureExceedsAuthorized,
    CurrencyMismatch,
    InvalidAmount,
    PaymentVoided,
    PspReferenceConflict,
    RefundAlreadySettled,
    RefundExceedsCaptured,
    RefundNotFound,
)
from .models import ZERO, Payment, PaymentTransaction, Refund, RefundState, TransactionKind
from .state import payment_state

CENT = Decimal("0.01")
_AMOUNT_FIELD = {
    TransactionKind.AUTHORIZATION: "authorized",
    TransactionKind.CAPTURE: "captured",
    TransactionKind.REFUND: "refunded",
}
_EVENT: dict[
    str, type[et.PaymentAuthorized | et.PaymentCaptured | et.PaymentRefunded | et.PaymentVoided]
] = {
    TransactionKind.AUTHORIZATION: et.PaymentAuthorized,
    TransactionKind.CAPTURE: et.PaymentCaptured,
    TransactionKind.REFUND: et.PaymentRefunded,
    TransactionKind.VOID: et.PaymentVoided,
}


def _check_amount(amount: Decimal) -> Decimal:
    if amount <= 0 or amount != amount.quantize(CENT):
        raise InvalidAmount(details={"amount": str(amount)})
    return amount


def payments_lock(*, order: Order) -> list[Payment]:
    """Lock the order's payments in pk order. Call inside a transaction, after `order_lock`."""
    return list(Payment.objects.filter(order=order).order_by("pk").select_for_update())


@dataclass(frozen=True)
class IntakePayment:
    """The order's first payment as intake writes it, and its transactions in order."""

    provider: str
    reference: str
    authorized: Decimal
    captured: Decimal
    refunded: Decimal
    failed: bool
    steps: tuple[tuple[str, Decimal], ...]  # (transaction kind, amount), amounts > 0


def intake_payment(
    *, total: Decimal, status: str, provider: str = "", reference: str = ""
) -> IntakePayment:
    """From the `payment_status` the shop sent with the order: authorized or paid (captured)
    for the order total (refunded ones too), nothing for pending and failed payments."""
    authorized = total if status not in (PaymentStatus.PENDING, PaymentStatus.FAILED) else ZERO
    captured = total if status in (PaymentStatus.PAID, *_REFUND_STATES) else ZERO
    refunded = total if status == PaymentStatus.REFUNDED else ZERO
    steps = (
        (TransactionKind.AUTHORIZATION, authorized),
        (TransactionKind.CAPTURE, captured),
        (TransactionKind.REFUND, refunded),
    )
    return IntakePayment(
        provider=provider or "shop",
        reference=reference,
        authorized=authorized,
        captured=captured,
        refunded=refunded,
        failed=status == PaymentStatus.FAILED,
        steps=tuple((str(kind), amount) for kind, amount in steps if amount),
    )


def payment_create_for_intake(*, order: Order, draft: IntakePayment, actor: str) -> Payment:
    """The order's first payment and its transactions through the ORM (intake's portable
    path; on PostgreSQL orders.services.intake_rows writes them with the order)."""
    payment = Payment.objects.create(
        order=order,
        provider=draft.provider,
        reference=draft.reference,
        currency=order.currency,
        authorized=draft.authorized,
        captured=draft.captured,
        refunded=draft.refunded,
        failed=draft.failed,
    )
    PaymentTransaction.objects.bulk_create(
        PaymentTransaction(payment=payment, kind=kind, amount=amount, actor=actor)
        for kind, amount in draft.steps
    )
    return payment


_REFUND_STATES = (PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


@dataclass(frozen=True)
class TransactionOutcome:
    transaction: PaymentTransaction
    created: bool  # False: the same PSP reference was reported before (nothing changed)


def payment_record_transaction(
    *,
    order_id: int,
    kind: str,
    amount: Decimal,
    psp_reference: str,
    actor: str,
    channel_id: int | None = None,
    currency: str = "",
    payment_reference: str = "",
    provider: str = "",
) -> TransactionOutcome:
    """Record an authorization, capture, refund or void the shop (or staff) made at the PSP.

    Idempotent by `psp_reference`: the same reference and amount again changes nothing; with
    another amount it is refused (409). A `payment_reference` not seen before opens a new
    payment (a second card, a gift card); without one the order's first payment is meant.
    Locks the order, then its payments.
    """
    if kind != TransactionKind.VOID:
        _check_amount(amount)
    with transaction.atomic():
        order = order_lock(order_id=order_id, channel_id=channel_id)
        payments = payments_lock(order=order)
        if currency and currency != order.currency:
            raise CurrencyMismatch(details={"currency": currency, "order": order.currency})
        seen = PaymentTransaction.objects.filter(
            payment__order=order, kind=kind, psp_reference=psp_reference
        ).first()
        if seen is not None:
            if kind != TransactionKind.VOID and seen.amount != amount:
                raise PspReferenceConflict(
                    details={"psp_reference": psp_reference, "amount": str(seen.amount)}
                )
            return TransactionOutcome(seen, created=False)
        payment = _payment_for(order, payments, payment_reference, provider)
        if payment.voided_at and kind in (TransactionKind.CAPTURE, TransactionKind.VOID):
            raise PaymentVoided(details={"payment_id": payment.pk})
        if kind == TransactionKind.CAPTURE and amount > payment.capturable:
            raise CaptureExceedsAuthorized(
                details={"amount": str(amount), "capturable": str(payment.capturable)}
            )
        if kind == TransactionKind.REFUND and amount > payment.refundable:
            raise RefundExceedsCaptured(
                details={"amount": str(amount), "refundable": str(payment.refundable)}
            )
        if kind == TransactionKind.VOID:
            amount = payment.capturable
            payment.voided_at = timezone.now()
            payment.save(update_fields=["voided_at"])
        else:
            field = _AMOUNT_FIELD[TransactionKind(kind)]
            Payment.objects.filter(pk=payment.pk).update(**{field: F(field) + amount})
            setattr(payment, field, getattr(payment, field) + amount)
        tx = PaymentTransaction.objects.create(
            payment=payment, kind=kind, amount=amount, psp_reference=psp_reference, actor=actor
        )
        events = EventRecorder(order, actor)
        events.add(
            _EVENT[TransactionKind(kind)](
                payment_id=payment.pk,
                amount=str(amount),
                currency=payment.currency,
                psp_reference=psp_reference,
            )
        )
        _finish(order, payments, events)
        return TransactionOutcome(tx, created=True)


def _payment_for(order: Order, payments: list[Payment], reference: str, provider: str) -> Payment:
    if reference:
        for payment in payments:
            if payment.reference == reference:
                return payment
    elif payments:
        return payments[0]
    payment = Payment.objects.create(
        order=order, provider=provider or "shop", reference=reference, currency=order.currency
    )
    payments.append(payment)
    return payment


def _finish(order: Order, payments: list[Payment], events: EventRecorder) -> None:
    """Derive the order's payment state, save it with the event count, write the events."""
    order.payment_status = payment_state(payments)
    order.save(update_fields=["payment_status", "event_count", "updated_at"])
    events.flush()


# --- Refunds ---


def refund_request(
    *,
    order_id: int,
    amount: Decimal,
    actor: str,
    reason: str = "",
    source: str = "staff",
    channel_id: int | None = None,
    psp_reference: str = "",
    breakdown: dict[str, Any] | None = None,
) -> list[Refund]:
    """Refund `amount` of the order's captured money through the channel's adapter.

    Refused (422 `refund_exceeds_captured`, nothing changed) above what is captured and not
    yet refunded or promised to a pending refund. Locks the order, then its payments.
    """
    _check_amount(amount)
    with transaction.atomic():
        order = order_lock(order_id=order_id, channel_id=channel_id)
        payments = payments_lock(order=order)
        events = EventRecorder(order, actor)
        refunds = refund_issue(
            order=order,
            payments=payments,
            amount=amount,
            reason=reason,
            source=source,
            actor=actor,
            events=events,
            psp_reference=psp_reference,
            breakdown=breakdown,
        )
        _finish(order, payments, events)
        return refunds


def refund_issue(
    *,
    order: Order,
    payments: list[Payment],
    amount: Decimal,
    reason: str,
    source: str,
    actor: str,
    events: EventRecorder,
    psp_reference: str = "",
    breakdown: dict[str, Any] | None = None,
) -> list[Refund]:
    """The part of a refund inside a caller's transaction: the caller holds the order's lock
    and `payments` (from `payments_lock`), and saves the order and flushes `events` after.
    Spreads the amount over the payments in pk order."""
    refundable = sum((p.refundable for p in payments), ZERO)
    if amount > refundable:
        raise RefundExceedsCaptured(details={"amount": str(amount), "refundable": str(refundable)})
    adapter = adapter_get(order.channel.payment_adapter)
    refunds, left = [], amount
    for payment in payments:
        part = min(left, payment.refundable)
        if part <= 0:
            continue
        left -= part
        Payment.objects.filter(pk=payment.pk).update(refund_pending=F("refund_pending") + part)
        payment.refund_pending += part
        refund = Refund.objects.create(
            order=order,
            payment=payment,
            amount=part,
            reason=reason,
            source=source,
            requested_by=actor,
            breakdown=breakdown or {},
        )
        refunds.append(refund)
        result = adapter.refund(refund=refund, psp_reference=psp_reference, events=events)
        if result.status in (SUCCEEDED, FAILED):
            _settle(refund, payment, result.status == SUCCEEDED, result.psp_reference, events)
    return refunds


def refund_confirm(
    *,
    order_id: int,
    refund_id: int,
    succeeded: bool,
    actor: str,
    psp_reference: str = "",
    channel_id: int | None = None,
) -> Refund:
    """The PSP's answer to a requested refund (reported by the shop or staff). Repeating the
    same answer changes nothing; the opposite answer for a settled refund is refused (409)."""
    with transaction.atomic():
        order = order_lock(order_id=order_id, channel_id=channel_id)
        payments = payments_lock(order=order)
        refund = Refund.objects.filter(order=order, pk=refund_id).first()
        if refund is None:
            raise RefundNotFound(details={"refund_id": refund_id})
        wanted = RefundState.SUCCEEDED if succeeded else RefundState.FAILED
        if refund.state != RefundState.REQUESTED:
            if refund.state == wanted:
                return refund
            raise RefundAlreadySettled(details={"refund_id": refund.pk, "state": refund.state})
        payment = next(p for p in payments if p.pk == refund.payment_id)
        events = EventRecorder(order, actor)
        _settle(refund, payment, succeeded, psp_reference, events)
        _finish(order, payments, events)
        return refund


def _settle(
    refund: Refund, payment: Payment, succeeded: bool, psp_reference: str, events: EventRecorder
) -> None:
    """Move a requested refund's amount out of `refund_pending`: into `refunded` (with a
    transaction row) when it succeeded, back to refundable when it failed."""
    if succeeded:
        refund.succeed()
        Payment.objects.filter(pk=payment.pk).update(
            refund_pending=F("refund_pending") - refund.amount,
            refunded=F("refunded") + refund.amount,
        )
        payment.refunded += refund.amount
        PaymentTransaction.objects.create(
            payment=payment,
            kind=TransactionKind.REFUND,
            amount=refund.amount,
            psp_reference=psp_reference,
            actor=events.actor,
        )
    else:
        refund.fail()
        Payment.objects.filter(pk=payment.pk).update(
            refund_pending=F("refund_pending") - refund.amount
        )
    payment.refund_pending -= refund.amount
    refund.psp_reference = psp_reference
    refund.settled_at = timezone.now()
    refund.save()
    settled = et.RefundSucceeded if succeeded else et.RefundFailed
    events.add(
        settled(
            refund_id=refund.pk,
            payment_id=payment.pk,
            amount=str(refund.amount),
            currency=payment.currency,
            psp_reference=psp_reference,
            source=refund.source,
        )
    )
