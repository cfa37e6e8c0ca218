"""One statement's row straight through libpq, for the hottest read (availability).

psycopg's cursor costs Python work per statement and per byte of the answer: the query's
conversion and its parameters' dumping, a generator resumed at every chunk of the answer that
arrives, and the text decoded into a `str` that Django encodes back into bytes. For an
availability read that is most of what our process spends on its one statement: measured
in-process on the benchmark's data, the client CPU of the statement went from 0.52 to 0.28 ms
for 5 SKUs and from 1.02 to 0.62 ms for 50 (benchmarks/README.md, "fifth session").
`fetch_row` sends the same statement with psycopg's own libpq connection (`pgconn`): prepared
once per connection under its own name, parameters as text, the answer's text columns as bytes.

It is the same connection, in the same transaction, with Django's error classes and query
log. Where it cannot promise that, it takes the cursor instead and answers the same:
- an open `atomic` block whose transaction psycopg has not begun yet (psycopg sends BEGIN
  before the first statement; this path would run outside it), a failed transaction, or a
  pipeline;
- execute wrappers installed (`connection.execute_wrapper`): they must see every statement;
- an engine other than `oms.postgresql`.
Prepared only in autocommit (where the availability read runs): psycopg deallocates every
prepared statement of the connection after a rollback, also of a savepoint, so inside a
transaction a prepared statement may be gone, and a failed attempt there would abort the
transaction. In a transaction, and without server-side binding (`DB_SERVER_SIDE_BINDING=0`,
for PgBouncer < 1.21 in transaction pooling), the statement goes unnamed, still in one round
trip. An autocommit call that finds its statement gone (after such a rollback, DEALLOCATE
ALL, a pooler's reset) prepares it again and retries: one more round trip, once.

Parameters are named (`%(name)s`, as for the cursor) and sent untyped, so the server infers
each type from where it is used; text, integers, booleans, dates, None and lists of text are
accepted. Columns come back as bool, int or bytes (the text the server wrote), None for NULL.
Tests: tests/integration/test_direct_statement.py.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.connection import ConnectionProxy
from psycopg import errors, pq
from psycopg.pq import ExecStatus, TransactionStatus

from oms.db import array_param, text_without_nul

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%|%")
_BOOL, _INTEGERS = 16, frozenset({20, 21, 23})  # type OIDs: bool; int8, int2, int4
_IDLE = TransactionStatus.IDLE
_UNDEFINED_STATEMENT = "26000"  # invalid_sql_statement_name: DEALLOCATE, a pooler's reset


def fetch_row(connection: Any, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The first row of `sql` (named parameters `params`) on Django's `connection`, or None
    when there is none. Text columns come as bytes, booleans and integers as such."""
    if isinstance(connection, ConnectionProxy):  # `django.db.connection`: one lookup, not six
        connection = connections[DEFAULT_DB_ALIAS]
    # What Django does before a cursor's statement: the per-request health check (a
    # connection the server closed is replaced), thread and broken-`atomic` checks.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    prepared = getattr(connection, "direct_statements", None)
    client = connection.connection
    if prepared is None or connection.execute_wrappers or not _joins_transaction(client):
        return _through_cursor(connection, sql, params)
    text, names, name = _converted(sql)
    started = time.monotonic()
    with connection.wrap_database_errors, client.lock:
        values = [_text(params[n]) for n in names]
        if _server_side_binding(connection) and client.pgconn.transaction_status == _IDLE:
            result = _exec_prepared(client.pgconn, prepared, name, text, values)
        else:
            result = client.pgconn.exec_params(text, values)
        _raise_for(result, client)
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{sql} -- {dict(params)!r}", "time": f"{time.monotonic() - started:.3f}"}
        )
    if result.ntuples == 0:
        return None
    return tuple(_value(result, column) for column in range(result.nfields))


def _joins_transaction(client: psycopg.Connection[Any]) -> bool:
    """True when a statement sent now runs where the cursor's would: in autocommit, or in
    the transaction the server already has open."""
    if client.closed or client.broken or getattr(client, "_pipeline", None) is not None:
        return False
    status = client.pgconn.transaction_status
    if status == TransactionStatus.IDLE:
        return bool(client.autocommit)
    return bool(status == TransactionStatus.INTRANS)


def _exec_prepared(
    pgconn: pq.abc.PGconn, prepared: set[bytes], name: bytes, text: bytes, values: list[Any]
) -> pq.abc.PGresult:
    if name not in prepared:
        _raise_for(pgconn.prepare(name, text), None)
        prepared.add(name)
    result = pgconn.exec_prepared(name, values)
    if result.status == ExecStatus.FATAL_ERROR and (
        result.error_field(pq.DiagnosticField.SQLSTATE) == _UNDEFINED_STATEMENT.encode()
    ):
        # Deallocated behind our back (DEALLOCATE ALL, a pooler's reset): prepare it again.
        prepared.discard(name)
        _raise_for(pgconn.prepare(name, text), None)
        prepared.add(name)
        result = pgconn.exec_prepared(name, values)
    return result


def _raise_for(result: pq.abc.PGresult, client: psycopg.Connection[Any] | None) -> None:
    if result.status == ExecStatus.FATAL_ERROR:
        encoding = client.info.encoding if client is not None else "utf-8"
        raise errors.error_from_result(result, encoding=encoding)


def _through_cursor(connection: Any, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return tuple(v.encode() if isinstance(v, str) else v for v in row)


def _server_side_binding(connection: Any) -> bool:
    return bool(connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"))


@lru_cache(maxsize=256)
def _converted(sql: str) -> tuple[bytes, tuple[str, ...], bytes]:
    """`sql` with $1, $2... for its named placeholders, the names in that order, and the
    name it is prepared under (the same text gets the same name in every process)."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        if match.group(1) is None:
            raise ValueError("fetch_row takes named parameters, %(name)s")
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    text = _PLACEHOLDER.sub(number, sql).encode()
    name = b"oms_direct_" + hashlib.sha1(text).hexdigest()[:16].encode()
    return text, tuple(names), name


def _text(value: Any) -> bytes | None:
    """A parameter as PostgreSQL reads it in text format."""
    if value is None:
        return None
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, str):
        return text_without_nul(value).encode()
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat().encode()
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return array_param(value).encode()
    raise TypeError(f"fetch_row cannot send a {type(value).__name__} parameter")


def _value(result: pq.abc.PGresult, column: int) -> Any:
    raw = result.get_value(0, column)
    if raw is None:
        return None
    kind = result.ftype(column)
    if kind == _BOOL:
        return raw == b"t"
    if kind in _INTEGERS:
        return int(raw)
    return bytes(raw)
