"""A faster JSON renderer for the hottest read paths (availability answers run to 250 KB)."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer


class FastJSONRenderer(JSONRenderer):
    """orjson instead of the standard library: the same compact JSON, several times faster.

    Only for views whose data is plain dicts, lists, str, int, float, bool and None.
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data)
