"""Database helpers the apps share: which constraint an IntegrityError broke, on any backend;
INSERT statements of model objects and JSON and array parameters for hand-written
statements; statements sent together (`pipelined`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
from django.db import DataError, IntegrityError, connection, models


def violates_constraint(exc: IntegrityError, model: type[models.Model], name: str) -> bool:
    """True when `exc` is a violation of `model`'s unique constraint `name`.

    PostgreSQL names the constraint (psycopg's `diag.constraint_name`). SQLite names only the
    columns ("UNIQUE constraint failed: table.col, table.col"), so there the constraint's
    columns are compared instead. The same error must mean the same answer on both (the
    quickstart runs on SQLite).
    """
    diag = getattr(exc.__cause__, "diag", None)
    constraint_name = getattr(diag, "constraint_name", None)
    if constraint_name is not None:
        return constraint_name == name
    constraint = next(
        (c for c in model._meta.constraints if getattr(c, "name", None) == name), None
    )
    if not isinstance(constraint, models.UniqueConstraint) or not constraint.fields:
        return False
    table = model._meta.db_table
    columns = [model._meta.get_field(f).column for f in constraint.fields]
    message = str(exc)
    prefix = "UNIQUE constraint failed: "
    if not message.startswith(prefix):
        return False
    failed = [part.strip() for part in message[len(prefix) :].split(",")]
    return failed == [f"{table}.{column}" for column in columns]


@cache
def _insert_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    return tuple(
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and not getattr(f, "generated", False)
    )


def insert_values_sql(
    model: type[models.Model], objs: Sequence[models.Model]
) -> tuple[str, list[Any]]:
    """`INSERT INTO <table> (<columns>) VALUES (...), ...` with its parameters, for unsaved
    `objs`, to use inside a larger statement (a `WITH ... AS (... RETURNING id)`).

    Every concrete column but the primary key, each value as Django's own INSERT makes it:
    the field's `pre_save` (defaults, `auto_now_add`, which also sets the attribute on the
    object) and then `get_db_prep_save` (JSON, decimals). Ids come back in `objs`' order when
    the caller adds `RETURNING id` (PostgreSQL assigns them in VALUES order)."""
    fields = _insert_fields(model)
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(str(f.column)) for f in fields)}) VALUES {', '.join([row] * len(objs))}"
    )
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    return sql, params


def mark_saved(obj: models.Model, pk: int) -> None:
    """An object written by hand-made SQL: its primary key, and saved as the ORM marks it."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


def json_param(value: Any) -> str:
    """`value` as JSON text for a `%s::jsonb` parameter of a hand-written statement: what the
    models' JSONFields store (json.dumps without a custom encoder), written by orjson, about
    10x faster for an order's decision log (~11 KB: 150 -> 13 us). Only whitespace and
    escaping differ, which jsonb does not keep; non-string keys are written as json.dumps
    writes them. Two differences where json.dumps would not give valid JSON anyway: NaN and
    infinities become null (json.dumps writes NaN, which PostgreSQL refuses), and dates and
    dataclasses are written (json.dumps raises)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def array_param(values: Sequence[Any]) -> str:
    """`values` as PostgreSQL's text form of an array, for a `%s::<type>[]` parameter of a
    hand-written statement: psycopg adapts a Python list element by element in Python
    (with a new cursor each time: 50-70 us for an order's six short lists), a string in
    C (4-6 us). Elements: int, Decimal, str (quoted and escaped), bool and None (NULL); a
    NUL character is refused as psycopg refuses it. The statement's cast gives the element
    type, as it did for the list."""
    return "{" + ",".join(_array_element(value) for value in values) + "}"


def _array_element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, str):
        return '"' + text_without_nul(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"array_param cannot send a {type(value).__name__} element")


def text_without_nul(text: str) -> str:
    """`text`, refused with DataError when it holds NUL, which PostgreSQL text cannot (psycopg
    refuses it the same way) - checked before anything is sent."""
    if "\x00" in text:
        raise DataError("PostgreSQL text cannot contain NUL (0x00) characters")
    return text


@contextmanager
def pipelined() -> Iterator[None]:
    """PostgreSQL statements executed in the block go out together and their results come
    back together when it ends: one network round trip instead of one each (psycopg's
    pipeline mode). Each round trip costs PostgreSQL about 55 us of CPU and the client about
    80 us on loopback, whatever the statement (benchmarks/README.md, seventh session).

    Read the results after the block: a read inside it sends what is queued and waits, and
    the block's end then costs a round trip of its own. Only for statements whose caller
    needs nothing back inside the block (no rowcount: Django's `update()` and
    `save(update_fields=...)` read it). Errors surface at the block's end, as Django's
    exceptions. PostgreSQL only; inside a transaction, or as its first statements: with
    the `oms.postgresql` engine BEGIN then goes out with them (oms/postgresql/connection.py)."""
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def execute_then_commit(sql: str, params: Any) -> bool:
    """Execute `sql` as the last statement of the outermost atomic block, with COMMIT in the
    same round trip (`pipelined`); the block's own commit at its end then finds the
    transaction closed and sends nothing, and runs the on_commit callbacks as always. Returns
    whether it committed: inside a caller's transaction (a savepoint block, a test's
    transaction) or off PostgreSQL it only executes `sql`.

    Nothing may run in the block after this. A failed COMMIT (a deferred foreign key, a
    serialization failure) raises here, as Django's exception, with everything rolled back,
    and the block's exit then rolls back nothing more."""
    outermost = (
        connection.vendor == "postgresql"
        and len(connection.atomic_blocks) == 1
        and not connection.savepoint_ids
        and connection.commit_on_exit
        and not connection.needs_rollback
    )
    with connection.cursor() as cursor:
        if not outermost:
            cursor.execute(sql, params)
            return False
        with pipelined():
            cursor.execute(sql, params)
            cursor.cursor.execute("COMMIT", prepare=False)
    return True
