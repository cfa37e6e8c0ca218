"""Database helpers the apps share: which constraint an IntegrityError broke, on any backend."""

from __future__ import annotations

from django.db import IntegrityError, models


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
