"""Page-number pagination with a documented answer for every `page` and `page_size`.

- `page` is an integer from 1; 0, negative or non-numeric answers 400 `invalid_page`.
- A page past the end answers 200 with an empty `results` list (`count` is still the total and
  `previous` points at the last page, if any), so a client reading page after page simply stops.
- `page_size` is an integer from 1 (default 50); larger than 200 is capped at 200; 0, negative
  or non-numeric answers 400 `invalid_page`.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page
from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination, remove_query_param, replace_query_param
from rest_framework.request import Request

from oms.errors import InvalidPage

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _positive_int(raw: str, *, name: str) -> int:
    value = raw.strip()
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise InvalidPage(
            f"'{name}' must be a whole number from 1.", details={"parameter": name, "value": raw}
        )
    return int(value)


class StandardPagination(PageNumberPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return min(_positive_int(raw, name=self.page_size_query_param), self.max_page_size)

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        page_size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param)
        number = 1 if raw is None else _positive_int(raw, name=self.page_query_param)
        paginator = self.django_paginator_class(queryset, page_size)
        if number > paginator.num_pages:  # past the end: an empty page, not an error
            self.page = Page([], number, paginator)
            return []
        self.page = paginator.page(number)
        return list(self.page)

    def get_previous_link(self) -> str | None:
        if self.page.number <= 1 or not self.page.paginator.count:
            return None
        url = self.request.build_absolute_uri()
        previous = min(self.page.number - 1, self.page.paginator.num_pages)
        if previous == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, previous)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the end has empty `results`; "
                "0, negative or non-numeric answers 400 `invalid_page`.",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, 1 to {self.max_page_size} (larger values are "
                f"capped). 0, negative or non-numeric answers 400 `invalid_page`.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                },
            },
        ]
