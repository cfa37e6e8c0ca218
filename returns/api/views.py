"""Returns API: shops request returns, stores create them at the till (location-bound key)
and receive parcels, warehouses and stores inspect; each view calls one service."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api_keys import api_key_location
from inventory.models import Location
from oms.api.context import request_actor, request_key
from oms.api.exceptions import error_responses
from oms.models import ApiKey
from orders.api.views.common import IDEMPOTENCY_PARAM
from orders.errors import OrderNotFound
from orders.idempotency import idempotent
from orders.models import Order
from orders.payments.selectors import payment_summary

from .. import selectors, services
from ..errors import LocationNotAcceptingReturns
from ..models import CreatedVia, ReturnReason, ReturnRequest, ReturnState
from . import serializers as s


def _check_scope(key: ApiKey) -> None:
    """Channel keys need `orders`; a store's location-bound key needs `location`."""
    scope = ApiKey.Scope.LOCATION if key.location_id else ApiKey.Scope.ORDERS
    if not key.has_scope(scope):
        raise exceptions.PermissionDenied(f"This API key lacks the '{scope}' scope.")


def _channel_id(key: ApiKey) -> int | None:
    """Channel keys act on their channel's returns; a store's key on those it can see."""
    return None if key.location_id else key.channel_id


def _response(key: ApiKey, return_id: int, status: int = 200) -> Response:
    ret = selectors.return_get_for_key(key=key, return_id=return_id)
    return Response(s.ReturnOutputSerializer(ret).data, status=status)


class ReturnFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ReturnState.choices)
    order_id = django_filters.NumberFilter()
    tracking_number = django_filters.CharFilter()

    class Meta:
        model = ReturnRequest
        fields = ["state", "order_id", "tracking_number"]


