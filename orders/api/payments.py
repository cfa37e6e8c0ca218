"""Payments API: the order's payments and refunds, PSP transactions reported by the shop,
refund requests and their confirmations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.context import request_actor, request_channel, request_key
from oms.api.exceptions import error_responses
from oms.models import ApiKey
from orders import selectors
from orders.idempotency import idempotent
from orders.payments import services
from orders.payments.models import Payment, PaymentTransaction, Refund, TransactionKind
from orders.payments.selectors import payment_summary

from .views.common import IDEMPOTENCY_PARAM


def _amount(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class PaymentTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentTransaction
        fields = ["id", "kind", "amount", "psp_reference", "actor", "created_at"]


class PaymentSerializer(serializers.ModelSerializer):
    refundable = _amount(read_only=True)
    transactions = PaymentTransactionSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "provider",
            "reference",
            "currency",
            "authorized",
            "captured",
            "refunded",
            "refund_pending",
            "refundable",
            "voided_at",
            "transactions",
        ]


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = [
            "id",
            "payment",
            "amount",
            "state",
            "reason",
            "source",
            "psp_reference",
            "breakdown",
            "requested_by",
            "created_at",
            "settled_at",
        ]


class PaymentSummarySerializer(serializers.Serializer):
    state = serializers.CharField(help_text="Derived from the payments' amounts.")
    currency = serializers.CharField()
    authorized = _amount()
    captured = _amount()
    refunded = _amount()
    refund_pending = _amount()
    refundable = _amount()
    payments = PaymentSerializer(many=True)
    refunds = RefundSerializer(many=True)


class TransactionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TransactionKind.choices)
    amount = _amount(min_value=Decimal("0"), required=False, default=Decimal("0"))
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="")
    psp_reference = serializers.CharField(
        max_length=200, help_text="Your PSP's transaction id; reporting it again is a no-op."
    )
    payment_reference = serializers.CharField(
        max_length=200,
        required=False,
        default="",
        help_text="The PSP's payment id; a new one opens a second payment. Empty: the first.",
    )
    provider = serializers.CharField(max_length=50, required=False, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] != TransactionKind.VOID and attrs["amount"] <= 0:
            raise serializers.ValidationError({"amount": "Must be positive."})
        return attrs


class RefundInputSerializer(serializers.Serializer):
    amount = _amount(min_value=Decimal("0.01"))
    reason = serializers.CharField(max_length=200, required=False, default="")


class RefundConfirmInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("succeeded", "succeeded"), ("failed", "failed")])
    psp_reference = serializers.CharField(max_length=200, required=False, default="")


class OrderPaymentsView(APIView):
    required_scope = ApiKey.Scope.ORDERS

    @extend_schema(
        tags=["payments"],
        summary="The order's payments, refunds and what is still refundable",
        responses={200: PaymentSummarySerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        order = selectors.order_get_for_key(key=request_key(request), order_id=pk)
        return Response(PaymentSummarySerializer(payment_summary(order=order)).data)


class PaymentTransactionCreateView(APIView):
    required_scope = ApiKey.Scope.ORDERS

    @extend_schema(
        tags=["payments"],
        summary="Report an authorization, capture, refund or void made at your PSP",
        description=(
            "Idempotent by `psp_reference`: reporting the same transaction again answers 200 "
            "and changes nothing (409 `psp_reference_conflict` with another amount). 422 "
            "`capture_exceeds_authorized` / `refund_exceeds_captured` beyond the payment's "
            "amounts. A void releases what is authorized and not captured."
        ),
        request=TransactionInputSerializer,
        responses={
            201: PaymentTransactionSerializer,
            200: PaymentTransactionSerializer,
            **error_responses(400, 403, 404, 409, 422),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        selectors.order_get_for_key(key=request_key(request), order_id=pk)
        data = TransactionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        outcome = services.payment_record_transaction(
            order_id=pk,
            channel_id=request_channel(request).pk,
            kind=v["kind"],
            amount=v["amount"],
            currency=v["currency"],
            psp_reference=v["psp_reference"],
            payment_reference=v["payment_reference"],
            provider=v["provider"],
            actor=request_actor(request),
        )
        return Response(
            PaymentTransactionSerializer(outcome.transaction).data,
            status=201 if outcome.created else 200,
        )


class RefundCreateView(APIView):
    required_scope = ApiKey.Scope.ORDERS

    @extend_schema(
        tags=["payments"],
        summary="Refund part of the captured money",
        description=(
            "Issued through your channel's payment adapter (`shop_handled`: a "
            "`refund_requested` event; confirm it with `.../refunds/{id}/confirm/`). 422 "
            "`refund_exceeds_captured` above what is captured and not yet refunded; then "
            "nothing changes."
        ),
        parameters=[IDEMPOTENCY_PARAM],
        request=RefundInputSerializer,
        responses={201: RefundSerializer(many=True), **error_responses(400, 403, 404, 409, 422)},
    )
    def post(self, request: Request, pk: int) -> Response:
        channel = request_channel(request)
        selectors.order_get_for_key(key=request_key(request), order_id=pk)

        def create() -> tuple[int, Any]:
            data = RefundInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            refunds = services.refund_request(
                order_id=pk,
                channel_id=channel.pk,
                amount=data.validated_data["amount"],
                reason=data.validated_data["reason"],
                source="api",
                actor=request_actor(request),
            )
            return 201, RefundSerializer(refunds, many=True).data

        return idempotent(request=request, channel=channel, scope="refund_create", handler=create)


class RefundConfirmView(APIView):
    required_scope = ApiKey.Scope.ORDERS

    @extend_schema(
        tags=["payments"],
        summary="Confirm a requested refund (succeeded or failed at your PSP)",
        description="Repeating the same outcome is a no-op; the opposite outcome is 409 "
        "`refund_already_settled`.",
        request=RefundConfirmInputSerializer,
        responses={200: RefundSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int, refund_id: int) -> Response:
        selectors.order_get_for_key(key=request_key(request), order_id=pk)
        data = RefundConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.refund_confirm(
            order_id=pk,
            refund_id=refund_id,
            channel_id=request_channel(request).pk,
            succeeded=data.validated_data["outcome"] == "succeeded",
            psp_reference=data.validated_data["psp_reference"],
            actor=request_actor(request),
        )
        return Response(RefundSerializer(refund).data)
