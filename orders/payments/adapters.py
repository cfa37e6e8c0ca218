"""Payment adapters: how the OMS captures, refunds and voids at a channel's PSP.

An adapter is one object with `capture`, `refund` and `void`. The services call it inside
their transaction with the order locked, so an adapter must not talk to the network there:
the built-ins only record what is asked (`shop_handled` emits an event the shop acts on,
`manual` leaves it to staff) and answer `pending`; a PSP adapter (Stripe, Adyen) would answer
`pending` too and make its call from a job after commit (claim, send, record through
`refund_confirm` / `payment_record_transaction`), with the refund id as its idempotency key.
Register more adapters by dotted path in `settings.OMS_PAYMENT_ADAPTERS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .. import event_types as et
from .errors import UnknownPaymentAdapter
from .models import Payment, Refund

PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"


@dataclass(frozen=True)
class AdapterResult:
    """What the adapter did: `pending` (confirmation comes later), `succeeded` or `failed`,
    with the PSP's reference when known."""

    status: str
    psp_reference: str = ""


class Events(Protocol):
    def add(self, event: et.OrderEventData) -> None: ...


class PaymentAdapter(Protocol):
    name: str

    def capture(self, *, payment: Payment, amount: Decimal, events: Events) -> AdapterResult: ...

    def refund(self, *, refund: Refund, psp_reference: str, events: Events) -> AdapterResult: ...

    def void(self, *, payment: Payment, events: Events) -> AdapterResult: ...


def _refund_requested(refund: Refund) -> et.RefundRequested:
    return et.RefundRequested(
        refund_id=refund.pk,
        payment_id=refund.payment_id,
        payment_reference=refund.payment.reference,
        amount=str(refund.amount),
        currency=refund.payment.currency,
        reason=refund.reason,
    )


class ShopHandledAdapter:
    """The shop owns the PSP: the OMS asks through events (`capture_requested`,
    `refund_requested`, `void_requested`) and waits for the shop's confirmation via the API."""

    name = "shop_handled"

    def capture(self, *, payment: Payment, amount: Decimal, events: Events) -> AdapterResult:
        events.add(
            et.CaptureRequested(
                payment_id=payment.pk,
                payment_reference=payment.reference,
                amount=str(amount),
                currency=payment.currency,
            )
        )
        return AdapterResult(PENDING)

    def refund(self, *, refund: Refund, psp_reference: str, events: Events) -> AdapterResult:
        events.add(_refund_requested(refund))
        return AdapterResult(PENDING)

    def void(self, *, payment: Payment, events: Events) -> AdapterResult:
        events.add(
            et.VoidRequested(
                payment_id=payment.pk,
                payment_reference=payment.reference,
                amount=str(payment.capturable),
                currency=payment.currency,
            )
        )
        return AdapterResult(PENDING)


class ManualAdapter:
    """Staff act in the PSP's dashboard and record it here: a refund issued with the PSP's
    reference is done at once; without one it waits for staff to confirm it."""

    name = "manual"

    def capture(self, *, payment: Payment, amount: Decimal, events: Events) -> AdapterResult:
        events.add(
            et.CaptureRequested(
                payment_id=payment.pk,
                payment_reference=payment.reference,
                amount=str(amount),
                currency=payment.currency,
            )
        )
        return AdapterResult(PENDING)

    def refund(self, *, refund: Refund, psp_reference: str, events: Events) -> AdapterResult:
        if psp_reference:
            return AdapterResult(SUCCEEDED, psp_reference)
        events.add(_refund_requested(refund))
        return AdapterResult(PENDING)

    def void(self, *, payment: Payment, events: Events) -> AdapterResult:
        return AdapterResult(PENDING)


BUILT_IN: dict[str, PaymentAdapter] = {
    ShopHandledAdapter.name: ShopHandledAdapter(),
    ManualAdapter.name: ManualAdapter(),
}


def adapter_names() -> list[str]:
    return sorted({*BUILT_IN, *getattr(settings, "OMS_PAYMENT_ADAPTERS", {})})


def adapter_get(name: str) -> PaymentAdapter:
    """The adapter registered under `name` (a channel's `payment_adapter`)."""
    if name in BUILT_IN:
        return BUILT_IN[name]
    path = getattr(settings, "OMS_PAYMENT_ADAPTERS", {}).get(name)
    if path is None:
        raise UnknownPaymentAdapter(details={"payment_adapter": name})
    adapter: PaymentAdapter = import_string(path)()
    return adapter
