"""The floor under intake's PostgreSQL cost: the same statements without the application.

`bench_orders.py --breakdown N --replay` records every statement the in-process orders send
(SQL, parameters, transaction boundaries: psycopg's cursors and connection, patched for the
run), then replays them on a copy of the database taken just before the first one, from one
connection with Django's session settings, and reads the replaying backend's CPU
(/proc/<pid>/schedstat) over the same N orders:

- **as sent**: one round trip per statement, as a client without pipelining would;
- **pipelined**: each transaction (BEGIN ... COMMIT) in one round trip: the least any client
  could send these statements in;
- **pipelined, concurrently**: the same on several copies at once, one connection each, to
  compare with pgbench at as many connections (`replay_concurrently`).

The copy starts with the same rows and sequence values, and one connection replays the orders
in their order, so every INSERT gets the id the recorded statements that follow it name; the
replay checks that nothing failed and that the copy ends with the same orders, reservations
and stock figures as the original.

What the figures separate: pipelined replay / pgbench's order transaction (one connection
each) is what the data model costs (rows, index entries, foreign keys, JSON, routing's
reads), whoever sends it; the application's own figure / pipelined replay is what the way
it sends them adds (round trips, statement shapes, savepoints).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BEGIN, COMMIT, ROLLBACK, STATEMENT, MARK = "begin", "commit", "rollback", "statement", "mark"


@dataclass
class Recording:
    """What one connection sent, in order: (kind, sql, params, many)."""

    events: list[tuple[str, str, Any, bool]] = field(default_factory=list)
    connections: set[int] = field(default_factory=set)
    _restore: list[tuple[type, str, Any]] = field(default_factory=list)

    def mark(self, label: str) -> None:
        self.events.append((MARK, label, None, False))

    def start(self) -> None:
        """Patch psycopg's Cursor and Connection to record what they send."""
        import psycopg
        from psycopg import pq

        events, seen = self.events, self.connections
        execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
        commit, rollback = psycopg.Connection.commit, psycopg.Connection.rollback
        idle = pq.TransactionStatus.IDLE

        def opens(cursor: Any) -> None:
            conn = cursor.connection
            seen.add(id(conn))
            if not conn.autocommit and conn.pgconn.transaction_status == idle:
                events.append((BEGIN, "BEGIN", None, False))  # psycopg sends it first

        def recorded_execute(cursor, query, params=None, **kwargs):
            opens(cursor)
            text = query if isinstance(query, str) else query.as_string(cursor)
            kind = COMMIT if text.strip().upper() == "COMMIT" else STATEMENT
            events.append((kind, text, params, False))
            return execute(cursor, query, params, **kwargs)

        def recorded_executemany(cursor, query, params_seq, **kwargs):
            opens(cursor)
            params_seq = list(params_seq)
            text = query if isinstance(query, str) else query.as_string(cursor)
            events.append((STATEMENT, text, params_seq, True))
            return executemany(cursor, query, params_seq, **kwargs)

        def recorded_end(kind: str, original: Any):
            def end(conn):
                if conn.pgconn.transaction_status != idle:
                    events.append((kind, kind.upper(), None, False))
                return original(conn)

            return end

        for owner, name, replacement in (
            (psycopg.Cursor, "execute", recorded_execute),
            (psycopg.Cursor, "executemany", recorded_executemany),
            (psycopg.Connection, "commit", recorded_end(COMMIT, commit)),
            (psycopg.Connection, "rollback", recorded_end(ROLLBACK, rollback)),
        ):
            self._restore.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, replacement)

    def stop(self) -> None:
        for owner, name, original in reversed(self._restore):
            setattr(owner, name, original)
        self._restore.clear()

    def units(self) -> tuple[list[list[tuple]], list[list[tuple]]]:
        """(before the 'start' mark, from 'start' to 'end'): lists of units, each one
        statement outside a transaction or one transaction from BEGIN to COMMIT/ROLLBACK."""
        before: list[list[tuple]] = []
        window: list[list[tuple]] = []
        target, current = before, None
        for event in self.events:
            kind = event[0]
            if kind == MARK:
                if event[1] == "start":
                    target = window
                elif event[1] == "end":
                    break
                continue
            if kind == BEGIN:
                current = [event]
                continue
            if current is None:
                target.append([event])
                continue
            current.append(event)
            if kind in (COMMIT, ROLLBACK):
                target.append(current)
                current = None
        return before, window


@dataclass
class ReplayResult:
    mode: str
    units: int
    statements: int
    round_trips: int
    cpu_ms: float  # the replaying backend's CPU, whole window
    errors: int
    seconds: float = 0.0  # the window's wall time
    # As sent only: the backend's CPU (ms) and count per statement label (`statement_label`)
    by_statement: dict[str, list[float]] = field(default_factory=dict)


