"""Inventory API: thin views, one service or selector each."""

from __future__ import annotations

import django_filters
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory import selectors, services
from inventory.errors import UnknownLocation, UnknownProduct
from inventory.models import InboundStock, Location, Product
from oms.api.context import request_actor, request_channel
from oms.api.exceptions import error_responses
from oms.api.key_in_statement import ChecksKeyInStatement, value_with_key_check
from oms.api.renderers import FastJSONRenderer
from oms.errors import ValidationFailed
from oms.models import ApiKey

from . import serializers as s


class LocationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Location.Kind.choices)
    country = django_filters.CharFilter()
    city = django_filters.CharFilter(lookup_expr="iexact")
    click_collect = django_filters.BooleanFilter()

    class Meta:
        model = Location
        fields = ["kind", "country", "city", "click_collect"]


@extend_schema(
    tags=["inventory"], responses={200: s.LocationOutputSerializer, **error_responses(400)}
)
class LocationListView(generics.ListAPIView):
    """Active locations that serve your channel."""

    serializer_class = s.LocationOutputSerializer
    filterset_class = LocationFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request key
            return Location.objects.none()
        return selectors.channel_locations(channel=request_channel(self.request)).order_by("code")


class ProductFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter()
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Product
        fields = ["sku", "search", "active"]


@extend_schema(
    tags=["inventory"], responses={200: s.ProductOutputSerializer, **error_responses(400)}
)
class ProductListView(generics.ListAPIView):
    """The SKU catalogue."""

    serializer_class = s.ProductOutputSerializer
    filterset_class = ProductFilter
    queryset = Product.objects.order_by("sku")


