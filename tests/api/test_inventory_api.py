"""Inventory API: authentication, channel scoping, scopes, error bodies, feeds, the schema."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.models import InboundStock, StockLevel, StockMovement
from inventory.selectors import stock_ledger_mismatches
from inventory.services import ReservationRequest, stock_reserve
from oms.models import ApiKey, hash_api_key
from oms.services import api_key_create
from tests.factories import (
    ChannelFactory,
    InboundStockFactory,
    LocationFactory,
    ProductFactory,
    stock,
)

# sqlite_twin: also run on SQLite, the ORM twins of the hand-written SQL (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]

REPO = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
FEED = "/api/v1/stock/updates/"
IN_TWO_MONTHS = (timezone.localdate() + dt.timedelta(days=60)).isoformat()


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    """Every error answers with exactly {code, message, details}; we pin the code, not the text."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def client_for(raw_key: str | None) -> APIClient:
    client = APIClient()
    if raw_key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


@pytest.fixture
def world(channel):  # type: ignore[no-untyped-def]
    """Channel A (the `channel` fixture) and channel B, each with a location, stock, inbound."""
    other = ChannelFactory(code="market-b")
    product = ProductFactory(sku="SKU-1")
    loc_a = LocationFactory(code="wh-a", channels=[channel])
    loc_b = LocationFactory(code="wh-b", channels=[other])
    level_a = stock(loc_a, product, on_hand=10, safety_stock=2)
    level_b = stock(loc_b, product, on_hand=40)
    inbound_a = InboundStockFactory(
        location=loc_a, product=product, reference="PO-A", expected_date=dt.date(2030, 1, 2)
    )
    inbound_b = InboundStockFactory(location=loc_b, product=product, reference="PO-B")
    return {
        "other": other,
        "product": product,
        "loc_a": loc_a,
        "loc_b": loc_b,
        "level_a": level_a,
        "level_b": level_b,
        "inbound_a": inbound_a,
        "inbound_b": inbound_b,
    }


# --- Authentication --------------------------------------------------------------------------


