"""The one error model: every domain error has a stable code, a message and details.

Services raise these; the API's exception handler (oms/api/exceptions.py) maps them to HTTP
once. Each app subclasses OMSError in its own errors.py.
"""

from __future__ import annotations

from typing import Any


class OMSError(Exception):
    """Base of every expected, user-facing error.

    `status` is the HTTP status the API answers with: 409 conflicts (stock, state),
    422 business rules on well-formed input, 400 malformed input, 404 missing or not yours,
    412/428 preconditions.
    """

    code: str = "error"
    status: int = 400
    default_message: str = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | list[Any] | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details if details is not None else {}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


def error_words(exc: OMSError) -> str:
    """What staff read for a refusal: the message and any listed problems, never the code
    (codes are for API clients and logs)."""
    problems = exc.details.get("problems") if isinstance(exc.details, dict) else None
    if isinstance(problems, list | tuple) and problems:
        return f"{exc.message} {'; '.join(str(p) for p in problems)}"
    return exc.message


class NotFound(OMSError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class ValidationFailed(OMSError):
    """Malformed input (wrong types, missing fields)."""

    code = "invalid_request"
    status = 400
    default_message = "The request is malformed."


class InvalidPage(OMSError):
    """A list's `page` or `page_size` is not a whole number from 1."""

    code = "invalid_page"
    status = 400
    default_message = "The page number or page size is not a whole number from 1."


class BusinessRuleViolation(OMSError):
    code = "business_rule_violation"
    status = 422
    default_message = "The request breaks a business rule."


class Conflict(OMSError):
    code = "conflict"
    status = 409
    default_message = "The request conflicts with the current state."


class PreconditionRequired(OMSError):
    code = "precondition_required"
    status = 428
    default_message = "This request needs an If-Match header."


class PreconditionFailed(OMSError):
    code = "precondition_failed"
    status = 412
    default_message = "The resource changed since you read it."
