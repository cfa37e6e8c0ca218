"""Orders API: intake with Idempotency-Key, edits with If-Match, channel isolation, filters,
pagination, and no 500 on odd input. Every error body is exactly {code, message, details}."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from inventory.models import Reservation
from inventory.selectors import stock_ledger_mismatches
from orders.idempotency import request_fingerprint
from orders.models import IdempotencyRecord, Order, OrderEvent, OrderLine
from tests.factories import (
    BERLIN,
    MUNICH,
    ChannelFactory,
    LocationFactory,
    ProductFactory,
    api_client_for,
    level_of,
    raw_api_key,
    stock,
)

# sqlite_twin: also run on SQLite, the ORM twins of the hand-written SQL (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]

ORDERS = "/api/v1/orders/"


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], (dict, list))
    return body


def order_body(ref: str = "WEB-1001", qty: int = 2, sku: str = "SHIRT", **extra) -> dict:  # type: ignore[no-untyped-def]
    return {
        "external_reference": ref,
        "currency": "EUR",
        "customer": {"email": "erika@example.com", "name": "Erika Mustermann"},
        "shipping_address": dict(BERLIN),
        "lines": [{"sku": sku, "quantity": qty, "unit_price": "19.99"}],
        **extra,
    }


def post_order(client, body, key: str | None = "key-1"):  # type: ignore[no-untyped-def]
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(ORDERS, body, format="json", **headers)


@pytest.fixture
def net(channel):  # type: ignore[no-untyped-def]
    berlin = LocationFactory(
        code="wh-berlin",
        channels=[channel],
        cost_per_km=Decimal("0.1"),
        latitude=BERLIN["latitude"],
        longitude=BERLIN["longitude"],
    )
    munich = LocationFactory(
        code="wh-munich",
        channels=[channel],
        cost_per_km=Decimal("0.1"),
        latitude=MUNICH["latitude"],
        longitude=MUNICH["longitude"],
    )
    shirt = ProductFactory(sku="SHIRT")
    stock(berlin, shirt, 10)
    stock(munich, shirt, 10)
    return SimpleNamespace(channel=channel, berlin=berlin, munich=munich, shirt=shirt)


@pytest.fixture
def placed(api_client, net):  # type: ignore[no-untyped-def]
    response = post_order(api_client, order_body())
    assert response.status_code == 201, response.content
    return response


# --- Intake and Idempotency-Key ---------------------------------------------------------


def test_create_answers_201_with_etag_and_location(api_client, net):  # type: ignore[no-untyped-def]
    response = post_order(api_client, order_body(total="39.98"))

    assert response.status_code == 201, response.content
    order = response.json()
    assert response["ETag"] == f'"{order["id"]}-1"'
    assert response["Location"] == f"/api/v1/orders/{order['id']}/"
    assert "Idempotent-Replayed" not in response
    assert (order["state"], order["version"], order["subtotal"], order["total"]) == (
        "routed",
        1,
        "39.98",
        "39.98",
    )
    assert order["customer"] == {
        "email": "erika@example.com",
        "name": "Erika Mustermann",
        "phone": "",
    }
    assert [(f["location"], f["state"]) for f in order["fulfilments"]] == [("wh-berlin", "created")]
    assert order["fulfilments"][0]["lines"] == [{"line_number": 1, "sku": "SHIRT", "quantity": 2}]
    assert level_of(net.berlin, net.shirt).reserved == 2
    record = IdempotencyRecord.objects.get()
    assert (record.key, record.completed, record.response_status) == ("key-1", True, 201)


@pytest.mark.parametrize("key", [None, "", "   "])
def test_missing_idempotency_key_is_refused(api_client, net, key):  # type: ignore[no-untyped-def]
    response = post_order(api_client, order_body(), key=key)

    assert_error(response, 400, "idempotency_key_missing")
    assert Order.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_overlong_idempotency_key_is_refused(api_client, net):  # type: ignore[no-untyped-def]
    assert_error(
        post_order(api_client, order_body(), key="k" * 256), 400, "idempotency_key_invalid"
    )
    assert Order.objects.count() == 0


def test_same_key_and_body_replays_the_first_response(api_client, net, placed):  # type: ignore[no-untyped-def]
    replay = post_order(api_client, order_body())

    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == placed.json()
    assert replay["ETag"] == placed["ETag"]
    assert Order.objects.count() == 1
    assert level_of(net.berlin, net.shirt).reserved == 2  # not reserved twice


def test_same_key_with_another_body_is_refused(api_client, net, placed):  # type: ignore[no-untyped-def]
    response = post_order(api_client, order_body(qty=3))

    assert_error(response, 422, "idempotency_key_reused")
    assert Order.objects.count() == 1
    assert level_of(net.berlin, net.shirt).reserved == 2


def test_same_key_while_the_first_request_runs_is_a_conflict(api_client, net, channel):  # type: ignore[no-untyped-def]
    body = order_body()
    IdempotencyRecord.objects.create(
        channel=channel, scope="order_create", key="key-1", request_hash=request_fingerprint(body)
    )

    assert_error(post_order(api_client, body), 409, "idempotency_in_progress")
    assert Order.objects.count() == 0


def test_keys_are_per_channel(api_client, net, placed):  # type: ignore[no-untyped-def]
    other = ChannelFactory()
    net.berlin.channels.add(other)
    client = api_client_for(raw_api_key(other, ["orders"]))

    response = post_order(client, order_body())

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert response.json()["id"] != placed.json()["id"]


def test_failed_request_frees_the_key(api_client, net):  # type: ignore[no-untyped-def]
    body = order_body(qty=25)

    refused = post_order(api_client, body)

    error = assert_error(refused, 409, "out_of_stock")
    assert error["details"] == {
        "lines": [{"line": 1, "sku": "SHIRT", "requested": 25, "missing": 5, "available": 20}]
    }
    assert IdempotencyRecord.objects.count() == 0
    assert (Order.objects.count(), Reservation.objects.count()) == (0, 0)

    stock(net.munich, net.shirt, 5)
    retried = post_order(api_client, body)
    assert retried.status_code == 201, retried.content
    assert "Idempotent-Replayed" not in retried
    assert sum(f["lines"][0]["quantity"] for f in retried.json()["fulfilments"]) == 25
    assert stock_ledger_mismatches() == []


def test_invalid_body_frees_the_key(api_client, net):  # type: ignore[no-untyped-def]
    assert_error(post_order(api_client, {"lines": []}), 400, "invalid_request")
    assert post_order(api_client, order_body()).status_code == 201


def test_totals_must_add_up(api_client, net):  # type: ignore[no-untyped-def]
    response = post_order(api_client, order_body(total="40.00", shipping_total="4.95"))

    error = assert_error(response, 400, "invalid_request")
    assert list(error["details"]) == ["total"]
    assert Order.objects.count() == 0
    ok = post_order(api_client, order_body(total="44.93", shipping_total="4.95"), key="key-2")
    assert ok.status_code == 201
    assert (ok.json()["shipping_total"], ok.json()["total"]) == ("4.95", "44.93")


def test_totals_too_large_to_store_are_a_400_not_a_500(api_client, net):  # type: ignore[no-untyped-def]
    # Regression: 100000 x 9,999,999,999.99 passed validation and overflowed NUMERIC(12, 2).
    body = order_body()
    body["lines"][0].update(quantity=100_000, unit_price="9999999999.99")

    error = assert_error(post_order(api_client, body), 400, "invalid_request")

    assert list(error["details"]) == ["total"]
    assert (Order.objects.count(), IdempotencyRecord.objects.count()) == (0, 0)


def test_unknown_sku_writes_nothing(api_client, net):  # type: ignore[no-untyped-def]
    body = order_body()
    body["lines"].append({"sku": "NOPE", "quantity": 1, "unit_price": "1.00"})

    error = assert_error(post_order(api_client, body), 422, "unknown_sku")

    assert error["details"] == {"skus": ["NOPE"]}
    assert (Order.objects.count(), OrderLine.objects.count(), OrderEvent.objects.count()) == (
        0,
        0,
        0,
    )
    assert Reservation.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_duplicate_reference_with_a_new_key_is_a_conflict(api_client, net, placed):  # type: ignore[no-untyped-def]
    error = assert_error(post_order(api_client, order_body(), key="key-2"), 409, "duplicate_order")

    assert error["details"] == {"external_reference": "WEB-1001"}
    assert Order.objects.count() == 1


def test_click_and_collect_validation(api_client, net):  # type: ignore[no-untyped-def]
    LocationFactory(code="store-nopickup", kind="store", channels=[net.channel])
    body = order_body(delivery_type="click_collect")
    del body["shipping_address"]

    missing = assert_error(post_order(api_client, body, key="a"), 400, "invalid_request")
    assert list(missing["details"]) == ["pickup_location"]
    body["pickup_location"] = "store-nopickup"
    assert_error(post_order(api_client, body, key="b"), 422, "pickup_location_invalid")
    no_address = order_body()
    del no_address["shipping_address"]
    assert_error(post_order(api_client, no_address, key="c"), 400, "invalid_request")
    assert Order.objects.count() == 0


def test_unicode_survives_the_round_trip(api_client, net):  # type: ignore[no-untyped-def]
    body = order_body(ref="Bestellung-ü-😀-測試")
    body["customer"]["name"] = "Zoë Ørsted 李"
    body["shipping_address"]["street"] = "Straße des 17. Juni 135 ✓"

    created = post_order(api_client, body, key="ключ-🔑")

    assert created.status_code == 201, created.content
    order = api_client.get(f"{ORDERS}{created.json()['id']}/").json()
    assert order["external_reference"] == "Bestellung-ü-😀-測試"
    assert order["customer"]["name"] == "Zoë Ørsted 李"
    assert order["shipping_address"]["street"] == "Straße des 17. Juni 135 ✓"
    assert post_order(api_client, body, key="ключ-🔑")["Idempotent-Replayed"] == "true"


# --- Reads and edits --------------------------------------------------------------------


def test_get_answers_with_the_etag(api_client, placed):  # type: ignore[no-untyped-def]
    order_id = placed.json()["id"]

    response = api_client.get(f"{ORDERS}{order_id}/")

    assert response.status_code == 200
    assert response["ETag"] == f'"{order_id}-1"'
    assert response.json() == placed.json()


def test_patch_needs_a_current_if_match(api_client, net, placed):  # type: ignore[no-untyped-def]
    order_id = placed.json()["id"]
    url = f"{ORDERS}{order_id}/"
    change = {"customer": {"name": "Erika Musterfrau"}}

    assert_error(api_client.patch(url, change, format="json"), 428, "precondition_required")
    for bad in ['"999999-1"', "garbage", f'"{order_id}-x"', "*"]:
        assert_error(
            api_client.patch(url, change, format="json", HTTP_IF_MATCH=bad),
            412,
            "precondition_failed",
        )
    ok = api_client.patch(url, change, format="json", HTTP_IF_MATCH=placed["ETag"])
    assert ok.status_code == 200, ok.content
    assert ok["ETag"] == f'"{order_id}-2"'
    assert (ok.json()["version"], ok.json()["customer"]["name"]) == (2, "Erika Musterfrau")

    stale = api_client.patch(
        url, {"customer": {"name": "Late"}}, format="json", HTTP_IF_MATCH=placed["ETag"]
    )
    error = assert_error(stale, 412, "precondition_failed")
    assert error["details"] == {"current_version": 2, "your_version": 1}
    weak = api_client.patch(
        url, {"customer": {"name": "Weak"}}, format="json", HTTP_IF_MATCH=f'W/"{order_id}-2"'
    )
    assert weak.status_code == 200
    assert api_client.get(url).json()["customer"]["name"] == "Weak"


def test_patch_is_all_or_nothing(api_client, net, placed):  # type: ignore[no-untyped-def]
    url = f"{ORDERS}{placed.json()['id']}/"
    change = {"customer": {"name": "Changed"}, "lines": [{"line_number": 1, "quantity": 500}]}

    error = assert_error(
        api_client.patch(url, change, format="json", HTTP_IF_MATCH=placed["ETag"]),
        409,
        "out_of_stock",
    )

    assert error["details"] == {"lines": [{"line": 1, "sku": "SHIRT", "missing": 498}]}
    order = api_client.get(url).json()
    assert (order["version"], order["customer"]["name"]) == (1, "Erika Mustermann")
    assert level_of(net.berlin, net.shirt).reserved == 2


def test_patch_quantity_and_address(api_client, net, placed):  # type: ignore[no-untyped-def]
    url = f"{ORDERS}{placed.json()['id']}/"
    change = {"shipping_address": dict(MUNICH), "lines": [{"line_number": 1, "quantity": 5}]}

    response = api_client.patch(url, change, format="json", HTTP_IF_MATCH=placed["ETag"])

    assert response.status_code == 200, response.content
    order = response.json()
    assert order["version"] == 2  # one PATCH, one version
    assert order["shipping_address"]["city"] == "München"
    assert order["lines"][0]["quantity"] == 5
    assert level_of(net.berlin, net.shirt).reserved + level_of(net.munich, net.shirt).reserved == 5
    assert_error(
        api_client.patch(
            url,
            {"lines": [{"line_number": 7, "quantity": 1}]},
            format="json",
            HTTP_IF_MATCH=response["ETag"],
        ),
        404,
        "order_line_not_found",
    )


def test_cancel_and_line_cancel(api_client, net):  # type: ignore[no-untyped-def]
    body = order_body()
    body["lines"].append({"sku": "SHIRT", "quantity": 1, "unit_price": "5.00"})
    created = post_order(api_client, body)
    order_id = created.json()["id"]
    url = f"{ORDERS}{order_id}/"

    assert_error(
        api_client.post(f"{url}lines/2/cancel/", {}, format="json"), 428, "precondition_required"
    )
    line = api_client.post(
        f"{url}lines/2/cancel/",
        {"reason": "customer"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    assert line.status_code == 200, line.content
    assert [ln["open_quantity"] for ln in line.json()["lines"]] == [2, 0]
    assert (created.json()["total"], line.json()["total"]) == ("44.98", "39.98")
    assert level_of(net.berlin, net.shirt).reserved == 2
    assert_error(
        api_client.post(f"{url}lines/9/cancel/", {}, format="json", HTTP_IF_MATCH=line["ETag"]),
        404,
        "order_line_not_found",
    )

    cancelled = api_client.post(
        f"{url}cancel/", {"reason": "fraud"}, format="json", HTTP_IF_MATCH=line["ETag"]
    )
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["state"] == "cancelled"
    assert level_of(net.berlin, net.shirt).reserved == 0
    again = api_client.post(f"{url}cancel/", {}, format="json", HTTP_IF_MATCH=cancelled["ETag"])
    assert_error(again, 409, "order_closed")
    patch = api_client.patch(
        url, {"customer": {"name": "X"}}, format="json", HTTP_IF_MATCH=cancelled["ETag"]
    )
    assert_error(patch, 409, "order_closed")
    events = api_client.get(f"{url}events/").json()["results"]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events][-4:] == [
        "line_cancelled",
        "totals_changed",
        "order_cancelled",
        "totals_changed",
    ]
    assert (cancelled.json()["subtotal"], cancelled.json()["total"]) == ("0.00", "0.00")
    assert stock_ledger_mismatches() == []


def test_cancel_after_shipping_is_refused(api_client, net, placed):  # type: ignore[no-untyped-def]
    fulfilment = placed.json()["fulfilments"][0]["id"]
    for action in ("accept", "pack"):
        assert api_client.post(f"/api/v1/fulfilments/{fulfilment}/{action}/").status_code == 200
    shipped = api_client.post(
        f"/api/v1/fulfilments/{fulfilment}/ship/",
        {"carrier": "DHL", "tracking_number": "1"},
        format="json",
    )
    assert shipped.status_code == 200
    order_url = f"{ORDERS}{placed.json()['id']}/"
    etag = api_client.get(order_url)["ETag"]

    # Shipping completed the order: closed beats already_shipped here.
    assert_error(
        api_client.post(f"{order_url}cancel/", {}, format="json", HTTP_IF_MATCH=etag),
        409,
        "order_closed",
    )


# --- Channel isolation --------------------------------------------------------------------


def test_another_channels_order_is_not_found(api_client, net, placed):  # type: ignore[no-untyped-def]
    other = ChannelFactory()
    net.berlin.channels.add(other)
    theirs = post_order(api_client_for(raw_api_key(other, ["orders"])), order_body(ref="B-1"))
    assert theirs.status_code == 201
    their_id, their_etag = theirs.json()["id"], theirs["ETag"]
    url = f"{ORDERS}{their_id}/"

    assert_error(api_client.get(url), 404, "order_not_found")
    assert_error(
        api_client.patch(url, {"customer": {"name": "X"}}, format="json", HTTP_IF_MATCH=their_etag),
        404,
        "order_not_found",
    )
    assert_error(
        api_client.patch(url, {"customer": {"name": "X"}}, format="json"), 404, "order_not_found"
    )
    assert_error(
        api_client.post(f"{url}cancel/", {}, format="json", HTTP_IF_MATCH=their_etag),
        404,
        "order_not_found",
    )
    assert_error(
        api_client.post(f"{url}lines/1/cancel/", {}, format="json", HTTP_IF_MATCH=their_etag),
        404,
        "order_not_found",
    )
    assert_error(api_client.get(f"{url}events/"), 404, "order_not_found")
    listed = api_client.get(ORDERS).json()
    assert [o["id"] for o in listed["results"]] == [placed.json()["id"]]
    assert api_client.get(ORDERS, {"external_reference": "B-1"}).json()["count"] == 0
    assert Order.objects.get(pk=their_id).state == "routed"
    assert Order.objects.get(pk=their_id).version == 1


def test_authentication_and_scopes(api_client, net, placed):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    assert_error(APIClient().get(ORDERS), 401, "not_authenticated")
    assert_error(api_client_for("oms_nope_secret").get(ORDERS), 401, "authentication_failed")
    stock_only = api_client_for(raw_api_key(net.channel, ["stock_write"]))
    assert_error(stock_only.get(ORDERS), 403, "permission_denied")
    assert_error(post_order(stock_only, order_body(ref="X")), 403, "permission_denied")
    assert Order.objects.count() == 1


# --- Lists: filters and pagination ------------------------------------------------------


def test_list_filters(api_client, net):  # type: ignore[no-untyped-def]
    to_berlin = post_order(api_client, order_body(ref="F-1"), key="1").json()
    to_munich = post_order(
        api_client, order_body(ref="F-2", shipping_address=dict(MUNICH)), key="2"
    ).json()
    waiting_channel_order = post_order(api_client, order_body(ref="F-3", qty=100), key="3")
    assert waiting_channel_order.status_code == 409
    net.channel.unroutable_policy = "wait"
    net.channel.save()
    waiting = post_order(api_client, order_body(ref="F-3", qty=100), key="4").json()
    assert waiting["state"] == "waiting"
    Order.objects.filter(pk=to_berlin["id"]).update(placed_at=timezone.now() - timedelta(days=3))

    def ids(**params):  # type: ignore[no-untyped-def]
        response = api_client.get(ORDERS, params)
        assert response.status_code == 200, response.content
        return sorted(o["id"] for o in response.json()["results"])

    assert ids() == sorted([to_berlin["id"], to_munich["id"], waiting["id"]])
    assert ids(state="waiting") == [waiting["id"]]
    assert ids(state=["waiting", "routed"]) == ids()
    assert ids(external_reference="F-2") == [to_munich["id"]]
    assert ids(location="wh-munich") == [to_munich["id"]]
    assert ids(location="wh-berlin") == [to_berlin["id"]]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(placed_after=since) == sorted([to_munich["id"], waiting["id"]])
    assert ids(placed_before=since) == [to_berlin["id"]]
    assert ids(placed_after=since, state="routed") == [to_munich["id"]]
    assert ids(customer_email="ERIKA@example.com") == ids()
    assert_error(api_client.get(ORDERS, {"state": "lost"}), 400, "invalid_request")
    assert_error(api_client.get(ORDERS, {"placed_after": "yesterday"}), 400, "invalid_request")


def test_page_size_is_capped_at_200(api_client, net, channel):  # type: ignore[no-untyped-def]
    Order.objects.bulk_create(
        [
            Order(
                channel=channel,
                external_reference=f"BULK-{i}",
                shipping_country="DE",
                currency="EUR",
            )
            for i in range(205)
        ]
    )

    default = api_client.get(ORDERS).json()
    capped = api_client.get(ORDERS, {"page_size": 1000}).json()
    last = api_client.get(ORDERS, {"page_size": 200, "page": 2}).json()

    assert (default["count"], len(default["results"])) == (205, 50)
    assert (capped["count"], len(capped["results"])) == (205, 200)
    assert capped["next"] is not None
    assert len(last["results"]) == 5
    past_the_end = api_client.get(ORDERS, {"page": 99})
    assert past_the_end.status_code == 200
    assert past_the_end.json()["results"] == []


# --- No 500 on odd input ----------------------------------------------------------------

BAD_ORDER_BODIES: list = [
    None,
    [],
    "text",
    42,
    True,
    {},
    {"lines": []},
    {"lines": None},
    {"lines": "SHIRT"},
    {"lines": [None]},
    {"lines": [[]]},
    {"lines": [{}]},
    {"external_reference": None},
    {"external_reference": ["x"]},
    {"external_reference": "x" * 1000},
    {"currency": "euro"},
    {"currency": 978},
    {"shipping_address": None},
    {"shipping_address": "Berlin"},
    {"shipping_address": {"country": "Germany"}},
    {"shipping_address": {"country": "DE", "latitude": 91}},
    {"shipping_address": {"country": "DE", "latitude": "NaN"}},
    {"shipping_address": {"country": "DE", "longitude": "-Infinity"}},
    {"shipping_address": {"country": "DE", "latitude": 10**400}},
    {"shipping_address": {"country": "DE", "street": "a\u0000b"}},
    {"lines": [{"sku": "SHIRT", "quantity": -1, "unit_price": "1"}]},
    {"lines": [{"sku": "SHIRT", "quantity": 0, "unit_price": "1"}]},
    {"lines": [{"sku": "SHIRT", "quantity": 1.5, "unit_price": "1"}]},
    {"lines": [{"sku": "SHIRT", "quantity": "two", "unit_price": "1"}]},
    {"lines": [{"sku": "SHIRT", "quantity": 10**30, "unit_price": "1"}]},
    {"lines": [{"sku": "SHIRT", "quantity": 2**63, "unit_price": "1"}]},
    {"lines": [{"sku": "SHIRT", "quantity": 1, "unit_price": "-1"}]},
    {"lines": [{"sku": "SHIRT", "quantity": 1, "unit_price": "NaN"}]},
    {"lines": [{"sku": "SHIRT", "quantity": 1, "unit_price": "1e400"}]},
    {"lines": [{"sku": "SHIRT", "quantity": 1, "unit_price": 1e308}]},
    {"lines": [{"sku": "SHIRT", "quantity": 1, "unit_price": "0.001"}]},
    {"lines": [{"sku": "SHIRT", "quantity": 100000, "unit_price": "9999999999.99"}]},
    {"lines": [{"sku": "", "quantity": 1, "unit_price": "1"}]},
    {"lines": [{"sku": "S" * 500, "quantity": 1, "unit_price": "1"}]},
    {"lines": [{"sku": "😀", "quantity": 1, "unit_price": "1"}]},
    {"lines": [{"sku": "SHIRT", "quantity": 1, "unit_price": "1"}] * 101},
    {"shipping_total": "-5"},
    {"shipping_total": "Infinity"},
    {"total": "1e999"},
    {"total": None},
    {"priority": 10**20},
    {"priority": "high"},
    {"payment_status": "stolen"},
    {"delivery_type": "teleport"},
    {"delivery_type": "click_collect", "pickup_location": None},
    {"delivery_type": "click_collect", "pickup_location": "x" * 60},
    {"delivery_type": "click_collect", "pickup_location": "wh-berlin"},
    {"hold": "no-such-hold"},
    {"hold": 123},
    {"customer": {"email": "not-an-email"}},
    {"customer": []},
]


def _merged(extra) -> object:  # type: ignore[no-untyped-def]
    if not isinstance(extra, dict) or not extra:
        return extra
    body = order_body(ref="FUZZ")
    body.update(extra)
    return body


def test_no_500_on_odd_order_bodies(api_client, net):  # type: ignore[no-untyped-def]
    api_client.raise_request_exception = False
    for index, extra in enumerate(BAD_ORDER_BODIES):
        response = api_client.post(
            ORDERS,
            json.dumps(_merged(extra)),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"fuzz-{index}",
        )
        assert response.status_code < 500, (extra, response.status_code)
        assert 400 <= response.status_code < 500, (extra, response.content)
        assert set(response.json()) == {"code", "message", "details"}, extra
    for raw, content_type in [
        ("{not json", "application/json"),
        ("", "application/json"),
        ("<order/>", "application/xml"),
        ("external_reference=x", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00", "application/json"),
    ]:
        response = api_client.post(
            ORDERS, raw, content_type=content_type, HTTP_IDEMPOTENCY_KEY="raw"
        )
        assert 400 <= response.status_code < 500, (raw, response.content)
        assert set(response.json()) == {"code", "message", "details"}
    assert Order.objects.count() == 0
    assert stock_ledger_mismatches() == []


BAD_PATCH_BODIES: list = [
    None,
    [],
    "x",
    {},
    {"unknown": 1},
    {"lines": None},
    {"lines": [{"line_number": 0, "quantity": 1}]},
    {"lines": [{"line_number": 1, "quantity": -1}]},
    {"lines": [{"line_number": 1, "quantity": 10**30}]},
    {"lines": [{"line_number": 40000, "quantity": 1}]},
    {"lines": [{"line_number": 10**20, "quantity": 1}]},
    {"lines": [{"line_number": 1, "quantity": 100000}]},
    {"lines": [{"line_number": "one", "quantity": 1}]},
    {"delivery": None},
    {"delivery": "ship"},
    {"delivery": {"delivery_type": "click_collect"}},
    {"delivery": {"delivery_type": "click_collect", "pickup_location": "nowhere"}},
    {"delivery": {"delivery_type": "hovercraft"}},
    {"shipping_address": {"country": "ZZ"}},
    {"shipping_address": {"country": "DE", "latitude": "NaN"}},
    {"shipping_address": {"latitude": 1}},
    {"billing_address": []},
    {"customer": {"email": 5}},
    {"customer": {"phone": "9" * 500}},
]


def test_no_500_on_odd_patch_and_cancel_bodies(api_client, net, placed):  # type: ignore[no-untyped-def]
    api_client.raise_request_exception = False
    order_id = placed.json()["id"]
    url = f"{ORDERS}{order_id}/"
    for body in BAD_PATCH_BODIES:
        response = api_client.patch(
            url, json.dumps(body), content_type="application/json", HTTP_IF_MATCH=placed["ETag"]
        )
        assert 400 <= response.status_code < 500, (body, response.status_code, response.content)
        assert set(response.json()) == {"code", "message", "details"}
    line_bodies = [None, [], "x", {"quantity": -1}, {"quantity": 10**30}, {"reason": ["x"]}]
    cancel_bodies = [None, [], "x", 7, {"reason": ["x"]}, {"reason": "x" * 201}]
    for path, bodies in (
        ("lines/1/cancel/", line_bodies),
        ("lines/0/cancel/", line_bodies),
        ("lines/99999/cancel/", line_bodies),
        ("cancel/", cancel_bodies),
    ):
        for body in bodies:
            response = api_client.post(
                url + path,
                json.dumps(body),
                content_type="application/json",
                HTTP_IF_MATCH=placed["ETag"],
            )
            assert 400 <= response.status_code < 500, (path, body, response.content)
            assert set(response.json()) == {"code", "message", "details"}
    for bogus in ("0", "99999999999999999999999", "-1", "abc", "1.5", "%00"):
        response = api_client.get(f"{ORDERS}{bogus}/")
        assert response.status_code == 404, (bogus, response.status_code)
    for params in (
        {"page": "abc"},
        {"page_size": "-5"},
        {"page_size": "10**9"},
        {"placed_after": "2024-13-45"},
        {"state": "😀"},
        {"delivery_type": "x"},
        {"location": "\u0000"},
    ):
        response = api_client.get(ORDERS, params)
        assert response.status_code < 500, (params, response.status_code)
    order = api_client.get(url).json()
    assert (order["version"], order["state"]) == (1, "routed")
    assert level_of(net.berlin, net.shirt).reserved == 2
    assert stock_ledger_mismatches() == []


def test_checkout_hold_through_the_api(api_client, net, channel):  # type: ignore[no-untyped-def]
    hold_body = {"lines": [{"sku": "SHIRT", "quantity": 2}], "destination": dict(BERLIN)}

    created = api_client.post("/api/v1/holds/", hold_body, format="json", HTTP_IDEMPOTENCY_KEY="h1")
    assert created.status_code == 201, created.content
    token = created.json()["token"]
    replay = api_client.post("/api/v1/holds/", hold_body, format="json", HTTP_IDEMPOTENCY_KEY="h1")
    assert (replay["Idempotent-Replayed"], replay.json()["token"]) == ("true", token)
    assert level_of(net.berlin, net.shirt).reserved == 2
    assert api_client.get(f"/api/v1/holds/{token}/").json()["status"] == "active"
    other = api_client_for(raw_api_key(ChannelFactory(), ["orders"]))
    assert_error(other.get(f"/api/v1/holds/{token}/"), 404, "hold_not_found")
    assert_error(other.delete(f"/api/v1/holds/{token}/"), 404, "hold_not_found")

    order = post_order(api_client, order_body(hold=token))
    assert order.status_code == 201, order.content
    assert level_of(net.berlin, net.shirt).reserved == 2
    assert api_client.get(f"/api/v1/holds/{token}/").json()["status"] == "consumed"
    assert_error(api_client.delete(f"/api/v1/holds/{token}/"), 409, "hold_not_active")
    reuse = post_order(api_client, order_body(ref="WEB-2", hold=token), key="key-2")
    assert_error(reuse, 409, "hold_not_active")
    assert stock_ledger_mismatches() == []


def test_nul_bytes_in_keys_and_paths_are_a_4xx_not_a_500(api_client, net):  # type: ignore[no-untyped-def]
    # Regression: PostgreSQL cannot store or compare text with NUL bytes; both reached it.
    api_client.raise_request_exception = False

    error = assert_error(
        post_order(api_client, order_body(), key="a\x00b"), 400, "idempotency_key_invalid"
    )

    assert error["details"] == {}
    assert Order.objects.count() == 0
    assert_error(api_client.get("/api/v1/holds/a%00b/"), 404, "hold_not_found")
    assert_error(api_client.delete("/api/v1/holds/a%00b/"), 404, "hold_not_found")
    assert_error(api_client.get("/api/v1/holds/" + "x" * 300 + "/"), 404, "hold_not_found")


def test_abandoned_idempotency_claim_can_be_taken_over(api_client, channel, net):  # type: ignore[no-untyped-def]
    """A claim without a stored response (its process died before committing) is retried
    once it is older than ABANDONED_AFTER; a fresh one still answers in-progress."""
    from datetime import timedelta

    from django.utils import timezone

    from orders.idempotency import ABANDONED_AFTER, request_fingerprint
    from orders.models import IdempotencyRecord, Order

    body = order_body()
    record = IdempotencyRecord.objects.create(
        channel=channel, scope="order_create", key="crashed", request_hash=request_fingerprint(body)
    )
    assert_error(post_order(api_client, body, key="crashed"), 409, "idempotency_in_progress")
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - ABANDONED_AFTER - timedelta(seconds=1)
    )
    response = post_order(api_client, body, key="crashed")
    assert response.status_code == 201
    assert Order.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="crashed").completed


def test_created_response_equals_a_later_read(api_client, net):  # type: ignore[no-untyped-def]
    """The 201 body is built from what intake holds in memory; it must match a fresh read."""
    body = order_body(qty=7)  # more than one location holds: a split
    created = post_order(api_client, body)
    assert created.status_code == 201, created.content
    read = api_client.get(f"{ORDERS}{created.json()['id']}/")
    assert created.json() == read.json()
    assert created["ETag"] == read["ETag"]


def test_patch_lowering_one_line_and_raising_another(api_client, net):  # type: ignore[no-untyped-def]
    """Several stock-touching changes in one PATCH lock their levels up front, then apply
    in order; stock follows exactly."""
    body = order_body(qty=3)
    body["lines"].append({"sku": "SHIRT", "quantity": 2, "unit_price": "5.00"})
    placed = post_order(api_client, body)
    assert placed.status_code == 201, placed.content
    url = f"{ORDERS}{placed.json()['id']}/"
    change = {"lines": [{"line_number": 1, "quantity": 1}, {"line_number": 2, "quantity": 6}]}

    response = api_client.patch(url, change, format="json", HTTP_IF_MATCH=placed["ETag"])

    assert response.status_code == 200, response.content
    assert [ln["open_quantity"] for ln in response.json()["lines"]] == [1, 6]
    held = level_of(net.berlin, net.shirt).reserved + level_of(net.munich, net.shirt).reserved
    assert held == 7
    assert stock_ledger_mismatches() == []
