"""Return writes, one module per topic; import from here."""

from .receiving import (
    InspectionInput,
    quality_hold_decide,
    return_inspect,
    return_receive,
)
from .refunds import ReturnRefundOutcome, return_close, return_refund, return_refund_compute
from .requests import (
    ReturnLineInput,
    return_approve,
    return_cancel,
    return_create,
    return_mark_in_transit,
    return_reject,
)

__all__ = [
    "InspectionInput",
    "ReturnLineInput",
    "ReturnRefundOutcome",
    "quality_hold_decide",
    "return_approve",
    "return_cancel",
    "return_close",
    "return_create",
    "return_inspect",
    "return_mark_in_transit",
    "return_receive",
    "return_refund",
    "return_refund_compute",
    "return_reject",
]
