"""Every list answers each `page` / `page_size` as documented: 400 `invalid_page` for a malformed
number, an empty page past the end (never a 404)."""

from __future__ import annotations

import pytest

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/products/", "/api/v1/locations/", "/api/v1/orders/", "/api/v1/fulfilments/"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    "query", ["page=0", "page=-1", "page=abc", "page=1.5", "page=", "page_size=0", "page_size=x"]
)
def test_malformed_page_answers_invalid_page(api_client, url: str, query: str) -> None:  # type: ignore[no-untyped-def]
    response = api_client.get(f"{url}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_page"


def test_pages_and_past_the_end(api_client) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        ProductFactory(sku=f"SKU-{n}")

    second = api_client.get("/api/v1/products/?page=2&page_size=2").json()
    assert [p["sku"] for p in second["results"]] == ["SKU-2", "SKU-3"]
    assert second["count"] == 5
    assert second["next"].endswith("page=3&page_size=2")

    past = api_client.get("/api/v1/products/?page=9&page_size=2")
    assert past.status_code == 200
    body = past.json()
    assert body["results"] == [] and body["count"] == 5 and body["next"] is None
    assert "page=3" in body["previous"]  # the last page that has results

    empty_list = api_client.get("/api/v1/orders/?page=2")
    assert empty_list.status_code == 200
    assert empty_list.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_page_size_is_capped(api_client) -> None:  # type: ignore[no-untyped-def]
    ProductFactory(sku="ONLY")
    body = api_client.get("/api/v1/products/?page_size=100000").json()
    assert body["count"] == 1 and len(body["results"]) == 1
