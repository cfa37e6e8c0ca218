"""The statement recording behind `bench_orders.py --replay` (benchmarks/statement_replay.py):
it sees what psycopg sends on Django's connection, with the BEGIN psycopg adds and the COMMIT,
cuts it into transactions, leaves psycopg as it found it, and a replay on a copy reaches the
same rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection, transaction

from benchmarks.statement_replay import (
    BEGIN,
    COMMIT,
    ROLLBACK,
    STATEMENT,
    Recording,
    apply_ddl,
    clone_database,
    drop_database,
    replay,
    replay_alternately,
    replay_concurrently,
    statement_label,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _kinds(units: list[list[tuple]]) -> list[list[str]]:
    return [[event[0] for event in unit] for unit in units]


def test_a_recording_cuts_what_was_sent_into_transactions_and_a_window() -> None:
    execute = psycopg.Cursor.execute
    recording = Recording()
    recording.start()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")  # autocommit: a unit of its own
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT %s", [2])
            cursor.execute("SELECT %s", [3])
        recording.mark("start")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT %s", [4])
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s", [5])
        recording.mark("end")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 6")
    finally:
        recording.stop()
    assert psycopg.Cursor.execute is execute
    before, window = recording.units()
    assert _kinds(before)[-2:] == [[STATEMENT], [BEGIN, STATEMENT, STATEMENT, COMMIT]]
    assert _kinds(window) == [[BEGIN, STATEMENT, COMMIT], [STATEMENT]]
    assert window[0][1][1:3] == ("SELECT %s", [4])
    assert recording.connections == {id(connection.connection)}


@contextmanager
def _probe_and_copies(*suffixes: str) -> Iterator[list[str]]:
    """A table `replay_probe` and copies of the database taken with it empty (before the
    recorded statements run: clone_database closes the connection); all gone afterwards."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE replay_probe (id serial PRIMARY KEY, n integer)")
    copies = [clone_database(suffix) for suffix in suffixes]
    connection.ensure_connection()
    try:
        yield copies
    finally:
        for copy in copies:
            drop_database(copy)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE replay_probe")


def _recorded(window: Callable[[], None]) -> Recording:
    """What `window` sends, between the 'start' and 'end' marks."""
    recording = Recording()
    recording.start()
    try:
        recording.mark("start")
        window()
        recording.mark("end")
    finally:
        recording.stop()
    return recording


def _insert_then_update() -> None:
    for n in (1, 2, 3):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO replay_probe (n) VALUES (%s) RETURNING id", [n])
            (new_id,) = cursor.fetchone()
            cursor.execute("UPDATE replay_probe SET n = n * 10 WHERE id = %s", [new_id])


def test_a_replay_on_a_copy_writes_the_same_rows() -> None:
    with _probe_and_copies("sent", "pipelined", "c0", "c1") as (sent, piped, *together):
        recording = _recorded(_insert_then_update)
        for pipelined, copy in ((False, sent), (True, piped)):
            result = replay(recording, copy, pipelined=pipelined)
            assert result.errors == 0 and result.units == 3
            assert result.round_trips == (3 if pipelined else 12)
            # Sent one at a time, each statement's backend CPU is counted under its label.
            counts = {label: count for label, (_, count) in result.by_statement.items()}
            expected = {"BEGIN": 3, "INSERT replay_probe": 3, "UPDATE replay_probe": 3}
            assert counts == ({} if pipelined else {**expected, "COMMIT": 3})
            assert all(ms >= 0 for ms, _ in result.by_statement.values())
            assert _rows(copy) == [(1, 10), (2, 20), (3, 30)]
        results = replay_concurrently(recording, together)  # a thread and connection each
        assert [(r.errors, r.units, r.round_trips) for r in results] == [(0, 3, 3)] * 2
        for copy in together:
            assert _rows(copy) == [(1, 10), (2, 20), (3, 30)]


def _rows(database: str) -> list[tuple]:
    with psycopg.connect(_url(database)) as conn:
        return conn.execute("SELECT id, n FROM replay_probe ORDER BY id").fetchall()


def _url(database: str) -> str:
    settings = connection.settings_dict
    host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
    return f"postgresql://{settings.get('USER') or 'postgres'}@{host}:{port}/{database}"


def test_a_rolled_back_transaction_is_a_unit_that_ends_with_its_rollback() -> None:
    connection.ensure_connection()  # a connection's set-up statements are not the test's
    recording = Recording()
    recording.start()
    try:
        recording.mark("start")
        with pytest.raises(RuntimeError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT %s", [1])
            raise RuntimeError("undo")
        recording.mark("end")
    finally:
        recording.stop()

    _, window = recording.units()
    assert _kinds(window) == [[BEGIN, STATEMENT, ROLLBACK]]


@pytest.mark.parametrize(
    ("kind", "sql", "label"),
    [
        (BEGIN, "BEGIN", "BEGIN"),
        (STATEMENT, "SELECT * FROM oms_reserve_one(%(level)s, 1)", "SELECT oms_reserve_one()"),
        (
            STATEMENT,
            'WITH o AS (INSERT INTO "orders_order" (a) VALUES (1) RETURNING id)\n'
            '  INSERT INTO "orders_orderline" (b) SELECT id FROM o',
            "INSERT orders_order + INSERT orders_orderline",
        ),
        (STATEMENT, 'UPDATE "oms_apikey" SET x = 1 WHERE id = 2', "UPDATE oms_apikey"),
        (
            STATEMENT,
            'SELECT a FROM "inventory_stocklevel" JOIN "inventory_location" ON true',
            "SELECT inventory_stocklevel",
        ),
        (STATEMENT, "SELECT 1", "SELECT 1"),
        (STATEMENT, 'SAVEPOINT "s1404_x944"', "SAVEPOINT"),
        (STATEMENT, 'RELEASE SAVEPOINT "s1404_x944"', "RELEASE SAVEPOINT"),
    ],
)
def test_a_statement_is_labelled_by_what_it_calls_writes_or_reads(
    kind: str, sql: str, label: str
) -> None:
    assert statement_label(kind, sql) == label


def test_a_what_if_replays_alternately_on_an_unchanged_and_a_changed_copy() -> None:
    with _probe_and_copies("w0", "w1") as copies:
        recording = _recorded(_insert_then_update)
        apply_ddl(copies[1], "CREATE INDEX replay_probe_n ON replay_probe (n)")
        unchanged, changed = replay_alternately(recording, copies)
        for result in (unchanged, changed):
            assert (result.errors, result.units, result.round_trips) == (0, 3, 12)
            counts = {label: count for label, (_, count) in result.by_statement.items()}
            assert counts == {
                "BEGIN": 3,
                "INSERT replay_probe": 3,
                "UPDATE replay_probe": 3,
                "COMMIT": 3,
            }
            assert result.cpu_ms > 0
        for copy, indexes in zip(copies, (1, 2), strict=True):
            assert _rows(copy) == [(1, 10), (2, 20), (3, 30)]
            with psycopg.connect(_url(copy)) as conn:
                (count,) = conn.execute(
                    "SELECT count(*) FROM pg_indexes WHERE tablename = 'replay_probe'"
                ).fetchone()
            assert count == indexes  # the DDL changed the second copy only
