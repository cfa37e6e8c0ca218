"""Payment errors (one class per code)."""

from oms.errors import BusinessRuleViolation, Conflict, NotFound, ValidationFailed


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    default_message = "Payment not found."


class RefundNotFound(NotFound):
    code = "refund_not_found"
    default_message = "Refund not found."


class InvalidAmount(ValidationFailed):
    code = "invalid_amount"
    default_message = "Amounts must be positive with at most two decimals."


class CurrencyMismatch(BusinessRuleViolation):
    code = "currency_mismatch"
    default_message = "The currency differs from the payment's."


class CaptureExceedsAuthorized(BusinessRuleViolation):
    code = "capture_exceeds_authorized"
    default_message = "The capture is larger than what is authorized and not yet captured."


class RefundExceedsCaptured(BusinessRuleViolation):
    code = "refund_exceeds_captured"
    default_message = "The refund is larger than what was captured and not yet refunded."


class PspReferenceConflict(Conflict):
    code = "psp_reference_conflict"
    default_message = "This PSP reference was already reported with a different amount."


class RefundAlreadySettled(Conflict):
    code = "refund_already_settled"
    default_message = "The refund already succeeded or failed."


class PaymentVoided(Conflict):
    code = "payment_voided"
    default_message = "The payment was voided."


class UnknownPaymentAdapter(BusinessRuleViolation):
    code = "payment_adapter_unknown"
    default_message = "The channel's payment adapter is not registered."
