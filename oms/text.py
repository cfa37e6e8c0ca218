"""Text inputs: what a reference, a code or a note may contain."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError


def has_control_characters(text: str) -> bool:
    """True when `text` holds a control character (C0/C1, including tab, newline and NUL)."""
    return any(unicodedata.category(char) == "Cc" for char in text)


def reject_control_characters(value: str) -> None:
    """Validator for single-line text (references, codes, reasons): no control characters.

    They cannot be shown or searched for, break CSV exports and logs, and a NUL cannot even
    be stored by PostgreSQL.
    """
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError("Control characters are not allowed.", code="control_characters")
