"""Return errors (one class per code)."""

from oms.errors import BusinessRuleViolation, Conflict, NotFound, ValidationFailed


class ReturnNotFound(NotFound):
    code = "return_not_found"
    default_message = "Return not found."


class QualityHoldNotFound(NotFound):
    code = "quality_hold_not_found"
    default_message = "Quality hold not found."


class ReturnLineUnknown(BusinessRuleViolation):
    code = "return_line_unknown"
    default_message = "The order has no such line, or the return does not include it."


class DuplicateReturnLine(ValidationFailed):
    code = "return_line_duplicate"
    default_message = "Each order line may appear once per request."


class LineNotDelivered(BusinessRuleViolation):
    code = "line_not_delivered"
    default_message = "Only shipped or picked-up units can be returned."


class QuantityNotReturnable(BusinessRuleViolation):
    code = "quantity_exceeds_returnable"
    default_message = "More units than are still returnable."


class ReturnWindowClosed(BusinessRuleViolation):
    code = "return_window_closed"
    default_message = "The return window for this line has closed."


class ReturnReasonUnknown(BusinessRuleViolation):
    code = "return_reason_unknown"
    default_message = "Unknown or inactive return reason."


class LocationNotAcceptingReturns(BusinessRuleViolation):
    code = "location_not_accepting_returns"
    default_message = "This location does not accept returns (or does not serve the channel)."


class ReturnTransitionNotAllowed(Conflict):
    code = "return_transition_not_allowed"
    default_message = "This step is not allowed in the return's current state."


class ReceivedElsewhere(Conflict):
    code = "return_received_elsewhere"
    default_message = "This return is being received at another location."


class ParcelConflict(Conflict):
    code = "parcel_reference_conflict"
    default_message = "This parcel was already received with other contents."


class ReceiptExceedsRequested(BusinessRuleViolation):
    code = "receipt_exceeds_requested"
    default_message = "More units received than the return requested."


class InspectionExceedsReceived(BusinessRuleViolation):
    code = "inspection_exceeds_received"
    default_message = "More units inspected than were received and not yet inspected."


class QualityHoldDecided(Conflict):
    code = "quality_hold_decided"
    default_message = "The quality hold was already released or written off."


class ReturnIsExchange(Conflict):
    code = "return_is_exchange"
    default_message = "An exchange is resolved by its replacement order, not by a refund."


class NothingToRefund(Conflict):
    code = "nothing_to_refund"
    default_message = "Nothing is left to refund for this return."


class AdjustmentNeedsReason(ValidationFailed):
    code = "adjustment_reason_missing"
    default_message = "A refund adjustment needs a reason."


class RefundAmountChanged(Conflict):
    code = "refund_amount_changed"
    default_message = (
        "The refund amount changed since it was previewed (something was received, refunded "
        "or adjusted meanwhile). Nothing was refunded; check the new preview."
    )
