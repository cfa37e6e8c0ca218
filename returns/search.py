"""The returns app's keys for the order list's search box (orders.search): a return's number
and the tracking number of the customer's return parcel."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from orders.search import NUMBER

from .models import ReturnRequest


def return_order_ids(term: str) -> QuerySet | None:
    """Orders with a return numbered `term` (`12`, `#12`) or sent back under that tracking
    number (indexed exact match, as typed or in upper case)."""
    match = Q(tracking_number__in=sorted({term, term.upper()}))
    number = NUMBER.fullmatch(term)
    if number is not None and int(number.group(1)) <= 2**63 - 1:
        match |= Q(pk=int(number.group(1)))
    return ReturnRequest.objects.filter(match).order_by().values_list("order_id", flat=True)
