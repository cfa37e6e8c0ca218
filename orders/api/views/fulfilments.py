"""The location side: list and read fulfilments, move them through their lifecycle,
reject, short-pick."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.context import request_actor, request_key
from oms.api.exceptions import error_responses
from oms.models import ApiKey
from orders import selectors, services
from orders.models import (
    Fulfilment,
    FulfilmentState,
)

from .. import action_serializers as a
from .. import serializers as s
from .common import line_id_for


class FulfilmentFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=FulfilmentState.choices)
    location = django_filters.CharFilter(field_name="location__code")

    class Meta:
        model = Fulfilment
        fields = ["state", "location"]


class FulfilmentListView(generics.ListAPIView):
    """A location system's key sees its location's fulfilments; a channel key its orders'."""

    required_scope = ApiKey.Scope.LOCATION
    serializer_class = s.FulfilmentOutputSerializer
    filterset_class = FulfilmentFilter
    queryset = Fulfilment.objects.none()  # for the schema; get_queryset scopes to the key

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.fulfilments_for_key(key=request_key(self.request)).order_by("pk")

    @extend_schema(
        tags=["fulfilments"],
        summary="List fulfilments",
        responses={200: s.FulfilmentOutputSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class FulfilmentDetailView(APIView):
    required_scope = ApiKey.Scope.LOCATION

    @extend_schema(
        tags=["fulfilments"],
        summary="Read a fulfilment",
        responses={200: s.FulfilmentOutputSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        fulfilment = selectors.fulfilment_get_for_key(key=request_key(request), fulfilment_id=pk)
        return Response(s.FulfilmentOutputSerializer(fulfilment).data)


def _fulfilment_response(request: Request, pk: int) -> Response:
    fulfilment = selectors.fulfilment_get_for_key(key=request_key(request), fulfilment_id=pk)
    return Response(s.FulfilmentOutputSerializer(fulfilment).data)


TRANSITION_RESPONSES = {200: s.FulfilmentOutputSerializer, **error_responses(400, 403, 404, 409)}


class FulfilmentActionView(APIView):
    """accept, start-picking, pack, ready-for-pickup, picked-up (no body)."""

    required_scope = ApiKey.Scope.LOCATION
    action_name = ""

    def transition(self, request: Request, pk: int) -> Response:
        selectors.fulfilment_get_for_key(key=request_key(request), fulfilment_id=pk)
        services.fulfilment_transition(
            fulfilment_id=pk, action=self.action_name, actor=request_actor(request)
        )
        return _fulfilment_response(request, pk)


class FulfilmentShipView(APIView):
    required_scope = ApiKey.Scope.LOCATION

    @extend_schema(
        tags=["fulfilments"],
        summary="Ship: handed to the carrier",
        description="On hand and reserved go down through shipment movements. A parcel needs "
        "`carrier` and `tracking_number` (422 `tracking_required`) unless the location delivers "
        "with its own drivers; `tracking_url` is built from the carrier's template if omitted.",
        request=a.ShipInputSerializer,
        responses={**TRANSITION_RESPONSES, **error_responses(422)},
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.fulfilment_get_for_key(key=request_key(request), fulfilment_id=pk)
        data = a.ShipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.fulfilment_transition(
            fulfilment_id=pk, action="ship", actor=request_actor(request), **data.validated_data
        )
        return _fulfilment_response(request, pk)


class FulfilmentRejectView(APIView):
    required_scope = ApiKey.Scope.LOCATION

    @extend_schema(
        tags=["fulfilments"],
        summary="Reject: reroute elsewhere",
        description="The lines are rerouted excluding this location; the new stock "
        "is held before the old is released. What cannot be rerouted waits.",
        request=a.RejectInputSerializer,
        responses=TRANSITION_RESPONSES,
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.fulfilment_get_for_key(key=request_key(request), fulfilment_id=pk)
        data = a.RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.fulfilment_reject(
            fulfilment_id=pk, reason=data.validated_data["reason"], actor=request_actor(request)
        )
        return _fulfilment_response(request, pk)


class FulfilmentShortPickView(APIView):
    required_scope = ApiKey.Scope.LOCATION

    @extend_schema(
        tags=["fulfilments"],
        summary="Short pick: reroute the missing units",
        request=a.ShortPickInputSerializer,
        responses={200: s.FulfilmentOutputSerializer, **error_responses(400, 403, 404, 409, 422)},
    )
    def post(self, request: Request, pk: int) -> Response:
        fulfilment = selectors.fulfilment_get_for_key(key=request_key(request), fulfilment_id=pk)
        data = a.ShortPickInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        missing = {}
        for row in data.validated_data["lines"]:
            missing[line_id_for(fulfilment.order_id, row["line_number"])] = row["missing"]
        services.fulfilment_short_pick(
            fulfilment_id=pk,
            missing=missing,
            actor=request_actor(request),
            adjust_stock=data.validated_data["adjust_stock"],
        )
        return _fulfilment_response(request, pk)


def action_view(name: str, summary: str) -> Any:
    """A view class per simple transition, each with its own schema entry."""

    def post(self: FulfilmentActionView, request: Request, pk: int) -> Response:
        return self.transition(request, pk)

    post = extend_schema(
        tags=["fulfilments"],
        summary=summary,
        request=None,
        responses=TRANSITION_RESPONSES,
        operation_id=f"fulfilments_{name}",
    )(post)
    view = type(
        f"Fulfilment{name.title().replace('_', '')}View",
        (FulfilmentActionView,),
        {"action_name": name, "post": post},
    )
    return view.as_view()
