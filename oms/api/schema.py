"""Make the OpenAPI schema as strict as the server, so generated clients reject what we reject.

drf-spectacular leaves out two constraints our serializers enforce: the item bounds of a nested
list (`Serializer(many=True, allow_empty=False, max_length=N)`) and the sign of a decimal sent as
a string (`DecimalField(min_value=0)`). These extensions add them; `oms.apps` registers them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers


class BoundedListSerializerExtension(OpenApiSerializerFieldExtension):
    """minItems / maxItems of `Serializer(many=True)`: `allow_empty`, `min_length`, `max_length`."""

    target_class = serializers.ListSerializer
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if schema is None or schema.get("type") != "array":
            return schema
        field = self.target
        min_items = field.min_length if field.min_length is not None else 0
        if not field.allow_empty:
            min_items = max(min_items, 1)
        if min_items:
            schema["minItems"] = min_items
        if field.max_length is not None:
            schema["maxItems"] = field.max_length
        return schema


class NonNegativeDecimalExtension(OpenApiSerializerFieldExtension):
    """A string decimal with `min_value >= 0`: the pattern admits no minus sign."""

    target_class = serializers.DecimalField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        min_value = self.target.min_value
        pattern = schema.get("pattern")
        if min_value is not None and min_value >= 0 and pattern and pattern.startswith("^-?"):
            schema["pattern"] = "^" + pattern.removeprefix("^-?")
        return schema
