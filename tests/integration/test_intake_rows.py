"""Intake's one-statement write of a new order, its first payment and its lines with the SKU
lookup (orders/services/intake_rows.py) writes what its ORM twin writes, refuses unknown and
inactive SKUs the same way, and lists every column."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from orders.models import Order, OrderLine, PaymentStatus
from orders.payments.models import Payment, PaymentTransaction
from orders.payments.services import intake_payment
from orders.services.intake import LineInput
from orders.services.intake_rows import (
    LINE_COLUMNS,
    PAYMENT_COLUMNS,
    TRANSACTION_COLUMNS,
    order_rows_create,
    order_rows_create_orm,
)
from routing.errors import UnknownSku
from tests.factories import ChannelFactory, ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]

ORDER_COMPARED = (
    "channel_id", "external_reference", "state", "version", "event_count", "customer_email",
    "customer_name", "customer_phone", "billing_address", "shipping_address",
    "shipping_country", "shipping_latitude", "shipping_longitude", "delivery_type",
    "pickup_location_id", "currency", "subtotal", "shipping_total", "discount_total", "total",
    "payment_status", "priority", "excluded_location_ids", "strategy_version_id",
    "strategy_name", "waiting_since", "escalated_at", "cancel_reason",
)  # fmt: skip


def _unsaved(channel, ref: str) -> Order:  # type: ignore[no-untyped-def]
    return Order(
        channel=channel,
        external_reference=ref,
        currency="EUR",
        customer_email="ada@example.com",
        customer_name="Ada",
        shipping_address={"name": "Ada", "city": "Köln", "lines": ["a", "b"]},
        billing_address={"vat": None},
        shipping_country="DE",
        shipping_latitude=50.9,
        shipping_longitude=6.9,
        subtotal=Decimal("21.85"),
        shipping_total=Decimal("4.90"),
        total=Decimal("26.75"),
        payment_status=PaymentStatus.PAID,
        priority=3,
    )


def _stored(order: Order) -> tuple:
    row = Order.objects.values(*ORDER_COMPARED).get(pk=order.pk)
    payments = list(
        Payment.objects.filter(order=order).values_list(
            "provider", "reference", "currency", "authorized", "captured", "refunded",
            "refund_pending", "voided_at", "failed",
        )
    )  # fmt: skip
    transactions = list(
        PaymentTransaction.objects.filter(payment__order=order)
        .order_by("pk")
        .values_list("kind", "amount", "psp_reference", "actor")
    )
    lines = list(
        OrderLine.objects.filter(order=order)
        .order_by("line_number")
        .values_list(
            "line_number", "product_id", "sku", "name", "quantity", "cancelled_quantity",
            "unit_price",
        )
    )  # fmt: skip
    return row, payments, transactions, lines


LINES = [
    LineInput("B", 2, Decimal("9.95"), "Bee"),
    LineInput("A", 1, Decimal("0.00")),
    LineInput("B", 5, Decimal("0.40"), "again"),
]


@pytest.mark.parametrize("status", [PaymentStatus.PAID, PaymentStatus.PENDING])
def test_rows_match_the_orm_twin(status) -> None:  # type: ignore[no-untyped-def]
    a, b = ProductFactory(sku="A"), ProductFactory(sku="B")
    channel = ChannelFactory()
    first, second = _unsaved(channel, "R-1"), _unsaved(channel, "R-2")
    second.external_reference = first.external_reference = "R-1"
    second.channel = ChannelFactory()
    draft = intake_payment(total=first.total, status=status, provider="stripe", reference="pi_1")

    created = order_rows_create(order=first, lines=LINES, payment=draft, actor="api:shop")
    twin = order_rows_create_orm(order=second, lines=LINES, payment=draft, actor="api:shop")

    ours, theirs = _stored(first), _stored(second)
    assert ours[0] == {**theirs[0], "channel_id": channel.pk}
    assert ours[1:] == theirs[1:]
    expected_steps = 2 if status == PaymentStatus.PAID else 0
    assert [kind for kind, *_ in ours[2]] == ["authorization", "capture"][:expected_steps]
    assert first.pk and not first._state.adding
    saved = Order.objects.get(pk=first.pk)
    assert saved.placed_at == first.placed_at and saved.updated_at == first.updated_at
    assert [(ln.line_number, ln.product_id, ln.sku) for ln in created] == [
        (1, b.pk, "B"),
        (2, a.pk, "A"),
        (3, b.pk, "B"),
    ]
    assert [(ln.quantity, ln.unit_price, ln.name) for ln in created] == [
        (ln.quantity, ln.unit_price, ln.name) for ln in twin
    ]
    assert all(ln.pk and not ln._state.adding and ln.order is first for ln in created)
    assert {ln.pk for ln in created} == set(
        OrderLine.objects.filter(order=first).values_list("pk", flat=True)
    )


@pytest.mark.parametrize("create", [order_rows_create, order_rows_create_orm])
def test_unknown_and_inactive_skus_are_refused_and_nothing_stays(create) -> None:  # type: ignore[no-untyped-def]
    ProductFactory(sku="A")
    ProductFactory(sku="OLD", active=False)
    channel = ChannelFactory()
    order = _unsaved(channel, "R-3")
    lines = [LineInput("A", 1, Decimal("1")), LineInput("NOPE", 1, Decimal("1")),
             LineInput("OLD", 1, Decimal("1"))]  # fmt: skip
    draft = intake_payment(total=order.total, status=PaymentStatus.AUTHORIZED)

    with pytest.raises(UnknownSku) as refused:
        with transaction.atomic():
            create(order=order, lines=lines, payment=draft, actor="api:shop")

    assert refused.value.code == "unknown_sku"
    assert refused.value.details == {"skus": ["NOPE", "OLD"]}
    assert not Order.objects.filter(channel=channel).exists()
    assert not Payment.objects.exists() and not OrderLine.objects.exists()


def test_an_order_of_unknown_skus_only_is_refused() -> None:
    order = _unsaved(ChannelFactory(), "R-4")
    draft = intake_payment(total=order.total, status=PaymentStatus.PAID)

    with pytest.raises(UnknownSku) as refused:
        with transaction.atomic():
            order_rows_create(
                order=order, lines=[LineInput("X", 1, Decimal("1"))], payment=draft, actor="a"
            )

    assert refused.value.details == {"skus": ["X"]}
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "model, columns",
    [
        (OrderLine, LINE_COLUMNS),
        (Payment, PAYMENT_COLUMNS),
        (PaymentTransaction, TRANSACTION_COLUMNS),
    ],
)
def test_the_inserts_list_every_column_of_the_models(model, columns) -> None:  # type: ignore[no-untyped-def]
    model_columns = {f.column for f in model._meta.concrete_fields if not f.primary_key}
    assert set(columns) == model_columns
    assert len(columns) == len(model_columns)


@pytest.mark.parametrize(
    "status, amounts, steps",
    [
        (PaymentStatus.PENDING, ("0", "0", "0", False), []),
        (PaymentStatus.FAILED, ("0", "0", "0", True), []),
        (PaymentStatus.AUTHORIZED, ("10", "0", "0", False), ["authorization"]),
        (PaymentStatus.PAID, ("10", "10", "0", False), ["authorization", "capture"]),
        (PaymentStatus.PARTIALLY_REFUNDED, ("10", "10", "0", False), ["authorization", "capture"]),
        (PaymentStatus.REFUNDED, ("10", "10", "10", False), ["authorization", "capture", "refund"]),
    ],
)
def test_intake_payment_follows_the_status_the_shop_sent(status, amounts, steps) -> None:  # type: ignore[no-untyped-def]
    draft = intake_payment(total=Decimal("10"), status=status)

    authorized, captured, refunded, failed = amounts
    assert (draft.authorized, draft.captured, draft.refunded, draft.failed) == (
        Decimal(authorized), Decimal(captured), Decimal(refunded), failed,
    )  # fmt: skip
    assert [kind for kind, _ in draft.steps] == steps
    assert draft.provider == "shop"