class AvailabilityView(ChecksKeyInStatement):
    renderer_classes = [FastJSONRenderer]

    @extend_schema(
        tags=["inventory"],
        summary="Available to promise per SKU for your channel",
        parameters=[
            OpenApiParameter(
                "skus", OpenApiTypes.STR, required=True, description="Comma-separated SKUs."
            ),
            OpenApiParameter("include_inbound", OpenApiTypes.BOOL, required=False),
            OpenApiParameter(
                "include_locations",
                OpenApiTypes.BOOL,
                required=False,
                description="Per-location breakdown (default true). Checkout and product pages "
                "that only need the total should pass false: the total is then summed in SQL.",
            ),
        ],
        responses={200: s.SkuAvailabilityOutputSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> HttpResponse:
        query = s.availability_query(request.query_params)
        # The hottest read path: on PostgreSQL the answer's JSON comes whole from the query,
        # in the statement that checks a cached API key (one round trip); elsewhere plain
        # dicts. Both are the JSON SkuAvailabilityOutputSerializer documents (tests hold them
        # equal), at a fraction of DRF's nested-field cost.
        asked = {**query, "channel": request_channel(request)}
        statement = selectors.availability_json_expression(**asked)
        if statement is not None:
            answered, text = value_with_key_check(request, *statement)
            if answered:
                return HttpResponse(text, content_type="application/json")
            asked["channel"] = request_channel(request)  # as checked now
        text = selectors.availability_json_text(**asked)
        if text is not None:
            return HttpResponse(text, content_type="application/json")
        result = selectors.availability_for_channel(**asked)
        return Response([s.availability_as_dict(entry) for entry in result])


class StockUpdateView(APIView):
    required_scope = ApiKey.Scope.STOCK_WRITE

    @extend_schema(
        tags=["inventory"],
        summary="Stock feed: absolute counts and deltas, all or nothing",
        description=(
            "Up to 10,000 rows. An absolute row (`on_hand` + `counted_at`) older than the newest "
            "count already applied is skipped and listed in `stale_rows`. Any bad row rejects "
            "the whole request, nothing is applied, and `details.errors` lists every problem as "
            "`{row, field, code, message}` with `row` numbered from 1: a malformed row (wrong "
            "type, out of range, missing field) answers 400 `invalid_request`; a well-formed row "
            "that breaks a rule (unknown location or SKU, stock below reserved) answers 422 "
            "`stock_update_rejected`."
        ),
        request=s.StockUpdateInputSerializer,
        responses={
            200: s.StockUpdateOutputSerializer,
            **error_responses(403),
            400: OpenApiResponse(s.StockFeedErrorSerializer, description="Malformed rows."),
            422: OpenApiResponse(s.StockFeedErrorSerializer, description="Rows break a rule."),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.StockUpdateInputSerializer(data=request.data)
        if not data.is_valid():
            raise ValidationFailed(
                "Some rows are malformed; nothing was applied.",
                details={"errors": s.stock_feed_errors(data.errors)},
            )
        updates = [
            services.StockUpdate(
                location_code=row["location"],
                sku=row["sku"],
                on_hand=row.get("on_hand"),
                counted_at=row.get("counted_at"),
                delta=row.get("delta"),
                safety_stock=row.get("safety_stock"),
                reason=row.get("reason", ""),
                inbound_reference=row.get("inbound_reference", ""),
            )
            for row in data.validated_data["updates"]
        ]
        result = services.stock_feed_apply(
            updates=updates,
            actor=request_actor(request),
            allowed_location_ids=selectors.channel_location_ids(channel=request_channel(request)),
            reference=data.validated_data["reference"],
        )
        return Response(s.StockUpdateOutputSerializer(result).data)


class InboundFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="product__sku")
    location = django_filters.CharFilter(field_name="location__code")
    status = django_filters.ChoiceFilter(choices=InboundStock.Status.choices)
    expected_before = django_filters.DateFilter(field_name="expected_date", lookup_expr="lte")

    class Meta:
        model = InboundStock
        fields = ["sku", "location", "status", "expected_before"]


def _channel_inbound(request: Request):  # type: ignore[no-untyped-def]
    return InboundStock.objects.filter(
        location__in=selectors.channel_locations(channel=request_channel(request))
    ).select_related("location", "product")


class InboundListCreateView(generics.ListAPIView):
    serializer_class = s.InboundOutputSerializer
    filterset_class = InboundFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request key
            return InboundStock.objects.none()
        return _channel_inbound(self.request).order_by("expected_date", "id")

    @extend_schema(
        tags=["inventory"],
        responses={200: s.InboundOutputSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["inventory"],
        summary="Announce inbound (future) stock",
        request=s.InboundCreateInputSerializer,
        responses={201: s.InboundOutputSerializer, **error_responses(400, 403, 404, 409, 422)},
    )
    def post(self, request: Request) -> Response:
        if not request.auth.has_scope(ApiKey.Scope.STOCK_WRITE):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("This API key lacks the 'stock_write' scope.")
        data = s.InboundCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        location = (
            selectors.channel_locations(channel=request_channel(request))
            .filter(code=v["location"])
            .first()
        )
        if location is None:
            raise UnknownLocation(details={"location": v["location"]})
        product = Product.objects.filter(sku=v["sku"]).first()
        if product is None:
            raise UnknownProduct(details={"sku": v["sku"]})
        inbound = services.inbound_create(
            location=location,
            product=product,
            reference=v["reference"],
            expected_date=v["expected_date"],
            quantity=v["quantity"],
            kind=v["kind"],
        )
        return Response(s.InboundOutputSerializer(inbound).data, status=status.HTTP_201_CREATED)


class InboundReceiveView(APIView):
    required_scope = ApiKey.Scope.STOCK_WRITE

    @extend_schema(
        tags=["inventory"],
        summary="Receive (part of) inbound stock into on hand",
        request=s.InboundReceiveInputSerializer,
        responses={200: s.InboundOutputSerializer, **error_responses(400, 403, 404, 409, 422)},
    )
    def post(self, request: Request, pk: int) -> Response:
        inbound = get_object_or_404(_channel_inbound(request), pk=pk)
        data = s.InboundReceiveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.inbound_receive(
            inbound_id=inbound.pk,
            quantity=data.validated_data["quantity"],
            actor=request_actor(request),
        )
        return _inbound_answer(inbound)


class InboundDetailView(APIView):
    required_scope = ApiKey.Scope.STOCK_WRITE

    @extend_schema(
        tags=["inventory"],
        summary="Slip inbound stock (new expected date) or change its quantity",
        description=(
            "A later expected date releases the line's pre-orders and re-plans each of their "
            "orders (other inbound or on-hand stock, the same line at its new date, else the "
            "waiting room) with an `order_delayed` event; a lower quantity does so for the "
            "pre-orders that no longer fit (lowest priority, youngest first). A quantity below "
            "what was received answers 422 `over_receipt`."
        ),
        request=s.InboundUpdateInputSerializer,
        responses={200: s.InboundOutputSerializer, **error_responses(400, 403, 404, 409, 422)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        inbound = get_object_or_404(_channel_inbound(request), pk=pk)
        data = s.InboundUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.inbound_update(
            inbound_id=inbound.pk,
            expected_date=data.validated_data.get("expected_date"),
            quantity=data.validated_data.get("quantity"),
            actor=request_actor(request),
        )
        return _inbound_answer(inbound)


class InboundCancelView(APIView):
    required_scope = ApiKey.Scope.STOCK_WRITE

    @extend_schema(
        tags=["inventory"],
        summary="Cancel inbound stock; its pre-orders are re-planned",
        request=None,
        responses={200: s.InboundOutputSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        inbound = get_object_or_404(_channel_inbound(request), pk=pk)
        services.inbound_cancel(inbound_id=inbound.pk, actor=request_actor(request))
        return _inbound_answer(inbound)


def _inbound_answer(inbound: InboundStock) -> Response:
    """The inbound line as it is after a change (re-read: the service changed it in its own
    transaction, with its pre-orders)."""
    inbound.refresh_from_db()
    return Response(s.InboundOutputSerializer(inbound).data)
