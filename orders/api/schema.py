"""OpenAPI for what the order intake serializer checks in `validate()`: shipping needs a
`shipping_address`, click & collect needs a `pickup_location`. Expressed as `oneOf` two object
shapes keyed by `delivery_type`, so generated clients reject what the server rejects.
"""

from __future__ import annotations

import copy
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension

from orders.models import DeliveryType


class OrderCreateInputExtension(OpenApiSerializerExtension):
    target_class = "orders.api.serializers.OrderCreateInputSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        base = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        variants = []
        for delivery_type, required, optional in (
            (DeliveryType.SHIP, "shipping_address", True),
            (DeliveryType.CLICK_COLLECT, "pickup_location", False),
        ):
            variant = copy.deepcopy(base)
            variant["title"] = f"{DeliveryType(delivery_type).label} order"
            variant["properties"]["delivery_type"] = {
                "type": "string",
                "enum": [delivery_type.value],
                **({"default": delivery_type.value} if optional else {}),
            }
            needed = set(variant.get("required", [])) | {required}
            if not optional:
                needed.add("delivery_type")
            variant["required"] = sorted(needed)
            variants.append(variant)
        return {
            "oneOf": variants,
            "description": "`ship` (the default) needs `shipping_address`; `click_collect` needs "
            "`delivery_type` and `pickup_location`.",
        }
