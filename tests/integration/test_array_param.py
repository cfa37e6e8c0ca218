"""`oms.db.array_param`: an array parameter of a hand-written statement sent as PostgreSQL's
text form of the array; PostgreSQL reads it back as the list psycopg would have sent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DataError, connection

from oms.db import array_param

pytestmark = pytest.mark.django_db

TEXTS = ['a"b', "c\\d", "e,f", "{g}", " h ", "NULL", "null", "ü€ 北京", "", "'q'", '\\"', "\n\t"]
CASES = [
    ("text[]", TEXTS),
    ("bigint[]", [1, 2**40, -7, 0, None]),
    ("integer[]", [0, 1, -1, None]),
    ("numeric[]", [Decimal("12.50"), Decimal("-0.01"), Decimal("1E+2"), Decimal("0"), None]),
    ("boolean[]", [True, False, None]),
    ("text[]", []),
    ("bigint[]", []),
]


@pytest.mark.parametrize(("kind", "values"), CASES)
def test_reads_back_as_the_list(kind: str, values: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{kind}, %s::{kind}", [array_param(values), values or None])
        sent_as_text, sent_as_list = cursor.fetchone()
    assert sent_as_text == values
    if values:
        assert sent_as_text == sent_as_list  # what psycopg's list adaptation gives


def test_unnest_keeps_order_and_length() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(t ORDER BY n) FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, n)",
            [array_param(TEXTS)],
        )
        assert cursor.fetchone()[0] == TEXTS


def test_nul_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(DataError):
        array_param(["ok", "a\x00b"])


def test_other_element_types_are_refused() -> None:
    with pytest.raises(TypeError):
        array_param([1.5])
    with pytest.raises(TypeError):
        array_param([[1, 2]])