def test_no_key_is_401_not_authenticated(db):
    response = client_for(None).get("/api/v1/locations/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Api-Key"


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key oms_deadbeef_notarealsecret",
        "Api-Key garbage",
        "Api-Key ",
        "Bearer something",
    ],
)
def test_bad_key_is_401_authentication_failed(api_key, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(client.get("/api/v1/locations/"), 401, "authentication_failed")


def test_right_prefix_wrong_secret_is_401(api_key):
    tampered = api_key[:-4] + ("AAAA" if not api_key.endswith("AAAA") else "BBBB")
    assert_error(client_for(tampered).get("/api/v1/locations/"), 401, "authentication_failed")


def test_revoked_key_is_401(api_key, api_client):
    assert api_client.get("/api/v1/locations/").status_code == 200
    ApiKey.objects.get().revoke()

    assert_error(api_client.get("/api/v1/locations/"), 401, "authentication_failed")


def test_key_of_an_inactive_channel_is_401(channel, api_client):
    channel.active = False
    channel.save()

    assert_error(api_client.get("/api/v1/locations/"), 401, "authentication_failed")


def test_key_is_stored_hashed_never_raw(api_key):
    key = ApiKey.objects.get()
    assert key.key_hash == hash_api_key(api_key)
    assert key.key_hash != api_key
    secret = api_key.split("_", 2)[2]
    stored = [str(v) for v in ApiKey.objects.values().get().values()]
    assert not any(secret in value for value in stored)
    assert not any(api_key in value for value in stored)


def test_successful_request_records_last_use(api_key, api_client):
    assert ApiKey.objects.get().last_used_at is None
    api_client.get("/api/v1/locations/")
    assert ApiKey.objects.get().last_used_at is not None


# --- Channel scoping -------------------------------------------------------------------------


def test_location_list_shows_only_own_active_locations(world, channel, api_client):
    LocationFactory(code="wh-a2", channels=[channel, world["other"]])
    LocationFactory(code="wh-a-closed", channels=[channel], active=False)

    response = api_client.get("/api/v1/locations/")

    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["wh-a", "wh-a2"]


def test_availability_shows_only_own_channel(world, api_client):
    response = api_client.get("/api/v1/availability/", {"skus": "SKU-1"})

    assert response.status_code == 200
    (row,) = response.json()
    assert [loc["location"] for loc in row["locations"]] == ["wh-a"]
    assert row["available"] == 8
    assert [i["quantity"] for i in row["inbound"]] == [10]


def test_inbound_list_shows_only_own_channel(world, api_client):
    response = api_client.get("/api/v1/inbound/")

    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == ["PO-A"]


def test_receiving_another_channels_inbound_is_404(world, api_client):
    inbound_b = world["inbound_b"]

    response = api_client.post(
        f"/api/v1/inbound/{inbound_b.pk}/receive/", {"quantity": 1}, format="json"
    )

    assert_error(response, 404, "not_found")
    inbound_b.refresh_from_db()
    assert inbound_b.quantity_received == 0
    world["level_b"].refresh_from_db()
    assert world["level_b"].on_hand == 40


def test_receiving_a_missing_inbound_is_404(db, api_client):
    assert_error(
        api_client.post("/api/v1/inbound/999999/receive/", {"quantity": 1}, format="json"),
        404,
        "not_found",
    )


def test_feed_row_for_another_channels_location_is_rejected_as_unknown(world, api_client):
    response = api_client.post(
        FEED,
        {
            "updates": [
                {"location": "wh-a", "sku": "SKU-1", "delta": 1},
                {"location": "wh-b", "sku": "SKU-1", "delta": -40},
            ]
        },
        format="json",
    )

    body = assert_error(response, 422, "stock_update_rejected")
    assert [(e["row"], e["code"]) for e in body["details"]["errors"]] == [(2, "location_not_found")]
    for level, on_hand in ((world["level_a"], 10), (world["level_b"], 40)):
        level.refresh_from_db()
        assert level.on_hand == on_hand


def test_announcing_inbound_at_another_channels_location_is_404(world, api_client):
    response = api_client.post(
        "/api/v1/inbound/",
        {
            "location": "wh-b",
            "sku": "SKU-1",
            "reference": "PO-X",
            "expected_date": "2030-01-01",
            "quantity": 5,
        },
        format="json",
    )

    assert_error(response, 404, "location_not_found")
    assert not InboundStock.objects.filter(reference="PO-X").exists()


# --- Scopes ----------------------------------------------------------------------------------


@pytest.fixture
def orders_only_client(channel):  # type: ignore[no-untyped-def]
    _, raw = api_key_create(channel=channel, name="orders only", scopes=["orders"])
    return client_for(raw)


def test_feed_needs_the_stock_write_scope(world, orders_only_client):
    response = orders_only_client.post(
        FEED, {"updates": [{"location": "wh-a", "sku": "SKU-1", "delta": 1}]}, format="json"
    )

    assert_error(response, 403, "permission_denied")
    world["level_a"].refresh_from_db()
    assert world["level_a"].on_hand == 10


def test_inbound_writes_need_the_stock_write_scope(world, orders_only_client):
    create = orders_only_client.post(
        "/api/v1/inbound/",
        {
            "location": "wh-a",
            "sku": "SKU-1",
            "reference": "PO-X",
            "expected_date": "2030-01-01",
            "quantity": 5,
        },
        format="json",
    )
    receive = orders_only_client.post(
        f"/api/v1/inbound/{world['inbound_a'].pk}/receive/", {"quantity": 1}, format="json"
    )

    assert_error(create, 403, "permission_denied")
    assert_error(receive, 403, "permission_denied")
    world["inbound_a"].refresh_from_db()
    assert world["inbound_a"].quantity_received == 0


def test_reads_need_no_special_scope(world, orders_only_client):
    assert orders_only_client.get("/api/v1/availability/", {"skus": "SKU-1"}).status_code == 200
    assert orders_only_client.get("/api/v1/inbound/").status_code == 200
    assert orders_only_client.get("/api/v1/locations/").status_code == 200


# --- Availability ----------------------------------------------------------------------------


def test_availability_returns_per_location_and_inbound_figures(world, channel, api_client):
    product = world["product"]
    store = LocationFactory(code="store-a", channels=[channel])
    stock(store, product, on_hand=5)
    stock_reserve(requests=[ReservationRequest(store.pk, product.pk, 4, "line:1")], actor="test")
    InboundStockFactory(
        location=store,
        product=product,
        expected_date=dt.date(2030, 1, 1),
        quantity_expected=7,
        quantity_received=2,
    )

    response = api_client.get("/api/v1/availability/", {"skus": "SKU-1,UNKNOWN"})

    assert response.status_code == 200
    assert response.json() == [
        {
            "sku": "SKU-1",
            "known": True,
            "available": 8 + 1,
            "inbound_total": 5 + 10,
            "preorder_available": 0,  # the channel does not sell inbound stock
            "locations": [
                {
                    "location": "store-a",
                    "on_hand": 5,
                    "reserved": 4,
                    "safety_stock": 0,
                    "available": 1,
                },
                {
                    "location": "wh-a",
                    "on_hand": 10,
                    "reserved": 0,
                    "safety_stock": 2,
                    "available": 8,
                },
            ],
            "inbound": [
                {
                    "location": "store-a",
                    "expected_date": "2030-01-01",
                    "quantity": 5,
                    "reserved": 0,
                    "sellable": 0,
                },
                {
                    "location": "wh-a",
                    "expected_date": "2030-01-02",
                    "quantity": 10,
                    "reserved": 0,
                    "sellable": 0,
                },
            ],
        },
        {
            "sku": "UNKNOWN",
            "known": False,
            "available": 0,
            "inbound_total": 0,
            "preorder_available": 0,
            "locations": [],
            "inbound": [],
        },
    ]


def test_availability_without_inbound(world, api_client):
    response = api_client.get(
        "/api/v1/availability/", {"skus": "SKU-1", "include_inbound": "false"}
    )

    assert response.status_code == 200
    assert response.json()[0]["inbound"] == []
    assert response.json()[0]["available"] == 8


@pytest.mark.parametrize(
    "query", [{}, {"skus": ""}, {"skus": " , ,"}, {"skus": "A", "include_inbound": "maybe"}]
)
def test_availability_query_errors_are_invalid_request(db, api_client, query):
    assert_error(api_client.get("/api/v1/availability/", query), 400, "invalid_request")


def test_availability_caps_the_sku_count(db, api_client):
    skus = ",".join(f"S{i}" for i in range(501))
    body = assert_error(
        api_client.get("/api/v1/availability/", {"skus": skus}), 400, "invalid_request"
    )
    assert "skus" in body["details"]


# --- Malformed and invalid input -------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["feed", "inbound", "receive"])
def test_malformed_json_is_400_malformed_request(world, api_client, endpoint):
    path = {
        "feed": FEED,
        "inbound": "/api/v1/inbound/",
        "receive": f"/api/v1/inbound/{world['inbound_a'].pk}/receive/",
    }[endpoint]
    response = api_client.post(path, data='{"updates": [', content_type="application/json")
    assert_error(response, 400, "malformed_request")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"updates": []},
        {"updates": "nope"},
        {"updates": [{"location": "wh-a", "sku": "SKU-1"}]},
        {"updates": [{"location": "wh-a", "sku": "SKU-1", "on_hand": 5}]},
        {
            "updates": [
                {
                    "location": "wh-a",
                    "sku": "SKU-1",
                    "on_hand": 5,
                    "delta": 1,
                    "counted_at": "2025-01-01T00:00:00Z",
                }
            ]
        },
        {
            "updates": [
                {
                    "location": "wh-a",
                    "sku": "SKU-1",
                    "on_hand": -1,
                    "counted_at": "2025-01-01T00:00:00Z",
                }
            ]
        },
        {"updates": [{"location": "wh-a", "sku": "SKU-1", "delta": 0}]},
        {"updates": [{"location": "wh-a", "sku": "SKU-1", "delta": "many"}]},
        {
            "updates": [
                {"location": "wh-a", "sku": "SKU-1", "on_hand": 1, "counted_at": "yesterday"}
            ]
        },
    ],
)
def test_invalid_feed_is_400_invalid_request_and_applies_nothing(world, api_client, payload):
    movements = StockMovement.objects.count()

    body = assert_error(api_client.post(FEED, payload, format="json"), 400, "invalid_request")

    assert body["details"]
    assert StockMovement.objects.count() == movements


