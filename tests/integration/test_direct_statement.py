"""One statement straight through libpq (oms/postgresql/direct.py): the same answer as the
cursor's, in the same transaction, with Django's errors and query log; prepared once per
connection and prepared again when the server lost it."""

from __future__ import annotations

import datetime
import json
import select
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import (
    DataError,
    InternalError,
    ProgrammingError,
    connection,
    connections,
    transaction,
)
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from inventory.availability_sql import availability_json_call, json_expression_value
from oms.postgresql import direct
from oms.postgresql.direct import fetch_row
from tests.factories import ChannelFactory, LocationFactory, ProductFactory, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def own() -> Iterator[Any]:
    """A connection of its own, in autocommit (not the test's transaction), persistent."""
    conn = connections.create_connection("default")
    conn.ensure_connection()
    yield conn
    conn.close()


def _prepared_names(conn: Any) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE name LIKE 'oms_direct_%%' ORDER BY 1"
        )
        return [name for (name,) in cursor.fetchall()]


def test_parameters_arrive_as_the_cursor_sends_them(own: Any) -> None:
    skus = ['a"b', "c\\d", "e,f", "{g}", " h ", "NULL", "ü€", ""]
    row = fetch_row(
        own,
        "SELECT array_to_json(%(skus)s::text[])::text, %(n)s::int + 1, %(big)s::bigint, "
        "%(yes)s::boolean, %(no)s::boolean, %(day)s::date, %(nothing)s::text IS NULL, "
        "%(word)s::text, '100%%'",
        {
            "skus": skus,
            "n": 41,
            "big": 2**40,
            "yes": True,
            "no": False,
            "day": datetime.date(2026, 12, 3),
            "nothing": None,
            "word": "it's",
        },
    )
    assert row is not None
    assert json.loads(row[0]) == skus
    assert row[1:] == (42, 2**40, True, False, b"2026-12-03", True, b"it's", b"100%")


def test_empty_and_enum_parameters(own: Any) -> None:
    from inventory.models import InboundStock

    row = fetch_row(
        own,
        "SELECT cardinality(%(none)s::text[]), %(status)s::text, %(also)s::text[] = '{a}'",
        {"none": [], "status": InboundStock.Status.OPEN, "also": ("a",)},
    )
    assert row == (0, b"open", True)


def test_no_row_is_none_and_a_repeated_name_is_one_parameter(own: Any) -> None:
    assert fetch_row(own, "SELECT 1 WHERE %(a)s::int = 2", {"a": 1}) is None
    assert fetch_row(own, "SELECT %(a)s::int + %(a)s::int", {"a": 2}) == (4,)


def test_nul_in_text_is_a_data_error_and_nothing_is_sent(own: Any) -> None:
    with CaptureQueriesContext(own) as queries, pytest.raises(DataError):
        fetch_row(own, "SELECT %(sku)s::text", {"sku": "a\x00b"})
    with CaptureQueriesContext(own) as queries, pytest.raises(DataError):
        fetch_row(own, "SELECT %(skus)s::text[]", {"skus": ["a", "b\x00"]})
    assert len(queries) == 0
    assert fetch_row(own, "SELECT 1", {}) == (1,)  # the connection is fine


def test_unsupported_parameters_are_refused() -> None:
    with pytest.raises(TypeError):
        direct._text(1.5)
    with pytest.raises(TypeError):
        direct._text([1, 2])
    with pytest.raises(ValueError):
        direct._converted("SELECT %s")


def test_prepared_once_per_connection_and_again_after_deallocate(own: Any) -> None:
    for n in range(3):
        assert fetch_row(own, "SELECT %(n)s::int * 2", {"n": n}) == (n * 2,)
    assert len(_prepared_names(own)) == 1
    with own.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's reset would
    assert fetch_row(own, "SELECT %(n)s::int * 2", {"n": 5}) == (10,)
    assert len(_prepared_names(own)) == 1
    own.close()
    assert fetch_row(own, "SELECT %(n)s::int * 2", {"n": 6}) == (12,)  # a new connection


def test_inside_a_transaction_nothing_prepared_is_needed(own: Any) -> None:
    """psycopg deallocates prepared statements after any rollback, also to a savepoint: in a
    transaction the statement goes unnamed, so a deallocation there costs nothing (a failed
    attempt would abort the transaction)."""
    assert fetch_row(own, "SELECT %(n)s::int * 2", {"n": 1}) == (2,)
    own.set_autocommit(False)
    try:
        assert fetch_row(own, "SELECT 1", {}) == (1,)  # BEGIN sent
        with own.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        assert fetch_row(own, "SELECT %(n)s::int * 2", {"n": 2}) == (4,)
        sid = own.savepoint()
        own.savepoint_rollback(sid)  # psycopg deallocates all it prepared
        assert fetch_row(own, "SELECT %(n)s::int * 2", {"n": 3}) == (6,)
    finally:
        own.rollback()
        own.set_autocommit(True)
    assert fetch_row(own, "SELECT %(n)s::int * 2", {"n": 4}) == (8,)  # autocommit again
    assert len(_prepared_names(own)) == 1  # prepared again


