"""The normalised search keys the order list searches by, shared by the indexes (models) and
the queries (orders.search) so both spell the same expression and PostgreSQL uses the index.

Keys are upper case (agents type `shirt-m` for `SHIRT-M`); phone numbers keep digits and a
leading `+` only (`+49 30 123-45` and `+493012345` are the same phone).
"""

from __future__ import annotations

import re

from django.db.models import Func, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Replace, Upper

PHONE_SEPARATORS = (" ", "-", "/", "(", ")", ".")


def phone_key_expression(expression: Func | str) -> Func:
    """The column or JSON value without the separators agents and shops put in phones."""
    out: Func | str = expression
    for sep in PHONE_SEPARATORS:
        out = Replace(out, Value(sep), Value(""), output_field=TextField())
    assert isinstance(out, Func)
    return out


def phone_key(text: str) -> str:
    """What `phone_key_expression` makes of a typed phone number."""
    return re.sub(r"[ \-/().]", "", text.strip())


def upper_key(expression: Func | str) -> Upper:
    return Upper(expression)


SHIPPING_POSTAL_CODE = KT("shipping_address__postal_code")
SHIPPING_PHONE = KT("shipping_address__phone")
