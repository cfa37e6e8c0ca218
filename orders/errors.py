from oms.errors import BusinessRuleViolation, Conflict, NotFound, ValidationFailed


class OrderNotFound(NotFound):
    code = "order_not_found"
    default_message = "Order not found."


class FulfilmentNotFound(NotFound):
    code = "fulfilment_not_found"
    default_message = "Fulfilment not found."


class OrderLineNotFound(NotFound):
    code = "order_line_not_found"
    default_message = "Order line not found."


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
    default_message = "This transition is not allowed in the current state."


class TrackingRequired(BusinessRuleViolation):
    """A parcel shipment needs its carrier and tracking number (unless the location delivers
    with its own drivers)."""

    code = "tracking_required"
    default_message = "Shipping a parcel needs the carrier and the tracking number."


class AlreadyHandedOver(Conflict):
    code = "already_shipped"
    default_message = "Part of the order has already shipped or been handed over."


class DuplicateOrder(Conflict):
    code = "duplicate_order"
    default_message = "An order with this external reference already exists in your channel."


class InvalidPickupLocation(BusinessRuleViolation):
    code = "pickup_location_invalid"
    default_message = "The pickup store does not exist, serve your channel or offer pickup."


class InvalidQuantity(BusinessRuleViolation):
    code = "invalid_quantity"
    default_message = "The quantity is not allowed."


# `out_of_stock` is inventory's InsufficientStock and `unknown_sku` routing's UnknownSku (one
# class per code); orders raises them with these messages.
NOT_ROUTABLE_MESSAGE = "Not enough stock to route the order."
UNKNOWN_SKU_MESSAGE = "Some SKUs do not exist."


class ShippingAddressRequired(BusinessRuleViolation):
    code = "shipping_address_required"
    default_message = "Shipping needs an address with a country."


class InvalidDeliveryType(BusinessRuleViolation):
    code = "invalid_delivery_type"
    default_message = "Unknown delivery type."


class NoteEmpty(BusinessRuleViolation):
    code = "note_empty"
    default_message = "A note needs text."


class ReasonRequired(BusinessRuleViolation):
    code = "reason_required"
    default_message = "A rejection needs a reason."


class OrderClosed(Conflict):
    code = "order_closed"
    default_message = "The order is completed or cancelled."


class IdempotencyKeyMissing(ValidationFailed):
    code = "idempotency_key_missing"
    default_message = "This request needs an Idempotency-Key header."


class IdempotencyKeyInvalid(ValidationFailed):
    code = "idempotency_key_invalid"
    default_message = "The Idempotency-Key is too long or not printable text."


class IdempotencyKeyReused(BusinessRuleViolation):
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was used with a different request body."


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    default_message = "A request with this Idempotency-Key is still being processed."


class HoldNotFound(NotFound):
    code = "hold_not_found"
    default_message = "Checkout hold not found."


class HoldNotActive(Conflict):
    code = "hold_not_active"
    default_message = "The checkout hold expired or was already used."


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    default_message = "No customer e-mail with this id on this order."


class InvalidAddress(ValidationFailed):
    """An address misses a part its country needs or has a malformed postal code;
    `details.fields` maps each field to its problem."""

    code = "invalid_address"
    default_message = "The address is incomplete or malformed."


class UnknownEventType(ValidationFailed):
    code = "unknown_event_type"
    default_message = "The feed has no public event type of this name."
