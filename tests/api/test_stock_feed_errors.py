"""The stock feed answers every bad row in one shape: `details.errors` = [{row, field, code,
message}], rows numbered from 1, whether the row is malformed (400) or breaks a rule (422)."""

from __future__ import annotations

import pytest

from inventory.models import StockMovement
from tests.factories import LocationFactory, ProductFactory, stock

pytestmark = pytest.mark.django_db

FEED = "/api/v1/stock/updates/"
GOOD = {"location": "wh-a", "sku": "SKU-1", "delta": 1}


@pytest.fixture
def level(channel):  # type: ignore[no-untyped-def]
    return stock(LocationFactory(code="wh-a", channels=[channel]), ProductFactory(sku="SKU-1"), 10)


def errors_of(response, status: int, code: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    for error in body["details"]["errors"]:
        assert set(error) >= {"row", "code", "message"}
    return [(e["row"], e.get("field"), e["code"]) for e in body["details"]["errors"]]


def test_malformed_rows_are_numbered_from_one_like_rule_breaks(api_client, level) -> None:  # type: ignore[no-untyped-def]
    movements = StockMovement.objects.count()
    malformed = {"updates": [GOOD, {**GOOD, "delta": "many"}, GOOD, {"sku": "SKU-1", "delta": 1}]}
    assert errors_of(api_client.post(FEED, malformed, format="json"), 400, "invalid_request") == [
        (2, "delta", "invalid_row"),
        (4, "location", "invalid_row"),
    ]

    unknown = {"updates": [GOOD, {**GOOD, "location": "nowhere"}]}
    assert errors_of(
        api_client.post(FEED, unknown, format="json"), 422, "stock_update_rejected"
    ) == [(2, None, "location_not_found")]
    assert StockMovement.objects.count() == movements


def test_row_level_contradictions_and_request_level_problems(api_client, level) -> None:  # type: ignore[no-untyped-def]
    both = {"updates": [{**GOOD, "on_hand": 3, "counted_at": "2025-03-01T08:00:00Z"}]}
    assert errors_of(api_client.post(FEED, both, format="json"), 400, "invalid_request") == [
        (1, None, "invalid_row")
    ]
    empty = {"updates": [], "reference": "x" * 101}
    assert sorted(
        errors_of(api_client.post(FEED, empty, format="json"), 400, "invalid_request"),
        key=str,
    ) == sorted(
        [(None, "updates", "invalid_request"), (None, "reference", "invalid_request")], key=str
    )
