"""Payment event types of the order event catalogue (see orders/event_types.py): PSP
transactions reported or recorded, requests to the channel's payment adapter, and refund
outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .event_types import OrderEventData
from .event_types import register_event_type as _register


@dataclass(frozen=True)
class _PaymentTransaction(OrderEventData):
    """A PSP transaction the OMS recorded; `amount` is a decimal string."""

    payment_id: int
    amount: str
    currency: str
    psp_reference: str


@_register
@dataclass(frozen=True)
class PaymentAuthorized(_PaymentTransaction):
    type: ClassVar[str] = "payment_authorized"


@_register
@dataclass(frozen=True)
class PaymentCaptured(_PaymentTransaction):
    type: ClassVar[str] = "payment_captured"


@_register
@dataclass(frozen=True)
class PaymentRefunded(_PaymentTransaction):
    type: ClassVar[str] = "payment_refunded"


@_register
@dataclass(frozen=True)
class PaymentVoided(_PaymentTransaction):
    type: ClassVar[str] = "payment_voided"


@dataclass(frozen=True)
class _PaymentRequest(OrderEventData):
    """The OMS asks the party holding the PSP (the shop or staff) to act on a payment."""

    payment_id: int
    payment_reference: str
    amount: str
    currency: str


@_register
@dataclass(frozen=True)
class CaptureRequested(_PaymentRequest):
    type: ClassVar[str] = "capture_requested"


@_register
@dataclass(frozen=True)
class VoidRequested(_PaymentRequest):
    type: ClassVar[str] = "void_requested"


@_register
@dataclass(frozen=True)
class RefundRequested(_PaymentRequest):
    type: ClassVar[str] = "refund_requested"
    refund_id: int
    reason: str


@dataclass(frozen=True)
class _RefundSettled(OrderEventData):
    """`source`: what the refund was for (cancellation, return, ...)."""

    refund_id: int
    payment_id: int
    amount: str
    currency: str
    psp_reference: str
    source: str


@_register
@dataclass(frozen=True)
class RefundSucceeded(_RefundSettled):
    type: ClassVar[str] = "refund_succeeded"


@_register
@dataclass(frozen=True)
class RefundFailed(_RefundSettled):
    type: ClassVar[str] = "refund_failed"
