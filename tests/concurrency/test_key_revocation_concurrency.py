"""A revoked API key under concurrent availability reads (threads against PostgreSQL).

Availability checks a cached key in the statement of its answer (oms/api/key_in_statement.py).
Readers on their own threads (their own connections, each with the key cached) read
continuously while the main thread revokes the key; every read that starts after the
revocation has committed must be refused (401), and none may fail otherwise. Threads are
joined with a timeout and close their connections when done.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from oms.models import ApiKey, Channel
from tests.factories import LocationFactory, ProductFactory, api_client_for, stock

pytestmark = pytest.mark.django_db(transaction=True)

READERS = 4
PATH = "/api/v1/availability/?skus=SKU-REVOKE,SKU-OTHER"


def test_no_read_after_the_revocation_commits_is_answered(api_key: str) -> None:
    channel = Channel.objects.get()
    location = LocationFactory(channels=[channel])
    stock(location, ProductFactory(sku="SKU-REVOKE"), on_hand=5)
    results: list[tuple[float, float, int]] = []  # (started, finished, status)
    lock = threading.Lock()
    stop = threading.Event()
    warm = threading.Barrier(READERS + 1, timeout=30)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            client = api_client_for(api_key)
            for _ in range(3):  # the key cached at its current versions
                assert client.get(PATH).status_code == 200
            warm.wait()
            while not stop.is_set():
                started = time.monotonic()
                status = client.get(PATH).status_code
                with lock:
                    results.append((started, time.monotonic(), status))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=read) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    warm.wait()
    time.sleep(0.3)
    key = ApiKey.objects.get()
    revoking = time.monotonic()
    key.revoke()  # autocommit: committed when it returns
    revoked = time.monotonic()
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a reader hung"
    assert not errors, errors

    # Reads that finished before the revocation started, and that started after it committed.
    before = [status for _, finished, status in results if finished < revoking]
    after = [status for started, _, status in results if started > revoked]
    assert before and after, "the readers did not read on both sides of the revocation"
    assert set(before) == {200}
    assert set(after) == {401}
    assert {status for *_, status in results} <= {200, 401}