@pytest.mark.parametrize(
    "row",
    [
        {"on_hand": 2**31, "counted_at": "2025-03-01T08:00:00Z"},
        {"delta": 2**31},
        {"delta": -(2**31)},
        {"safety_stock": 2**31},
    ],
)
def test_quantities_beyond_the_database_range_are_400_not_500(world, api_client, row):
    response = api_client.post(
        FEED, {"updates": [{"location": "wh-a", "sku": "SKU-1", **row}]}, format="json"
    )

    assert_error(response, 400, "invalid_request")
    world["level_a"].refresh_from_db()
    assert world["level_a"].on_hand == 10


def test_a_delta_overflowing_the_level_is_422_not_500(world, api_client):
    big = {"location": "wh-a", "sku": "SKU-1", "delta": 600_000_000}

    response = api_client.post(FEED, {"updates": [big, big]}, format="json")

    body = assert_error(response, 422, "stock_update_rejected")
    assert [(e["row"], e["code"]) for e in body["details"]["errors"]] == [
        (2, "quantity_out_of_range")
    ]


def test_invalid_receive_is_400(world, api_client):
    url = f"/api/v1/inbound/{world['inbound_a'].pk}/receive/"
    assert_error(api_client.post(url, {"quantity": 0}, format="json"), 400, "invalid_request")
    assert_error(api_client.post(url, {}, format="json"), 400, "invalid_request")


