"""Checkout holds API: hold stock during checkout, read and release a hold."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.context import request_actor, request_channel
from oms.api.exceptions import error_responses
from oms.models import ApiKey
from orders import services
from orders.errors import HoldNotFound
from orders.idempotency import idempotent
from orders.models import CheckoutHold

from .. import action_serializers as a
from .common import IDEMPOTENCY_PARAM


class HoldCreateView(APIView):
    required_scope = ApiKey.Scope.ORDERS

    @extend_schema(
        tags=["orders"],
        summary="Hold stock during checkout",
        description="Reserves the units for a few minutes; pass the token as `hold` when "
        "placing the order. Expired holds are released by the periodic job.",
        parameters=[IDEMPOTENCY_PARAM],
        request=a.HoldCreateInputSerializer,
        responses={201: a.HoldOutputSerializer, **error_responses(400, 403, 409, 422)},
    )
    def post(self, request: Request) -> Response:
        channel = request_channel(request)

        def create() -> tuple[int, Any]:
            data = a.HoldCreateInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            dest = v["destination"]
            hold = services.hold_create(
                channel=channel,
                lines=[(ln["sku"], ln["quantity"]) for ln in v["lines"]],
                country=dest["country"],
                latitude=dest.get("latitude"),
                longitude=dest.get("longitude"),
                minutes=v.get("minutes"),
                actor=request_actor(request),
            )
            return 201, a.HoldOutputSerializer(hold).data

        return idempotent(request=request, channel=channel, scope="hold_create", handler=create)


# Tokens are secrets.token_urlsafe(16); anything else cannot be one (and a NUL byte from the
# URL would make the lookup itself fail with a 500).
_HOLD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _hold_token(token: str) -> str:
    if not _HOLD_TOKEN.match(token):
        raise HoldNotFound()
    return token


class HoldDetailView(APIView):
    required_scope = ApiKey.Scope.ORDERS

    @extend_schema(
        tags=["orders"],
        summary="Read a checkout hold",
        responses={200: a.HoldOutputSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, token: str) -> Response:
        hold = CheckoutHold.objects.filter(
            channel=request_channel(request), token=_hold_token(token)
        ).first()
        if hold is None:
            raise HoldNotFound()
        return Response(a.HoldOutputSerializer(hold).data)

    @extend_schema(
        tags=["orders"],
        summary="Release a checkout hold",
        responses={200: a.HoldOutputSerializer, **error_responses(403, 404, 409)},
    )
    def delete(self, request: Request, token: str) -> Response:
        hold = services.hold_release(
            channel=request_channel(request), token=_hold_token(token), actor=request_actor(request)
        )
        return Response(a.HoldOutputSerializer(hold).data)
