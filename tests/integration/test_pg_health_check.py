"""The PostgreSQL backend's health check (oms/postgresql/base.py): no round trip for a healthy
connection, and a connection the server closed is found, closed and replaced."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def wrapper() -> Iterator[Any]:
    """A connection of its own (not the test's transaction), persistent, health-checked."""
    conn = connections.create_connection("default")
    conn.settings_dict["CONN_MAX_AGE"] = 600
    conn.settings_dict["CONN_HEALTH_CHECKS"] = True
    conn.ensure_connection()
    conn.health_check_enabled = True
    yield conn
    conn.close()


def _server_pid(conn: Any) -> int:
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _params(conn: Any) -> dict[str, Any]:
    params = dict(conn.get_connection_params())
    for name in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(name, None)
    return params


def _terminate(conn: Any, pid: int) -> None:
    with psycopg.connect(**_params(conn), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_usable_connection_needs_no_round_trip(wrapper: Any) -> None:
    raw = wrapper.connection

    def no_query(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the health check sent a query")

    raw.cursor = no_query
    try:
        assert wrapper.is_usable() is True
        wrapper.health_check_done = False
        wrapper.close_if_health_check_failed()
        assert wrapper.connection is raw
    finally:
        del raw.cursor


def test_connection_closed_by_the_server_is_replaced(wrapper: Any) -> None:
    old_pid = _server_pid(wrapper)
    _terminate(wrapper, old_pid)
    deadline = time.monotonic() + 5
    while wrapper.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)  # the server's goodbye reaches the socket
    assert wrapper.is_usable() is False

    wrapper.health_check_done = False
    wrapper.close_if_health_check_failed()
    assert wrapper.connection is None
    assert _server_pid(wrapper) != old_pid  # reconnected, and it answers


def test_something_harmless_to_read_is_checked_with_a_query(wrapper: Any) -> None:
    """A notification waiting on the socket is no failure: SELECT 1 decides, and it passes."""
    with wrapper.cursor() as cursor:
        cursor.execute("LISTEN oms_health_check_test")
    with psycopg.connect(**_params(wrapper), autocommit=True) as other:
        other.execute("NOTIFY oms_health_check_test")
    raw = wrapper.connection
    deadline = time.monotonic() + 5
    while not select.select([raw.fileno()], [], [], 0.05)[0] and time.monotonic() < deadline:
        pass
    queries: list[str] = []
    real_cursor = raw.cursor

    def counting_cursor(*args: Any, **kwargs: Any) -> Any:
        queries.append("cursor")
        return real_cursor(*args, **kwargs)

    raw.cursor = counting_cursor
    try:
        assert wrapper.is_usable() is True
    finally:
        del raw.cursor
    assert queries == ["cursor"]  # asked the server, once
    assert wrapper.connection is raw
