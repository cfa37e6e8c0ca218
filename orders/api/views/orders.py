"""Orders API: intake, reads, edits (If-Match), cancellations, the event timeline."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.context import request_actor, request_channel, request_key
from oms.api.exceptions import error_responses
from oms.api.key_in_statement import (
    ChecksKeyInStatement,
    check_key_now,
    key_checked,
    unchecked_key,
)
from oms.errors import OMSError
from oms.models import ApiKey
from orders import selectors, services
from orders.idempotency import KeyChanged, KeyCheck, idempotent
from orders.models import (
    DeliveryType,
    Order,
    OrderEvent,
    OrderState,
)
from orders.services.intake import order_prime_for_output
from orders.services.intake_refusals import intake_refusal_record

from .. import serializers as s
from .common import IDEMPOTENCY_PARAM, IF_MATCH_PARAM, expected_version, line_id_for, order_response


def _order_input(v: dict[str, Any]) -> services.OrderInput:
    customer = v.get("customer", {})
    return services.OrderInput(
        external_reference=v["external_reference"],
        currency=v["currency"],
        lines=tuple(
            services.LineInput(
                sku=ln["sku"],
                quantity=ln["quantity"],
                unit_price=ln["unit_price"],
                name=ln.get("name", ""),
            )
            for ln in v["lines"]
        ),
        shipping_address=v.get("shipping_address", {}),
        billing_address=v.get("billing_address", {}),
        customer_email=customer.get("email", ""),
        customer_name=customer.get("name", ""),
        customer_phone=customer.get("phone", ""),
        delivery_type=v["delivery_type"],
        pickup_location_code=v.get("pickup_location"),
        shipping_total=v["shipping_total"],
        discount_total=v["discount_total"],
        payment_status=v["payment_status"],
        payment_provider=v.get("payment_provider", ""),
        payment_reference=v.get("payment_reference", ""),
        priority=v["priority"],
        hold_token=v.get("hold"),
    )


def _order_changes(v: dict[str, Any]) -> services.OrderChanges:
    delivery = v.get("delivery")
    return services.OrderChanges(
        customer=v.get("customer"),
        shipping_address=v.get("shipping_address"),
        billing_address=v.get("billing_address"),
        delivery=(
            services.DeliveryChange(
                delivery_type=delivery["delivery_type"],
                pickup_location_code=delivery.get("pickup_location"),
                shipping_address=delivery.get("shipping_address"),
            )
            if delivery
            else None
        ),
        line_quantities=tuple((c["line_number"], c["quantity"]) for c in v.get("lines", [])),
    )


class OrderFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=OrderState.choices)
    external_reference = django_filters.CharFilter()
    customer_email = django_filters.CharFilter(lookup_expr="iexact")
    delivery_type = django_filters.ChoiceFilter(choices=DeliveryType.choices)
    placed_after = django_filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = django_filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="lt")
    location = django_filters.CharFilter(
        field_name="fulfilments__location__code",
        distinct=True,
        help_text="Fulfilment location code.",
    )

    class Meta:
        model = Order
        fields = ["state", "external_reference", "customer_email", "delivery_type"]


class OrderListCreateView(ChecksKeyInStatement, generics.ListAPIView):
    required_scope = ApiKey.Scope.ORDERS
    serializer_class = s.OrderOutputSerializer
    filterset_class = OrderFilter
    queryset = Order.objects.none()  # for the schema; get_queryset scopes to the channel

    @property  # type: ignore[override]
    def checks_key_in_statement(self) -> bool:
        """Intake checks a cached key in its transaction's first statement (the idempotency
        claim), saving the usual check's round trip; the list checks it first."""
        return self.request.method == "POST"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.orders_for_key(key=request_key(self.request))

    @extend_schema(
        tags=["orders"],
        summary="List your channel's orders (a location system's: those at its location)",
        responses={200: s.OrderOutputSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["orders"],
        summary="Place an order",
        description=(
            "Validates, routes with the active strategy, reserves stock and records the order "
            "in one transaction. Not routable: 409 `out_of_stock` with per-line details, or "
            "201 with state `waiting` when your channel uses the waiting room."
        ),
        parameters=[IDEMPOTENCY_PARAM],
        request=s.OrderCreateInputSerializer,
        responses={201: s.OrderOutputSerializer, **error_responses(400, 403, 404, 409, 422)},
    )
    def post(self, request: Request) -> Response:
        try:
            return self._place(request)
        except KeyChanged:  # nothing was done; the usual check (401, 403) or the current key
            check_key_now(request)
            return self._place(request)

    def _place(self, request: Request) -> Response:
        channel = request_channel(request)
        unchecked = unchecked_key(request)

        refused: list[str] = []  # the code intake refused the order with (not the key's)

        def create() -> tuple[int, Any]:
            data = s.OrderCreateInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            try:
                placed = services.order_place(
                    channel=channel,
                    data=_order_input(data.validated_data),
                    actor=request_actor(request),
                )
            except OMSError as exc:
                refused.append(exc.code)
                raise
            # Serialise from what intake holds: no read-back needed.
            return 201, s.OrderOutputSerializer(order_prime_for_output(placed)).data

        try:
            response = idempotent(
                request=request,
                channel=channel,
                scope="order_create",
                handler=create,
                key_check=(
                    None
                    if unchecked is None
                    else KeyCheck(unchecked, passed=lambda: key_checked(request))
                ),
            )
        except OMSError:
            if refused:  # counted after the refused transaction rolled back, locks released
                intake_refusal_record(channel_id=channel.pk, code=refused[-1])
            raise
        if response.status_code == 201 and isinstance(response.data, dict):
            response["ETag"] = f'"{response.data["id"]}-{response.data["version"]}"'
            response["Location"] = f"/api/v1/orders/{response.data['id']}/"
        return response


class OrderDetailView(APIView):
    required_scope = ApiKey.Scope.ORDERS

    @extend_schema(
        tags=["orders"],
        summary="Read an order (ETag header for edits)",
        responses={200: s.OrderOutputSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        order = selectors.order_get_for_key(key=request_key(request), order_id=pk)
        return Response(s.OrderOutputSerializer(order).data, headers={"ETag": order.etag})

    @extend_schema(
        tags=["orders"],
        summary="Edit an order",
        description=(
            "Change customer, addresses, the delivery option (reroutes) or line quantities "
            "(0 cancels the line). Needs `If-Match`. Refused with 409 `already_shipped` for "
            "goods already handed over, 409 `out_of_stock` when the change cannot be routed; "
            "then nothing changes."
        ),
        parameters=[IF_MATCH_PARAM],
        request=s.OrderPatchInputSerializer,
        responses={
            200: s.OrderOutputSerializer,
            **error_responses(400, 403, 404, 409, 412, 422, 428),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        channel = request_channel(request)
        selectors.order_get_for_key(key=request_key(request), order_id=pk)
        version = expected_version(request, pk)
        data = s.OrderPatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_edit(
            order_id=pk,
            channel_id=channel.pk,
            actor=request_actor(request),
            expected_version=version,
            changes=_order_changes(data.validated_data),
        )
        return order_response(order)


class OrderCancelView(APIView):
    required_scope = ApiKey.Scope.ORDERS

    @extend_schema(
        tags=["orders"],
        summary="Cancel the whole order (releases its stock)",
        parameters=[IF_MATCH_PARAM],
        request=s.CancelInputSerializer,
        responses={200: s.OrderOutputSerializer, **error_responses(400, 403, 404, 409, 412, 428)},
    )
    def post(self, request: Request, pk: int) -> Response:
        channel = request_channel(request)
        selectors.order_get_for_key(key=request_key(request), order_id=pk)
        version = expected_version(request, pk)
        data = s.CancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_cancel(
            order_id=pk,
            channel_id=channel.pk,
            actor=request_actor(request),
            expected_version=version,
            reason=data.validated_data["reason"],
        )
        return order_response(order)


class OrderLineCancelView(APIView):
    required_scope = ApiKey.Scope.ORDERS

    @extend_schema(
        tags=["orders"],
        summary="Cancel (part of) an order line",
        parameters=[IF_MATCH_PARAM],
        request=s.LineCancelInputSerializer,
        responses={
            200: s.OrderOutputSerializer,
            **error_responses(400, 403, 404, 409, 412, 422, 428),
        },
    )
    def post(self, request: Request, pk: int, line_number: int) -> Response:
        channel = request_channel(request)
        selectors.order_get_for_key(key=request_key(request), order_id=pk)
        version = expected_version(request, pk)
        data = s.LineCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_line_cancel(
            order_id=pk,
            channel_id=channel.pk,
            line_id=line_id_for(pk, line_number),
            actor=request_actor(request),
            expected_version=version,
            quantity=data.validated_data.get("quantity"),
            reason=data.validated_data["reason"],
        )
        return order_response(order)


class OrderEventListView(generics.ListAPIView):
    required_scope = ApiKey.Scope.ORDERS
    serializer_class = s.OrderEventOutputSerializer
    filter_backends: list = []
    queryset = OrderEvent.objects.none()  # for the schema; get_queryset scopes to the order

    def get_queryset(self):  # type: ignore[no-untyped-def]
        order = selectors.order_get_for_key(
            key=request_key(self.request), order_id=self.kwargs["pk"]
        )
        return order.events.filter(public=True).order_by("sequence")

    @extend_schema(
        tags=["orders"],
        summary="The order's event timeline",
        description="Public events only (internal ones such as staff notes stay in the admin).",
        responses={
            200: s.OrderEventOutputSerializer(many=True),
            **error_responses(400, 403, 404),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