def test_wrong_method_is_405_with_the_error_body(db, api_client):
    assert_error(api_client.delete("/api/v1/locations/"), 405, "method_not_allowed")


# --- Inbound over the API --------------------------------------------------------------------


def test_announce_and_receive_inbound(world, api_client):
    created = api_client.post(
        "/api/v1/inbound/",
        {
            "location": "wh-a",
            "sku": "SKU-1",
            "reference": "PO-9",
            "expected_date": IN_TWO_MONTHS,
            "quantity": 6,
            "kind": "transfer",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    inbound = created.json()
    assert {k: inbound[k] for k in ("location", "sku", "kind", "reference", "status")} == {
        "location": "wh-a",
        "sku": "SKU-1",
        "kind": "transfer",
        "reference": "PO-9",
        "status": "open",
    }
    assert (inbound["quantity_expected"], inbound["quantity_outstanding"]) == (6, 6)
    url = f"/api/v1/inbound/{inbound['id']}/receive/"

    partial = api_client.post(url, {"quantity": 4}, format="json")
    assert partial.status_code == 200
    assert (partial.json()["quantity_received"], partial.json()["status"]) == (4, "open")

    assert_error(api_client.post(url, {"quantity": 3}, format="json"), 422, "over_receipt")

    full = api_client.post(url, {"quantity": 2}, format="json")
    assert (full.json()["quantity_received"], full.json()["status"]) == (6, "received")

    assert_error(api_client.post(url, {"quantity": 1}, format="json"), 409, "inbound_not_open")
    world["level_a"].refresh_from_db()
    assert world["level_a"].on_hand == 16
    movement = StockMovement.objects.filter(kind=StockMovement.Kind.RECEIPT).first()
    assert movement.actor.startswith("api-key:")
    assert stock_ledger_mismatches() == []


def test_duplicate_inbound_reference_is_409(world, api_client):
    payload = {
        "location": "wh-a",
        "sku": "SKU-1",
        "reference": "PO-A",
        "expected_date": IN_TWO_MONTHS,
        "quantity": 6,
    }
    assert_error(
        api_client.post("/api/v1/inbound/", payload, format="json"), 409, "inbound_duplicate"
    )


def _inbound_payload(**changes: object) -> dict[str, object]:
    return {
        "location": "wh-a",
        "sku": "SKU-1",
        "reference": "PO-NEW",
        "expected_date": IN_TWO_MONTHS,
        "quantity": 6,
        **changes,
    }


@pytest.mark.parametrize(
    "expected_date",
    [
        "0001-01-01",
        "2754-01-01",
        (timezone.localdate() - dt.timedelta(days=15)).isoformat(),
        (timezone.localdate() + dt.timedelta(days=366)).isoformat(),
    ],
)
def test_inbound_expected_date_outside_the_window_is_422(world, api_client, expected_date):
    response = api_client.post(
        "/api/v1/inbound/", _inbound_payload(expected_date=expected_date), format="json"
    )
    body = assert_error(response, 422, "expected_date_out_of_range")
    assert set(body["details"]) == {"expected_date", "earliest", "latest"}
    assert not InboundStock.objects.filter(reference="PO-NEW").exists()


@pytest.mark.parametrize("days", [-14, 0, 365])
def test_inbound_expected_date_at_the_edges_of_the_window_is_accepted(world, api_client, days):
    expected = (timezone.localdate() + dt.timedelta(days=days)).isoformat()
    response = api_client.post(
        "/api/v1/inbound/", _inbound_payload(expected_date=expected), format="json"
    )
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("reference", ["PO\x001", "PO\n1", "PO\x1b[31m1", "PO\t1", "PO\x851"])
def test_inbound_reference_with_control_characters_is_400(world, api_client, reference):
    response = api_client.post(
        "/api/v1/inbound/", _inbound_payload(reference=reference), format="json"
    )
    assert_error(response, 400, "invalid_request")
    assert InboundStock.objects.filter(location__code="wh-a").count() == 1  # PO-A only


def test_inbound_for_unknown_sku_is_404(world, api_client):
    payload = {
        "location": "wh-a",
        "sku": "NOPE",
        "reference": "PO-Z",
        "expected_date": IN_TWO_MONTHS,
        "quantity": 6,
    }
    assert_error(
        api_client.post("/api/v1/inbound/", payload, format="json"), 404, "product_not_found"
    )


# --- Stock feed over the API -----------------------------------------------------------------


def test_feed_applies_and_reports(world, api_client):
    response = api_client.post(
        FEED,
        {
            "reference": "ERP-1",
            "updates": [
                {
                    "location": "wh-a",
                    "sku": "SKU-1",
                    "on_hand": 14,
                    "counted_at": "2025-03-01T08:00:00Z",
                },
                {"location": "wh-a", "sku": "SKU-1", "delta": -1, "reason": "damaged"},
                {"location": "wh-a", "sku": "SKU-1", "safety_stock": 2},
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"applied": 3, "unchanged": 1, "movements": 2, "stale_rows": []}
    level = world["level_a"]
    level.refresh_from_db()
    assert (level.on_hand, level.safety_stock, level.last_counted_at) == (13, 2, T0)
    assert set(StockMovement.objects.filter(reference="ERP-1").values_list("actor", flat=True)) == {
        f"api-key:{ApiKey.objects.get(channel__code='web-de').prefix}"
    }
    assert stock_ledger_mismatches() == []


def test_feed_below_reserved_is_422_with_the_row(world, api_client):
    level = world["level_a"]
    stock_reserve(
        requests=[ReservationRequest(level.location_id, level.product_id, 5, "line:1")],
        actor="test",
    )

    response = api_client.post(
        FEED,
        {
            "updates": [
                {
                    "location": "wh-a",
                    "sku": "SKU-1",
                    "on_hand": 4,
                    "counted_at": "2025-03-01T08:00:00Z",
                }
            ]
        },
        format="json",
    )

    body = assert_error(response, 422, "stock_update_rejected")
    assert [(e["row"], e["code"]) for e in body["details"]["errors"]] == [
        (1, "stock_below_reserved")
    ]
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (10, 5)


def test_out_of_order_feed_reports_stale_rows(world, api_client):
    def count(on_hand: int, at: dt.datetime) -> dict:
        return {
            "location": "wh-a",
            "sku": "SKU-1",
            "on_hand": on_hand,
            "counted_at": at.isoformat(),
        }

    first = api_client.post(
        FEED, {"updates": [count(30, T0 + dt.timedelta(hours=2))]}, format="json"
    )
    assert first.json()["stale_rows"] == []

    second = api_client.post(
        FEED,
        {
            "updates": [
                count(20, T0 + dt.timedelta(hours=1)),
                {"location": "wh-a", "sku": "SKU-1", "delta": 2},
                count(25, T0 + dt.timedelta(hours=2)),
                count(33, T0 + dt.timedelta(hours=3)),
                count(10, T0),
            ]
        },
        format="json",
    )

    assert second.status_code == 200
    assert second.json() == {"applied": 2, "unchanged": 0, "movements": 2, "stale_rows": [1, 3, 5]}
    level = world["level_a"]
    level.refresh_from_db()
    assert (level.on_hand, level.last_counted_at) == (33, T0 + dt.timedelta(hours=3))


def test_feed_of_2000_rows_in_one_request(channel, api_client, django_assert_max_num_queries):
    locations = [LocationFactory(code=f"feed-{i}", channels=[channel]) for i in range(10)]
    products = ProductFactory.create_batch(200)
    # Half the levels exist already, half are created by the feed.
    StockLevel.objects.bulk_create(
        StockLevel(location=loc, product=p, on_hand=0) for loc in locations[:5] for p in products
    )
    updates = [
        {
            "location": loc.code,
            "sku": p.sku,
            "on_hand": (i + j) % 17 + 1,
            "counted_at": "2025-03-01T08:00:00Z",
        }
        for i, loc in enumerate(locations)
        for j, p in enumerate(products)
    ]
    assert len(updates) == 2000

    # A fixed number of queries (auth, lookups, locks, batched writes), not one per row. SQLite
    # batches by its variable limit (a few hundred rows per statement): more, still bounded.
    with django_assert_max_num_queries(20 if connection.vendor == "postgresql" else 60):
        response = api_client.post(FEED, {"reference": "BIG", "updates": updates}, format="json")

    assert response.status_code == 200, response.content[:500]
    assert response.json() == {"applied": 2000, "unchanged": 0, "movements": 2000, "stale_rows": []}
    assert StockLevel.objects.filter(location__in=locations).count() == 2000
    assert StockMovement.objects.filter(reference="BIG").count() == 2000
    sample = StockLevel.objects.get(location=locations[3], product=products[7])
    assert sample.on_hand == (3 + 7) % 17 + 1


# --- Error body shape ------------------------------------------------------------------------


def test_every_error_body_has_exactly_code_message_details(world, api_client):
    responses = [
        (client_for(None).get("/api/v1/availability/?skus=A"), 401),
        (client_for("oms_x_y").get("/api/v1/availability/?skus=A"), 401),
        (api_client.get("/api/v1/availability/"), 400),
        (api_client.post(FEED, data="{", content_type="application/json"), 400),
        (
            api_client.post(
                FEED,
                {"updates": [{"location": "nowhere", "sku": "SKU-1", "delta": 1}]},
                format="json",
            ),
            422,
        ),
        (
            api_client.post(
                f"/api/v1/inbound/{world['inbound_b'].pk}/receive/", {"quantity": 1}, format="json"
            ),
            404,
        ),
        (api_client.get("/api/v1/locations/?page=0"), 400),
        (api_client.put("/api/v1/availability/?skus=A"), 405),
        (api_client.post(FEED, data="<x/>", content_type="application/xml"), 415),
    ]
    for response, status in responses:
        assert response.status_code == status, (status, response.content)
        body = response.json()
        assert set(body) == {"code", "message", "details"}, body
        assert isinstance(body["code"], str) and body["code"]


# --- Schema ----------------------------------------------------------------------------------


def test_schema_endpoint_serves_without_a_key(db):
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/stock/updates/" in response.content


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--settings=oms.settings.test",
            "--file",
            str(target),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Warning" not in completed.stderr
    assert target.stat().st_size > 0


def test_availability_json_matches_the_documented_serializer(world, channel, api_client):
    """The view builds its JSON by hand for speed; it must equal the schema's serializer."""
    from inventory.api.serializers import SkuAvailabilityOutputSerializer
    from inventory.selectors import availability_for_channel

    store = LocationFactory(code="store-x", channels=[channel])
    stock(store, world["product"], on_hand=3, safety_stock=1)
    InboundStockFactory(location=store, product=world["product"], expected_date=dt.date(2031, 5, 1))

    response = api_client.get("/api/v1/availability/", {"skus": "SKU-1,NOPE"})

    expected = SkuAvailabilityOutputSerializer(
        availability_for_channel(channel=channel, skus=["SKU-1", "NOPE"]), many=True
    ).data
    assert response.json() == [dict(row) for row in expected]


def test_availability_totals_without_breakdown_match(world, channel, api_client):
    store = LocationFactory(code="store-y", channels=[channel])
    stock(store, world["product"], on_hand=2, safety_stock=5)  # below safety: counts as 0
    full = api_client.get("/api/v1/availability/", {"skus": "SKU-1"}).json()
    lean = api_client.get(
        "/api/v1/availability/", {"skus": "SKU-1", "include_locations": "false"}
    ).json()

    assert lean[0]["available"] == full[0]["available"] == 8
    assert lean[0]["locations"] == []
    assert lean[0]["inbound"] == full[0]["inbound"]


def test_a_change_in_the_same_transaction_reaches_the_next_request(api_client, channel):  # type: ignore[no-untyped-def]
    """The key cache's row versions tell apart two versions written by one transaction."""
    assert api_client.get("/api/v1/orders/").status_code == 200
    ApiKey.objects.update(scopes=["stock_write"])
    assert_error(api_client.get("/api/v1/orders/"), 403, "permission_denied")
    channel.active = False
    channel.save()
    assert_error(api_client.get("/api/v1/orders/"), 401, "authentication_failed")
