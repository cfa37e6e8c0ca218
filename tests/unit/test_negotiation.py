"""oms.api.negotiation.JsonFirstNegotiation answers what DRF's own negotiation answers."""

from __future__ import annotations

import pytest
from django.http import Http404
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from oms.api.negotiation import JsonFirstNegotiation
from oms.api.renderers import FastJSONRenderer

ACCEPTS = [
    None,
    "",
    "*/*",
    "application/json",
    "application/json; indent=4",
    "text/html",
    "text/html, application/json;q=0.9",
    "application/*",
    "application/xml",
]


def _answer(
    negotiation: DefaultContentNegotiation, renderers: list, accept: str | None, query: str
) -> object:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/api/v1/availability/" + query, **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers)
    except exceptions.APIException as exc:
        return str(exc.status_code)
    except Http404:
        return "404"
    return type(renderer).__name__, media_type


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", ["", "?format=json", "?format=api", "?skus=A"])
@pytest.mark.parametrize(
    "renderers",
    [[FastJSONRenderer()], [JSONRenderer()], [JSONRenderer(), BrowsableAPIRenderer()]],
    ids=["fast-json", "json", "json+browsable"],
)
def test_same_answer_as_drf(accept: str | None, query: str, renderers: list) -> None:
    ours = _answer(JsonFirstNegotiation(), renderers, accept, query)
    drf = _answer(DefaultContentNegotiation(), renderers, accept, query)
    assert ours == drf


def test_html_is_refused_by_a_json_only_view() -> None:
    assert _answer(JsonFirstNegotiation(), [FastJSONRenderer()], "text/html", "") == "406"
