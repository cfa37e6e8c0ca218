"""Input serializers whose fields are built once per thread (oms/api/fields_once.py) validate
exactly as DRF's own per-instance fields do, and threads never see each other's data."""

from __future__ import annotations

import copy
import threading
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.serializers import Serializer

from oms.api.fields_once import FieldsBuiltOnce
from orders.api.serializers import OrderCreateInputSerializer

ADDRESS = {"name": "A", "street": "Teststr. 1", "postal_code": "10115", "city": "Berlin",
           "country": "DE"}  # fmt: skip


def body(n: int) -> dict[str, Any]:
    return {
        "external_reference": f"ref-{n}",
        "currency": "EUR",
        "shipping_address": ADDRESS,
        "lines": [{"sku": f"SKU-{n}", "quantity": 1 + n % 3, "unit_price": f"{n % 50}.95"}],
        "shipping_total": "4.90",
    }


INVALID = [
    {},
    {**body(1), "currency": "euro"},
    {**body(2), "lines": []},
    {**body(3), "lines": [{"sku": "A", "quantity": 0, "unit_price": "-1"}]},
    {**body(4), "shipping_address": {"country": "DE"}},
    {**body(5), "total": "1.00"},
    {**body(6), "lines": "not a list"},
    {**body(7), "customer": {"email": "not an e-mail"}},
]


def _validate(data: dict[str, Any]) -> tuple[bool, Any]:
    serializer = OrderCreateInputSerializer(data=copy.deepcopy(data))
    if serializer.is_valid():
        return True, serializer.validated_data
    return False, serializer.errors


@pytest.mark.parametrize("data", [body(8), body(9), *INVALID])
def test_same_result_as_fields_built_per_instance(data: dict[str, Any], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    once = [_validate(data), _validate(data)]
    monkeypatch.setattr(FieldsBuiltOnce, "fields", Serializer.fields)
    per_instance = _validate(data)

    assert once[0] == once[1] == per_instance


def test_fields_are_bound_to_the_serializer_in_use() -> None:
    first = OrderCreateInputSerializer(data=body(1))
    assert first.is_valid()
    second = OrderCreateInputSerializer(data=body(2))
    assert second.is_valid()

    assert second.fields["lines"].parent is second
    assert second.fields["lines"].root is second
    assert second.validated_data["external_reference"] == "ref-2"
    assert first.validated_data["external_reference"] == "ref-1"


def test_an_invalid_request_leaves_nothing_behind_for_the_next() -> None:
    assert not _validate(INVALID[3])[0]
    ok, data = _validate(body(10))
    assert ok and data["lines"][0]["quantity"] == 2


def test_threads_validate_their_own_data() -> None:
    failures: list[str] = []

    def run(offset: int) -> None:
        for n in range(offset, offset + 300):
            ok, data = _validate(body(n) if n % 7 else INVALID[n % len(INVALID)])
            if n % 7 == 0:
                if ok:
                    failures.append(f"{n} accepted")
            elif (
                not ok
                or data["external_reference"] != f"ref-{n}"
                or data["lines"][0]["unit_price"] != Decimal(f"{n % 50}.95")
            ):
                failures.append(f"{n}: {data}")

    threads = [threading.Thread(target=run, args=(k * 1000,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []


def test_fields_are_copied_once_per_thread_not_per_request() -> None:
    here = [OrderCreateInputSerializer(data=body(n)).fields["lines"] for n in range(3)]
    elsewhere: list[Any] = []
    thread = threading.Thread(
        target=lambda: elsewhere.append(OrderCreateInputSerializer(data=body(1)).fields["lines"])
    )
    thread.start()
    thread.join()

    assert here[0] is here[1] is here[2]
    assert elsewhere[0] is not here[0]
    # Never the class's declared field itself: that one is DRF's template.
    assert here[0] is not OrderCreateInputSerializer._declared_fields["lines"]