class ReturnListCreateView(generics.ListAPIView):
    serializer_class = s.ReturnOutputSerializer
    filterset_class = ReturnFilter
    queryset = ReturnRequest.objects.none()  # for the schema; get_queryset scopes to the key

    def get_queryset(self):
        return selectors.returns_for_key(key=request_key(self.request)).order_by("pk")

    @extend_schema(
        tags=["returns"],
        summary="List returns",
        responses={200: s.ReturnOutputSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _check_scope(request_key(request))
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["returns"],
        summary="Request a return (shop) or create one at the till (store's key)",
        description=(
            "Only shipped or picked-up units within the channel's return window: 422 "
            "`line_not_delivered`, `quantity_exceeds_returnable`, `return_window_closed`, "
            "`return_reason_unknown`; another channel's order is 404. A store's key "
            "(return-to-store) binds the return to its store and approves it at once; "
            "otherwise the channel's auto-approve rule decides."
        ),
        parameters=[IDEMPOTENCY_PARAM],
        request=s.ReturnCreateInputSerializer,
        responses={201: s.ReturnOutputSerializer, **error_responses(400, 403, 404, 409, 422)},
    )
    def post(self, request: Request) -> Response:
        key = request_key(request)
        _check_scope(key)

        def create() -> tuple[int, Any]:
            data = s.ReturnCreateInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            location = api_key_location(key=key)
            if location is not None:
                served = Order.objects.filter(
                    pk=v["order_id"], channel__in=location.channels.all()
                ).exists()
                if not served:
                    raise OrderNotFound(details={"order_id": v["order_id"]})
            ret = services.return_create(
                order_id=v["order_id"],
                channel_id=_channel_id(key),
                location=location,
                created_via=CreatedVia.STORE if location else CreatedVia.API,
                lines=[services.ReturnLineInput(**line) for line in v["lines"]],
                resolution=v["resolution"],
                tracking_number=v["tracking_number"],
                customer_note=v["customer_note"],
                actor=request_actor(request),
            )
            return 201, s.ReturnOutputSerializer(
                selectors.return_get_for_key(key=key, return_id=ret.pk)
            ).data

        return idempotent(
            request=request, channel=key.channel, scope="return_create", handler=create
        )


class ReturnDetailView(APIView):
    @extend_schema(
        tags=["returns"],
        summary="Read a return",
        responses={200: s.ReturnOutputSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        _check_scope(request_key(request))
        return _response(request_key(request), pk)


class ReturnReasonListView(APIView):
    @extend_schema(
        tags=["returns"],
        summary="The reasons a return may give",
        responses={200: s.ReturnReasonSerializer(many=True), **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        reasons = ReturnReason.objects.filter(active=True).order_by("code")
        return Response(s.ReturnReasonSerializer(reasons, many=True).data)


TRANSITION_RESPONSES = {200: s.ReturnOutputSerializer, **error_responses(400, 403, 404, 409, 422)}


class _ReturnAction(APIView):
    def begin(self, request: Request, pk: int) -> ApiKey:
        key = request_key(request)
        _check_scope(key)
        selectors.return_get_for_key(key=key, return_id=pk)
        return key


class _ReturnStepView(_ReturnAction):
    """POST one step: check the key and that it sees the return, read the step's input, call
    its one service (as the key's channel), answer the return as it is now."""

    input_serializer: type[serializers.Serializer]

    def perform(self, key: ApiKey, pk: int, data: dict[str, Any], actor: str) -> None:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        key = self.begin(request, pk)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.perform(key, pk, data.validated_data, request_actor(request))
        return _response(key, pk)


def _step_schema(summary: str, request: type[serializers.Serializer], description: str = "") -> Any:
    return extend_schema_view(
        post=extend_schema(
            tags=["returns"],
            summary=summary,
            description=description,
            request=request,
            responses=TRANSITION_RESPONSES,
        )
    )


@_step_schema(
    "Receive a parcel (warehouse or store that accepts returns)",
    s.ReceiveInputSerializer,
    "Idempotent per `parcel_reference`. Partial parcels leave the return "
    "`partially_received`. Stock moves at inspection.",
)
class ReturnReceiveView(_ReturnStepView):
    input_serializer = s.ReceiveInputSerializer

    def perform(self, key: ApiKey, pk: int, data: dict[str, Any], actor: str) -> None:
        location = api_key_location(key=key)
        if location is None:
            location = Location.objects.filter(code=data.get("location", "")).first()
            if location is None:
                raise LocationNotAcceptingReturns(details={"location": data.get("location")})
        lines = data.get("lines")
        services.return_receive(
            return_id=pk,
            channel_id=_channel_id(key),
            parcel_reference=data["parcel_reference"],
            location=location,
            lines={ln["line_number"]: ln["quantity"] for ln in lines} if lines else None,
            actor=actor,
        )


@_step_schema(
    "Inspect received units: condition and disposition per line",
    s.InspectInputSerializer,
    "`restock` puts units back on hand at the receiving location at once; "
    "`quality_control` holds them out of stock until released or written off; "
    "`write_off` and `return_to_vendor` never re-enter stock.",
)
class ReturnInspectView(_ReturnStepView):
    input_serializer = s.InspectInputSerializer

    def perform(self, key: ApiKey, pk: int, data: dict[str, Any], actor: str) -> None:
        services.return_inspect(
            return_id=pk,
            channel_id=_channel_id(key),
            entries=[services.InspectionInput(**e) for e in data["lines"]],
            actor=actor,
        )


@_step_schema(
    "The customer sent the parcel",
    s.TrackingInputSerializer,
    "Only an approved return; its tracking number is searchable in the staff console.",
)
class ReturnInTransitView(_ReturnStepView):
    input_serializer = s.TrackingInputSerializer

    def perform(self, key: ApiKey, pk: int, data: dict[str, Any], actor: str) -> None:
        services.return_mark_in_transit(
            return_id=pk,
            channel_id=_channel_id(key),
            tracking_number=data["tracking_number"],
            actor=actor,
        )


@_step_schema(
    "Cancel a return before anything was received",
    s.ReasonInputSerializer,
    "Its units become returnable again.",
)
class ReturnCancelView(_ReturnStepView):
    input_serializer = s.ReasonInputSerializer

    def perform(self, key: ApiKey, pk: int, data: dict[str, Any], actor: str) -> None:
        services.return_cancel(
            return_id=pk, channel_id=_channel_id(key), reason=data["reason"], actor=actor
        )


class ReturnRefundPreviewView(_ReturnAction):
    @extend_schema(
        tags=["returns"],
        summary="What refunding this return now would pay back, and how",
        responses={200: s.RefundPreviewSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        key = self.begin(request, pk)
        ret = selectors.return_get_for_key(key=key, return_id=pk)
        computation = services.return_refund_compute(ret=ret)
        summary = payment_summary(order=ret.order)
        return Response(
            s.RefundPreviewSerializer(
                {**computation.breakdown(), "refundable": summary.refundable}
            ).data
        )


class ReturnRefundView(_ReturnAction):
    @extend_schema(
        tags=["returns"],
        summary="Refund the return's received units through the channel's payment adapter",
        description=(
            "The amount is the preview's. 422 `refund_exceeds_captured` above what the "
            "payments can still refund, 409 `nothing_to_refund`, `return_is_exchange`, "
            "`return_transition_not_allowed` before anything was received, "
            "`refund_amount_changed` when `expected_total` is not the amount now. An inspected "
            "return is closed. With `shop_handled`, confirm each refund with "
            "`POST orders/{id}/refunds/{refund_id}/confirm/`."
        ),
        request=s.ReturnRefundInputSerializer,
        responses={
            200: s.ReturnRefundOutputSerializer,
            **error_responses(400, 403, 404, 409, 422),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        key = self.begin(request, pk)
        data = s.ReturnRefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.return_refund(
            return_id=pk,
            channel_id=_channel_id(key),
            expected_total=data.validated_data.get("expected_total"),
            actor=request_actor(request),
        )
        return Response(
            s.ReturnRefundOutputSerializer(
                {
                    "refunds": outcome.refunds,
                    "breakdown": outcome.computation.breakdown(),
                    "state": outcome.return_request.state,
                }
            ).data
        )
