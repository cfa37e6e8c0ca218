"""The OpenAPI schema is as strict as the server: what a generated client accepts, the server
accepts, and what the server refuses, the schema refuses too; every error code is documented."""

from __future__ import annotations

import importlib
import pkgutil
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from django.apps import apps
from drf_spectacular.generators import SchemaGenerator

from oms.errors import OMSError

ORDERS = "/api/v1/orders/"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def request_validator(schema: dict[str, Any], component: str) -> jsonschema.Draft7Validator:
    root = {"$ref": f"#/components/schemas/{component}", "components": schema["components"]}
    return jsonschema.Draft7Validator(root)


FIRST_PARTY = ("oms", "inventory", "routing", "orders", "returns", "demo")


def import_every_module() -> None:
    """Import every module of our apps, so every OMSError subclass is defined."""
    for app in apps.get_app_configs():
        if app.name.split(".")[0] not in FIRST_PARTY:
            continue  # third-party app (a virtualenv inside the checkout is not ours)
        for module in pkgutil.walk_packages([app.path], prefix=f"{app.name}."):
            skip = (".migrations", ".settings", ".wsgi", ".asgi")
            if not any(part in module.name for part in skip):
                importlib.import_module(module.name)


def subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= subclasses(sub)
    return found


def test_every_error_code_is_in_the_schema(schema) -> None:  # type: ignore[no-untyped-def]
    import_every_module()
    codes = {cls.code for cls in subclasses(OMSError) | {OMSError}}
    assert {"order_not_found", "invalid_page", "out_of_stock"} <= codes  # the walk found them

    documented = set(schema["components"]["schemas"]["ErrorCodeEnum"]["enum"])
    assert codes - documented == set()
    error_body = schema["components"]["schemas"]["Error"]["properties"]["code"]
    assert error_body["allOf"][0]["$ref"].endswith("/ErrorCodeEnum")


def test_every_request_number_and_list_is_bounded(schema) -> None:  # type: ignore[no-untyped-def]
    unbounded = []

    def walk(where: str, node: dict[str, Any]) -> None:
        kind = node.get("type")
        if kind in ("integer", "number") and not {"minimum", "maximum"} <= set(node):
            unbounded.append(where)
        if kind == "array":
            if "maxItems" not in node:
                unbounded.append(where)
            walk(f"{where}[]", node.get("items", {}))
        if kind == "string" and not set(node) & {"maxLength", "enum", "pattern", "format"}:
            unbounded.append(where)
        for name, child in node.get("properties", {}).items():
            walk(f"{where}.{name}", child)
        for child in node.get("oneOf", []):
            walk(where, child)

    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            walk(name, component)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                # a page number has no upper bound (past the end is an empty page)
                if parameter["schema"].get("type") == "integer" and parameter["in"] == "query":
                    if "minimum" not in parameter["schema"]:
                        unbounded.append(f"{method} {path} ?{parameter['name']}")
    assert unbounded == []


def order_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_reference": "SCHEMA-1",
        "currency": "EUR",
        "lines": [{"sku": "SKU-1", "quantity": 1, "unit_price": "9.90"}],
        "shipping_address": {
            "name": "Erika Mustermann",
            "street": "Unter den Linden 1",
            "postal_code": "10117",
            "city": "Berlin",
            "country": "DE",
        },
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


LINE = {"sku": "SKU-1", "quantity": 1, "unit_price": "1.00"}
REFUSED_ORDERS = {
    "ship without shipping address": order_body(shipping_address=None),
    "click & collect without store": order_body(delivery_type="click_collect"),
    "no lines": order_body(lines=[]),
    "too many lines": order_body(lines=[LINE] * 101),
    "negative price": order_body(lines=[{**LINE, "unit_price": "-1.00"}]),
    "negative total": order_body(total="-1.00"),
    "quantity beyond bound": order_body(lines=[{**LINE, "quantity": 100_001}]),
    "reference too long": order_body(external_reference="R" * 101),
}


@pytest.mark.parametrize("case", REFUSED_ORDERS)
def test_schema_and_server_refuse_the_same_orders(schema, api_client, case: str) -> None:  # type: ignore[no-untyped-def]
    body = REFUSED_ORDERS[case]
    assert not request_validator(schema, "OrderCreateInputRequest").is_valid(body)

    response = api_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY=f"k-{case}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_request"


def test_schema_accepts_both_kinds_of_order(schema) -> None:  # type: ignore[no-untyped-def]
    validator = request_validator(schema, "OrderCreateInputRequest")
    validator.validate(order_body())
    validator.validate(order_body(delivery_type="ship", total="9.90"))
    validator.validate(
        order_body(shipping_address=None, delivery_type="click_collect", pickup_location="st-1")
    )
    assert Decimal(order_body()["lines"][0]["unit_price"]) > 0


@pytest.mark.parametrize("updates", [[], [{"location": "a", "sku": "b", "delta": 1}] * 10_001])
def test_schema_and_server_bound_the_stock_feed(schema, api_client, updates) -> None:  # type: ignore[no-untyped-def]
    assert not request_validator(schema, "StockUpdateInputRequest").is_valid({"updates": updates})
    response = api_client.post("/api/v1/stock/updates/", {"updates": updates}, format="json")
    assert response.status_code == 400
