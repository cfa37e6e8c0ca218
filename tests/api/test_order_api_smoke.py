import pytest

from tests.factories import LocationFactory, ProductFactory, stock


@pytest.mark.django_db
def test_order_api_flow(api_client, channel):
    loc = LocationFactory(channels=[channel])
    p = ProductFactory()
    stock(loc, p, 5)
    body = {
        "external_reference": "A-1",
        "currency": "EUR",
        "shipping_address": {
            "street": "Alexanderplatz 1",
            "postal_code": "10178",
            "city": "Berlin",
            "country": "DE",
            "latitude": 52.5,
            "longitude": 13.4,
        },
        "lines": [{"sku": p.sku, "quantity": 2, "unit_price": "9.99"}],
    }
    r = api_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert r.status_code == 201, r.json()
    order = r.json()
    assert order["state"] == "routed"
    r2 = api_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert r2.status_code == 201 and r2.json()["id"] == order["id"]
    assert r2["Idempotent-Replayed"] == "true"
    etag = r["ETag"]
    r = api_client.patch(
        f"/api/v1/orders/{order['id']}/",
        {"lines": [{"line_number": 1, "quantity": 1}]},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert r.status_code == 200, r.json()
    assert r.json()["lines"][0]["open_quantity"] == 1
    r = api_client.patch(
        f"/api/v1/orders/{order['id']}/",
        {"lines": [{"line_number": 1, "quantity": 1}]},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert r.status_code == 412
    r = api_client.get(f"/api/v1/orders/{order['id']}/events/")
    assert r.status_code == 200
    assert [e["type"] for e in r.json()["results"]][:2] == ["order_placed", "fulfilment_created"]
    f = r = api_client.get("/api/v1/fulfilments/").json()["results"][0]
    for action in ["accept", "pack"]:
        r = api_client.post(f"/api/v1/fulfilments/{f['id']}/{action}/")
        assert r.status_code == 200, r.json()
    r = api_client.post(f"/api/v1/fulfilments/{f['id']}/ready-for-pickup/")
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"
    r = api_client.post(
        f"/api/v1/fulfilments/{f['id']}/ship/",
        {"carrier": "DHL", "tracking_number": "1"},
        format="json",
    )
    assert r.status_code == 200
    assert api_client.get(f"/api/v1/orders/{order['id']}/").json()["state"] == "completed"
