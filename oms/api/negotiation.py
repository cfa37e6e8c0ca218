"""Content negotiation with a shortcut for what nearly every API client sends."""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation

# Accept headers whose answer is always the first renderer with its own media type (no header
# means */*; an empty one is refused by DRF and is left to it).
_FIRST_RENDERER = frozenset({"*/*", "application/json"})


class JsonFirstNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, minus its parsing for a missing Accept header, `*/*` or
    `application/json` when the first renderer is JSON and no `?format=` is given: the answer
    DRF would reach (tests/unit/test_negotiation.py holds the two equal). Anything else, such
    as `text/html` (406) or `application/json; indent=4`, goes through DRF's own parsing."""

    def select_renderer(
        self, request: Any, renderers: Any, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        first = renderers[0] if renderers else None
        if (
            first is not None
            and first.media_type == "application/json"
            and not format_suffix
            and request.META.get("HTTP_ACCEPT", "*/*") in _FIRST_RENDERER
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
