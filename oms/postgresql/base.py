"""Django's PostgreSQL backend with a health check that asks the socket, not the server.

With persistent connections (CONN_MAX_AGE) and CONN_HEALTH_CHECKS, Django checks the connection
before its first use in every request by sending `SELECT 1`: one more round trip per request,
as much as a whole availability query costs PostgreSQL. The connections that check exists for
are those the server or something between has closed (a restart, a failover, an administrator's
`pg_terminate_backend`, an idle timeout, PgBouncer): PostgreSQL then sends its error message
and closes the socket, and the socket of an idle connection becomes readable. A healthy idle
connection has nothing to read (web workers do not LISTEN). So: nothing to read means usable,
without asking the server; something to read (or a connection psycopg already knows is
broken) is checked the usual way, with `SELECT 1`, and closed when that fails. A dead peer
that never closed the socket is not seen (nor would `SELECT 1` see it before its timeout).
ENGINE `oms.postgresql` (oms/settings/base.py); tests: tests/integration/test_pg_health_check.py.

It also keeps, per connection, the names of the statements oms/postgresql/direct.py prepared,
and its connections open a transaction with BEGIN in the same round trip as the first
statement when that statement is pipelined (oms/postgresql/connection.py).
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base

from .connection import Connection


class DatabaseWrapper(base.DatabaseWrapper):
    # Names of the statements oms.postgresql.direct has prepared on this connection; a new
    # connection starts with none.
    direct_statements: set[bytes]

    def connect(self) -> None:
        self.direct_statements = set()
        super().connect()

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if type(connection) is psycopg.Connection:
            # BEGIN goes out with a transaction's first statement when that one is pipelined
            # (oms/postgresql/connection.py); the same object, one method overridden.
            connection.__class__ = Connection
        return connection

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            poller = select.poll()  # not select.select: it cannot watch descriptors >= 1024
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            waiting = poller.poll(0)
        except (OSError, ValueError):
            return False
        if not waiting:
            return True
        return bool(super().is_usable())
