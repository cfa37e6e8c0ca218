"""Every error `code` the API can answer with, and what it means: the enum of the error body's
`code` in the OpenAPI schema. A test walks every `OMSError` subclass and fails if its code is
missing here, so a new error cannot ship undocumented.
"""

from __future__ import annotations

ERROR_CODES: dict[str, str] = {
    # 400: malformed request
    "invalid_request": "The body or parameters are malformed; `details` names the fields.",
    "malformed_request": "The body is not valid JSON.",
    "invalid_page": "`page` or `page_size` is not a whole number from 1.",
    "idempotency_key_missing": "This POST needs an `Idempotency-Key` header.",
    "idempotency_key_invalid": "The `Idempotency-Key` is too long or not printable text.",
    "invalid_amount": "Amounts must be positive with at most two decimals.",
    # 401 / 403 / 404 / 405 / 406 / 415 / 429
    "not_authenticated": "No API key was given.",
    "authentication_failed": "The API key is unknown or revoked.",
    "permission_denied": "The key lacks the scope this endpoint needs.",
    "not_found": "Missing, or not your channel's.",
    "order_not_found": "No such order for your key.",
    "order_line_not_found": "No such line on this order.",
    "fulfilment_not_found": "No such fulfilment for your key.",
    "hold_not_found": "No such checkout hold.",
    "location_not_found": "No such location for your channel.",
    "product_not_found": "No such SKU.",
    "strategy_not_found": "No such routing strategy version.",
    "payment_not_found": "No such payment on this order.",
    "refund_not_found": "No such refund.",
    "method_not_allowed": "This endpoint does not take that HTTP method.",
    "not_acceptable": "The `Accept` header asks for a format we do not produce.",
    "unsupported_media_type": "Send `application/json`.",
    "throttled": "Too many requests; retry later.",
    # 409: conflict with the current state or stock
    "conflict": "The request conflicts with the current state.",
    "out_of_stock": "Not enough stock; `details.lines` says what is available.",
    "stock_below_reserved": "On hand cannot drop below what is reserved.",
    "reservation_not_active": "The reservation was already released or consumed.",
    "inbound_not_open": "This inbound stock is received or cancelled.",
    "inbound_duplicate": "An inbound with this reference already exists for the location/SKU.",
    "stock_import_conflict": "The stock changed during the import; nothing was applied.",
    "strategy_not_draft": "Only a draft strategy version can be changed.",
    "transition_not_allowed": "The order or fulfilment is not in a state that allows this.",
    "already_shipped": "The affected fulfilment has already been handed over.",
    "duplicate_order": "An order with this `external_reference` exists in your channel.",
    "order_closed": "The order is completed or cancelled.",
    "idempotency_in_progress": "A request with this `Idempotency-Key` is still running.",
    "hold_not_active": "The checkout hold expired, was released or was used.",
    "psp_reference_conflict": "This PSP reference was already reported with another amount.",
    "refund_already_settled": "The refund already succeeded or failed.",
    "payment_voided": "The payment was voided.",
    # 412 / 428: preconditions
    "precondition_failed": "`If-Match` is stale: the order changed since you read it.",
    "precondition_required": "This request needs an `If-Match` header.",
    # 422: well-formed, but breaks a business rule
    "business_rule_violation": "The request breaks a business rule.",
    "stock_update_rejected": "Rows of a stock feed break a rule; `details.errors` lists them.",
    "over_receipt": "Cannot receive more than is outstanding.",
    "strategy_invalid": "The strategy's configuration is invalid.",
    "unknown_sku": "A SKU is not in the catalogue.",
    "pickup_location_invalid": "The pickup store does not offer click & collect to you.",
    "invalid_quantity": "A quantity or line change is not allowed.",
    "invalid_delivery_type": "Unknown delivery type.",
    "shipping_address_required": "Shipping needs a shipping address.",
    "invalid_address": "The address is incomplete or its postal code does not fit the country.",
    "note_empty": "A note needs text.",
    "reason_required": "A rejection needs a reason.",
    "idempotency_key_reused": "The `Idempotency-Key` was used with a different body.",
    "currency_mismatch": "The currency differs from the payment's.",
    "capture_exceeds_authorized": "The capture is larger than what is authorized and open.",
    "refund_exceeds_captured": "The refund is larger than what was captured and not refunded.",
    "payment_adapter_unknown": "The channel's payment adapter is not registered.",
    # a bug, never an answer by design
    "error": "Unexpected error.",
}
