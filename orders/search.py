"""The order list's one search box: which orders a typed term finds.

An agent types whatever the customer or a colleague gave them: an order reference, an e-mail
or a name (or part of them), a tracking number, a SKU, a postal code, a phone number, or the
number of an order, fulfilment or return. Every key has an index (models and migration 0008:
upper-case expression indexes, trigram GIN indexes for "contains" on PostgreSQL), and the
matches of all keys are one `UNION` of index lookups that the order list filters by
`id IN (...)`: no key scans the orders table (tests/integration/test_order_search.py checks
the plans with EXPLAIN).

Apps above `orders` add keys of their own (the returns app: a return's number) with
`order_search_register`; layers point down.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db.models import QuerySet
from django.db.models.functions import Upper

from .models import Fulfilment, Order, OrderLine
from .search_keys import SHIPPING_PHONE, SHIPPING_POSTAL_CODE, phone_key, phone_key_expression

# Trigram indexes need three characters to narrow anything down; shorter terms match exactly.
MIN_CONTAINS = 3
MAX_TERM = 200
NUMBER = re.compile(r"#?(\d{1,18})")
PHONE = re.compile(r"\+?\d{6,20}")

# term (stripped) -> a queryset of `order_id`s (one column), or None when the term cannot match.
SearchSource = Callable[[str], "QuerySet[object] | None"]
SOURCES: list[SearchSource] = []


def order_search_register(source: SearchSource) -> None:
    """Called from an upper app's `AppConfig.ready`: one more key for the search box."""
    if source not in SOURCES:
        SOURCES.append(source)


def _text_sources(term: str) -> list[QuerySet]:
    key = term.upper()
    orders = Order.objects.annotate(
        s_ref=Upper("external_reference"),
        s_email=Upper("customer_email"),
        s_name=Upper("customer_name"),
        s_postal=Upper(SHIPPING_POSTAL_CODE),
    )
    found: list[QuerySet] = [
        orders.filter(s_postal=key).order_by().values_list("id", flat=True),
        OrderLine.objects.annotate(s_sku=Upper("sku"))
        .filter(s_sku=key)
        .order_by()
        .values_list("order_id", flat=True),
        Fulfilment.objects.annotate(s_tracking=Upper("tracking_number"))
        .filter(s_tracking=key)
        .order_by()
        .values_list("order_id", flat=True),
    ]
    if len(term) >= MIN_CONTAINS:
        found += [
            orders.filter(s_ref__contains=key).order_by().values_list("id", flat=True),
            orders.filter(s_email__contains=key).order_by().values_list("id", flat=True),
            orders.filter(s_name__contains=key).order_by().values_list("id", flat=True),
        ]
    phone = phone_key(term)
    if PHONE.fullmatch(phone):
        phones = Order.objects.annotate(
            s_phone=phone_key_expression("customer_phone"),
            s_ship_phone=phone_key_expression(SHIPPING_PHONE),
        )
        found += [
            phones.filter(s_phone=phone).order_by().values_list("id", flat=True),
            phones.filter(s_ship_phone=phone).order_by().values_list("id", flat=True),
        ]
    return found


def _number_sources(term: str) -> list[QuerySet]:
    match = NUMBER.fullmatch(term)
    if match is None:
        return []
    number = int(match.group(1))
    if number > 2**63 - 1:
        return []
    return [
        Order.objects.filter(pk=number).order_by().values_list("id", flat=True),
        Fulfilment.objects.filter(pk=number).order_by().values_list("order_id", flat=True),
    ]


def order_search_ids(term: str) -> QuerySet | None:
    """One `UNION` query of the ids of the orders `term` finds; None for an empty term."""
    term = " ".join(term.split())[:MAX_TERM]
    if not term:
        return None
    sources = _text_sources(term) + _number_sources(term)
    for source in SOURCES:
        extra = source(term)
        if extra is not None:
            sources.append(extra)
    first, *rest = sources
    return first.union(*rest) if rest else first


def orders_search(queryset: QuerySet[Order], term: str) -> QuerySet[Order]:
    """`queryset` narrowed to the orders `term` finds (all of them for an empty term)."""
    ids = order_search_ids(term)
    if ids is None:
        return queryset
    return queryset.filter(pk__in=ids)