def test_without_server_side_binding_nothing_is_prepared(own: Any) -> None:
    own.settings_dict["OPTIONS"] = {
        k: v for k, v in own.settings_dict["OPTIONS"].items() if k != "server_side_binding"
    }
    assert fetch_row(own, "SELECT %(n)s::int * 3", {"n": 3}) == (9,)
    assert _prepared_names(own) == []


def test_errors_are_djangos_and_the_connection_goes_on(own: Any) -> None:
    with pytest.raises(DataError):
        fetch_row(own, "SELECT 1 / %(n)s::int", {"n": 0})
    with pytest.raises(ProgrammingError):
        fetch_row(own, "SELECT no_such_column", {})
    assert fetch_row(own, "SELECT 1 / %(n)s::int", {"n": 1}) == (1,)


def test_inside_a_transaction_it_runs_in_that_transaction(own: Any) -> None:
    own.set_autocommit(False)  # what atomic() does first
    try:
        # First statement: psycopg has not sent BEGIN yet, so the cursor runs it (and BEGIN).
        first = fetch_row(own, "SELECT now()::text", {})
        time.sleep(0.01)
        # The transaction is open now: this one goes straight through libpq, in it.
        second = fetch_row(own, "SELECT now()::text", {})
        with own.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE direct_probe (n int) ON COMMIT DROP")
            cursor.execute("INSERT INTO direct_probe VALUES (7)")
        seen = fetch_row(own, "SELECT n FROM direct_probe", {})
        assert first == second
        assert seen == (7,)  # the transaction's own uncommitted row
    finally:
        own.rollback()
        own.set_autocommit(True)
    assert fetch_row(own, "SELECT now()::text", {}) != first  # autocommit again


def test_a_failed_transaction_answers_as_the_cursor_would(own: Any) -> None:
    own.set_autocommit(False)
    try:
        assert fetch_row(own, "SELECT 1", {}) == (1,)
        with pytest.raises(DataError):
            fetch_row(own, "SELECT 1 / %(n)s::int", {"n": 0})
        # The transaction failed: the cursor's error, not another statement's answer.
        with pytest.raises(InternalError):
            fetch_row(own, "SELECT 2", {})
        own.rollback()
        assert fetch_row(own, "SELECT 3", {}) == (3,)
    finally:
        own.rollback()
        own.set_autocommit(True)


def test_in_the_tests_transaction_it_sees_what_the_test_wrote() -> None:
    with transaction.atomic():
        channel = ChannelFactory(code="direct-probe")
        assert fetch_row(
            connection, "SELECT code FROM oms_channel WHERE id = %(id)s", {"id": channel.pk}
        ) == (b"direct-probe",)


def test_queries_are_logged_and_execute_wrappers_see_the_statement(own: Any) -> None:
    with CaptureQueriesContext(own) as queries:
        fetch_row(own, "SELECT %(n)s::int", {"n": 1})
    assert len(queries) == 1 and "SELECT %(n)s::int" in queries[0]["sql"]
    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with own.execute_wrapper(wrapper):
        assert fetch_row(own, "SELECT %(n)s::int", {"n": 2}) == (2,)
    assert seen == ["SELECT %(n)s::int"]


def test_the_availability_answer_equals_the_cursors() -> None:
    channel = ChannelFactory()
    products = [ProductFactory(sku="SKU-1"), ProductFactory(sku='SKU-"2"')]
    for code in ("b-store", "a-warehouse"):
        location = LocationFactory(code=code, channels=[channel])
        for product in products:
            stock(location, product, on_hand=7)
    expression, params = availability_json_call(
        channel=channel,
        skus=["SKU-1", 'SKU-"2"', "UNKNOWN"],
        include_inbound=True,
        include_locations=True,
    )
    row = fetch_row(connection, f"SELECT {expression}", params)
    assert row is not None
    assert row == direct._through_cursor(connection, f"SELECT {expression}", params)
    assert row[0].decode() == json_expression_value(expression, params)
    assert [entry["known"] for entry in json.loads(row[0])] == [True, True, False]


def test_a_connection_the_server_closed_is_replaced_first(own: Any) -> None:
    """The request's first statement may be this one (availability with a cached key): the
    per-request health check runs before it, as before a cursor's."""
    own.settings_dict["CONN_MAX_AGE"] = 600
    own.settings_dict["CONN_HEALTH_CHECKS"] = True
    own.health_check_enabled = True
    old_pid = fetch_row(own, "SELECT pg_backend_pid()", {})
    with psycopg.connect(**_params(own), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", old_pid)
    poller = select.poll()  # not is_usable(): its SELECT 1 would mark the connection broken
    poller.register(own.connection.fileno(), select.POLLIN)
    assert poller.poll(5000)  # the server's goodbye reaches the socket
    assert not own.connection.broken
    own.health_check_done = False  # a new request (request_started)
    new_pid = fetch_row(own, "SELECT pg_backend_pid()", {})
    assert new_pid is not None and new_pid != old_pid


def test_a_block_marked_for_rollback_refuses_as_the_cursor_does() -> None:
    with transaction.atomic():
        assert fetch_row(connection, "SELECT 1", {}) == (1,)
        transaction.set_rollback(True)  # the server's transaction is still fine
        with pytest.raises(TransactionManagementError):
            fetch_row(connection, "SELECT 1", {})


def _params(conn: Any) -> dict[str, Any]:
    params = dict(conn.get_connection_params())
    for name in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(name, None)
    return params
