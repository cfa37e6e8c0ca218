"""Two identical inbound announcements at once: one 201, one 409 `inbound_duplicate`, never a 500.

The unique constraint decides, not a check before the insert. Real threads on PostgreSQL, each
with its own connection (closed when done so the test database can be dropped).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.models import InboundStock, Location, Product
from inventory.services import inbound_create
from tests.factories import LocationFactory, ProductFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

TIMEOUT = 30.0


@pytest.fixture
def payload(channel):  # type: ignore[no-untyped-def]
    location = LocationFactory(code="wh-a", channels=[channel])
    product = ProductFactory(sku="SKU-1")
    return {
        "location": location.code,
        "sku": product.sku,
        "reference": "PO-RACE",
        "expected_date": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        "quantity": 5,
    }


def _post(raw_key: str, payload: dict, answers: list[tuple[int, str | None]]) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    try:
        response = client.post("/api/v1/inbound/", payload, format="json")
        answers.append((response.status_code, response.json().get("code")))
    finally:
        connection.close()


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_request_blocked_on_the_same_insert_answers_409(api_key, payload):
    """Deterministic: the first insert is not committed yet when the request arrives, so a
    check before the insert sees nothing; the insert then waits on the unique index."""
    inserted, commit = threading.Event(), threading.Event()
    answers: list[tuple[int, str | None]] = []

    def first() -> None:
        try:
            with transaction.atomic():
                inbound_create(
                    location=Location.objects.get(code=payload["location"]),
                    product=Product.objects.get(sku=payload["sku"]),
                    reference=payload["reference"],
                    expected_date=dt.date.fromisoformat(payload["expected_date"]),
                    quantity=payload["quantity"],
                )
                inserted.set()
                commit.wait(TIMEOUT)
        finally:
            connection.close()

    holder = threading.Thread(target=first, daemon=True)
    holder.start()
    assert inserted.wait(TIMEOUT)
    second = threading.Thread(target=_post, args=(api_key, payload, answers), daemon=True)
    second.start()
    deadline = time.monotonic() + TIMEOUT
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    commit.set()
    holder.join(TIMEOUT)
    second.join(TIMEOUT)

    assert not holder.is_alive() and not second.is_alive()
    assert answers == [(409, "inbound_duplicate")]
    assert InboundStock.objects.filter(reference="PO-RACE").count() == 1


def test_concurrent_identical_requests_give_one_201_and_409s(api_key, payload):
    threads = 6
    barrier = threading.Barrier(threads, timeout=TIMEOUT)
    answers: list[tuple[int, str | None]] = []

    def run() -> None:
        barrier.wait()
        _post(api_key, payload, answers)

    workers = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT)

    assert not [w for w in workers if w.is_alive()]
    assert sorted(answers) == [(201, None)] + [(409, "inbound_duplicate")] * (threads - 1)
    assert InboundStock.objects.filter(reference="PO-RACE").count() == 1
