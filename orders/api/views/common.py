"""What the order, hold and fulfilment views share: headers, ETags, responses."""

from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from oms.errors import PreconditionFailed, PreconditionRequired
from orders import selectors
from orders.errors import OrderLineNotFound
from orders.models import Order, OrderLine

from .. import serializers as s

IDEMPOTENCY_PARAM = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per creation attempt; retries with the same key and body replay the "
    "first response.",
)
IF_MATCH_PARAM = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The order's ETag from your last read (428 if missing, 412 if stale).",
)
_ETAG = re.compile(r'^(?:W/)?"(\d+)-(\d+)"$')


def expected_version(request: Request, order_id: int) -> int:
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    match = _ETAG.match(header.strip())
    if not match or int(match.group(1)) != order_id:
        raise PreconditionFailed(
            "If-Match does not name this order's ETag.", details={"if_match": header}
        )
    return int(match.group(2))


def order_response(order: Order, status: int = 200) -> Response:
    order = selectors.order_detail_queryset().get(pk=order.pk)
    return Response(
        s.OrderOutputSerializer(order).data, status=status, headers={"ETag": order.etag}
    )


def line_id_for(order_id: int, line_number: int) -> int:
    line_id = (
        OrderLine.objects.filter(order_id=order_id, line_number=line_number)
        .values_list("pk", flat=True)
        .first()
    )
    if line_id is None:
        raise OrderLineNotFound(details={"line_number": line_number})
    return line_id