def clone_database(suffix: str) -> str:
    """A copy of the benchmark database (CREATE DATABASE ... TEMPLATE) for a replay; Django's
    connection to it is closed first (a template must have no other session). Its name."""
    import psycopg
    from django.db import connections

    settings = connections["default"].settings_dict
    connections["default"].close()
    name = f"{settings['NAME']}_replay_{suffix}"
    with psycopg.connect(_admin_url(settings), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{settings["NAME"]}"')
    return name


def drop_database(name: str) -> None:
    import psycopg
    from django.db import connections

    with psycopg.connect(_admin_url(connections["default"].settings_dict), autocommit=True) as a:
        a.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_url(settings: dict) -> str:
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{host}:{port}/postgres"


def replay(
    recording: Recording,
    database: str,
    *,
    pipelined: bool,
    barrier: threading.Barrier | None = None,
) -> ReplayResult:
    """Replay the recording on `database` (a fresh copy of the original); the CPU figure is
    the window's only, everything before it is replayed first (unmeasured) to reach the
    same state. Uses a Django connection to `database`, so the session settings, adapters,
    server-side binding and prepared-statement threshold are the application's. With
    `barrier`, the window starts when every replay sharing it has reached it."""
    with _connection_to(database) as wrapper:
        conn, pid = _replaying(wrapper)
        before, window = recording.units()
        errors = sum(_run(conn, unit, pipelined=pipelined)[1] for unit in before)
        if barrier is not None:
            barrier.wait()
        by_statement: dict[str, list[float]] = {}
        started, wall = _schedstat(pid), time.perf_counter()
        trips = 0
        statements = 0
        for unit in window:
            sent, failed = _run(
                conn, unit, pipelined=pipelined, costs=None if pipelined else (pid, by_statement)
            )
            trips += sent
            errors += failed
            statements += _statements(unit)
        cpu = _schedstat(pid) - started
        wall = time.perf_counter() - wall
        return ReplayResult(
            mode="pipelined" if pipelined else "as sent",
            units=len(window),
            statements=statements,
            round_trips=trips,
            cpu_ms=cpu * 1000,
            errors=errors,
            seconds=wall,
            by_statement=by_statement,
        )


def replay_alternately(recording: Recording, databases: list[str]) -> list[ReplayResult]:
    """Replay as sent on each of `databases`, a connection each, one transaction at a time
    on each in turn: a copy changed by a what-if and an unchanged one then see the same
    moments of the machine, so its drift (up to 12 % between two replays run one after the
    other here) falls on both alike."""
    with ExitStack() as stack:
        pids, conns = [], []
        for database in databases:
            conn, pid = _replaying(stack.enter_context(_connection_to(database)))
            conns.append(conn)
            pids.append(pid)
        before, window = recording.units()
        errors = [sum(_run(conn, unit, pipelined=False)[1] for unit in before) for conn in conns]
        costs: list[dict[str, list[float]]] = [{} for _ in conns]
        cpu = [0.0] * len(conns)
        for unit in window:
            for n, conn in enumerate(conns):
                started = _schedstat(pids[n])
                errors[n] += _run(conn, unit, pipelined=False, costs=(pids[n], costs[n]))[1]
                cpu[n] += _schedstat(pids[n]) - started
        statements = sum(_statements(unit) for unit in window)
        return [
            ReplayResult(
                mode="as sent, alternately",
                units=len(window),
                statements=statements,
                round_trips=sum(len(unit) for unit in window),
                cpu_ms=cpu[n] * 1000,
                errors=errors[n],
                by_statement=costs[n],
            )
            for n in range(len(conns))
        ]


def replay_concurrently(recording: Recording, databases: list[str]) -> list[ReplayResult]:
    """The pipelined replay on each of `databases` (copies of the original) at once, one
    connection and thread each: PostgreSQL with as many busy backends as copies, as pgbench
    runs with as many connections. Each copy gets the whole recording, so every id matches
    as in a replay alone; the copies share no rows, as pgbench_order_uniform's transactions
    almost never do."""
    barrier = threading.Barrier(len(databases))
    results: list[ReplayResult | BaseException] = [RuntimeError("not run")] * len(databases)

    def run(n: int) -> None:
        from django.db import connections

        try:
            results[n] = replay(recording, databases[n], pipelined=True, barrier=barrier)
        except BaseException as exc:  # reported below
            barrier.abort()
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(databases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if isinstance(r, ReplayResult)]


@contextmanager
def _connection_to(database: str) -> Iterator[Any]:
    """A Django connection (the default one's class and settings) to `database`, held by
    this thread only while the block runs: `connections[alias]` finds it (Django's
    connection_created receivers look it up), but it is not among the configured databases,
    which a test may not open."""
    from django.db import connections

    default = connections["default"]
    alias = f"copy_{database}"
    wrapper = type(default)({**default.settings_dict, "NAME": database}, alias=alias)
    connections[alias] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections[alias]


def _replaying(wrapper: Any) -> tuple[Any, int]:
    """The psycopg connection of a Django connection to a copy, in autocommit (the recording
    carries its own BEGIN and COMMIT), and its backend's pid."""
    wrapper.ensure_connection()
    conn = wrapper.connection
    conn.autocommit = True
    return conn, int(conn.execute("SELECT pg_backend_pid()").fetchone()[0])


def _statements(unit: list[tuple]) -> int:
    return sum(1 for event in unit if event[0] in (STATEMENT, COMMIT, ROLLBACK, BEGIN))


def statement_label(kind: str, sql: str) -> str:
    """A short name for what a statement does: BEGIN/COMMIT, the function it calls, or its
    verb and the tables it writes (or reads, for a SELECT)."""
    if kind != STATEMENT:
        return kind.upper()
    text = " ".join(sql.split())
    called = re.match(r"SELECT \* FROM (\w+)\(", text)
    if called:
        return f"SELECT {called.group(1)}()"
    writes = re.findall(r'(INSERT INTO|UPDATE|DELETE FROM) "?(\w+)"?', text)
    if writes:
        verbs = dict.fromkeys(f"{verb.split()[0]} {table}" for verb, table in writes)
        return " + ".join(verbs)
    reads = dict.fromkeys(re.findall(r'FROM "?(\w+)"?', text))
    if reads:
        return f"{text.split()[0].upper()} " + ", ".join(reads)
    return re.sub(r' *"[^"]*"', "", text)[:40]  # SAVEPOINT "s1_x2" -> SAVEPOINT


def _run(
    conn: Any,
    unit: list[tuple],
    *,
    pipelined: bool,
    costs: tuple[int, dict[str, list[float]]] | None = None,
) -> tuple[int, int]:
    """Send one unit; (round trips, errors). With `costs` ((backend pid, totals)), each
    statement's backend CPU is added to totals[label] ([ms, count]): sent one at a time, a
    statement's CPU is what the backend spent between the result before and its own."""
    import psycopg

    try:
        if pipelined and len(unit) > 1:
            with conn.pipeline(), conn.cursor() as cursor:
                for kind, sql, params, many in unit:
                    _send(cursor, kind, sql, params, many)
            return 1, 0
        with conn.cursor() as cursor:
            for kind, sql, params, many in unit:
                before = _schedstat(costs[0]) if costs else 0.0
                _send(cursor, kind, sql, params, many)
                if cursor.pgresult is not None and cursor.description is not None:
                    cursor.fetchall()
                if costs:
                    total = costs[1].setdefault(statement_label(kind, sql), [0.0, 0])
                    total[0] += (_schedstat(costs[0]) - before) * 1000
                    total[1] += 1
        return len(unit), 0
    except psycopg.Error:
        if conn.pgconn.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
        return len(unit), 1


def _send(cursor: Any, kind: str, sql: str, params: Any, many: bool) -> None:
    if kind in (BEGIN, COMMIT, ROLLBACK):
        cursor.execute(sql, prepare=False)
    elif many:
        cursor.executemany(sql, params)
    else:
        cursor.execute(sql, params)


def apply_ddl(database: str, ddl: str) -> None:
    """Change a copy before its replay (a what-if: `bench_orders.py --what-if`)."""
    with _connection_to(database) as wrapper, wrapper.cursor() as cursor:
        cursor.execute(ddl)


def same_state(database: str) -> tuple[bool, str]:
    """Whether `database` (a replayed copy) ends as the original did: orders, lines,
    reservations, events and the stock figures compared by checksum."""
    from django.db import connections

    query = """
        SELECT (SELECT count(*) FROM orders_order), (SELECT max(id) FROM orders_order),
               (SELECT count(*) FROM inventory_reservation),
               (SELECT count(*) FROM orders_orderevent),
               (SELECT coalesce(sum(reserved::bigint * id), 0) FROM inventory_stocklevel)
    """
    with connections["default"].cursor() as cursor:
        cursor.execute(query)
        original = cursor.fetchone()
    with _connection_to(database) as wrapper, wrapper.cursor() as cursor:
        cursor.execute(query)
        copy = cursor.fetchone()
    labels = ("orders", "last order id", "reservations", "events", "stock checksum")
    text = ", ".join(f"{label} {a}/{b}" for label, a, b in zip(labels, original, copy, strict=True))
    return tuple(original) == tuple(copy), text


def _schedstat(pid: int) -> float:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
