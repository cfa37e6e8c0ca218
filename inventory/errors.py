from oms.errors import BusinessRuleViolation, Conflict, NotFound


class InsufficientStock(Conflict):
    """Some lines could not be reserved; `details.lines` lists each with what is available."""

    code = "out_of_stock"
    default_message = "Not enough stock available."

    def __init__(
        self, lines: list[dict], message: str | None = None, *, reasons: list[str] | None = None
    ) -> None:
        details: dict = {"lines": lines}
        if reasons is not None:
            details["reasons"] = reasons
        super().__init__(message, details=details)
        self.lines = lines


class WouldBreakReservations(Conflict):
    code = "stock_below_reserved"
    default_message = "On hand cannot drop below the quantity already reserved."


class ReservationNotActive(Conflict):
    code = "reservation_not_active"
    default_message = "The reservation was already released or consumed."


class StockFeedRejected(BusinessRuleViolation):
    """A stock feed or import with bad rows: nothing was applied; details list every row."""

    code = "stock_update_rejected"
    default_message = "Some rows are invalid; nothing was applied."


class StockImportConflict(StockFeedRejected):
    """Stock levels were created while an import ran: nothing was applied; run it again."""

    code = "stock_import_conflict"
    default_message = "Stock levels were created while the import ran; nothing was imported."


class UnknownLocation(NotFound):
    code = "location_not_found"
    default_message = "Location not found."


class UnknownProduct(NotFound):
    code = "product_not_found"
    default_message = "SKU not found."


class InboundNotOpen(Conflict):
    code = "inbound_not_open"
    default_message = "This inbound stock is not open any more."


class OverReceipt(BusinessRuleViolation):
    code = "over_receipt"
    default_message = "Cannot receive more than is outstanding."


class QuantityOutOfRange(BusinessRuleViolation):
    """A change would take a quantity past MAX_QUANTITY (what the column holds, with room)."""

    code = "quantity_out_of_range"
    default_message = "The quantity would leave the range a stock level can hold."


class InboundDuplicate(Conflict):
    """The location already has inbound stock of this SKU under this reference."""

    code = "inbound_duplicate"
    default_message = "This reference already exists for the location and SKU."


class ExpectedDateOutOfRange(BusinessRuleViolation):
    """An inbound expected date too far in the past or the future (details: the window)."""

    code = "expected_date_out_of_range"
    default_message = "The expected date lies outside the accepted window."
