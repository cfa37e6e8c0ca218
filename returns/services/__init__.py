"""Return writes, one module per topic; import from here."""

from .receiving import (
    InspectionInput,
    quality_hold_decide,
    return_inspect,
    return_receive,
)
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
    "quality_hold_decide",
    "return_approve",
    "return_cancel",
    "return_create",
    "return_inspect",
    "return_mark_in_transit",
    "return_receive",
    "return_reject",
]
