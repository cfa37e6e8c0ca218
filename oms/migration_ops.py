"""Migration operations the apps share."""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations.base import Operation


class PostgreSQLOnly(Operation):
    """Run `operation` on PostgreSQL only; the model state changes on every backend.

    For indexes SQLite cannot build (GIN trigram indexes): the quickstart on SQLite keeps the
    same models, without the index that only makes large PostgreSQL tables fast.
    """

    reversible = True

    def __init__(self, operation: Operation) -> None:
        self.operation = operation

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.operation], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        self.operation.state_forwards(app_label, state)

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"{self.operation.describe()} (PostgreSQL only)"


def drop_field_index(app_label: str, model_name: str, field_name: str, *, like: bool = False):
    """A reversible RunPython that drops only the one-column index Django made for a field
    (`db_index`, or the index every ForeignKey gets) or, with `like`, its `_like` twin
    (`varchar_pattern_ops`, for `LIKE 'prefix%'`; PostgreSQL only), and leaves the field, its
    foreign key and every other index as they are. Backwards it creates the index again.

    For an index that another index already covers (it leads with the same column) or that no
    query uses: each costs every INSERT an index entry. Django's AlterField would also drop
    and re-add a foreign key, validating every row under a lock that stops writes; so the
    model's state changes with a state-only AlterField beside this (SeparateDatabaseAndState).
    """
    from django.db import migrations

    def indexes(apps: Any, schema_editor: Any) -> tuple[Any, Any, list[str]]:
        model = apps.get_model(app_label, model_name)
        field = model._meta.get_field(field_name)
        with schema_editor.connection.cursor() as cursor:
            found = schema_editor.connection.introspection.get_constraints(
                cursor, model._meta.db_table
            )
        names = [
            name
            for name, info in found.items()
            if info["index"]
            and not info["unique"]
            and not info["primary_key"]
            and info["columns"] == [field.column]
            and name.endswith("_like") == like
        ]
        # Named indexes of the model's Meta (e.g. a partial index on the same column) stay.
        declared = {index.name for index in model._meta.indexes}
        return model, field, [name for name in names if name not in declared]

    def forwards(apps: Any, schema_editor: Any) -> None:
        if like and schema_editor.connection.vendor != "postgresql":
            return
        model, _field, names = indexes(apps, schema_editor)
        for name in names:
            schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def backwards(apps: Any, schema_editor: Any) -> None:
        if like and schema_editor.connection.vendor != "postgresql":
            return
        model, field, names = indexes(apps, schema_editor)
        if names:
            return
        if like:
            schema_editor.execute(schema_editor._create_like_index_sql(model, field))
        else:
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    return migrations.RunPython(forwards, backwards, elidable=False)


def field_index_drop(app_label: str, model_name: str, name: str, field: Any) -> Operation:
    """`field` (the same field with `db_index=False`) in the model's state, and in the
    database only its index dropped (`drop_field_index`)."""
    from django.db import migrations

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=name, field=field)],
        database_operations=[drop_field_index(app_label, model_name, name)],
    )


def column_compression(app_label: str, model_name: str, field_name: str, method: str):
    """A reversible RunPython that sets a column's TOAST compression to `method` (back to
    pglz, PostgreSQL's default, in reverse). Only on PostgreSQL built with lz4
    (`default_toast_compression` accepts it: Debian, Ubuntu, the official images and the
    managed services); elsewhere, and on SQLite, nothing. Values already stored keep theirs
    (both methods read back)."""
    from django.db import migrations

    check = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"

    def run(apps: Any, schema_editor: Any, to: str) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(check)
            row = cursor.fetchone()
        if not (row and row[0]):
            return
        model = apps.get_model(app_label, model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        column = schema_editor.quote_name(model._meta.get_field(field_name).column)
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {to}")

    return migrations.RunPython(
        lambda apps, editor: run(apps, editor, method),
        lambda apps, editor: run(apps, editor, "pglz"),
        elidable=False,
    )


def unindexed_foreign_key(
    to: str, on_delete: Any, related_name: str | None = None, *, null: bool = False
):
    """The ForeignKey of a migration's state with `db_index=False` (for `field_index_drop`);
    `null` also makes it `blank`, as the models declare their optional keys."""
    from django.db import models

    optional = {"null": True, "blank": True} if null else {}
    return models.ForeignKey(
        to=to, on_delete=on_delete, related_name=related_name, db_index=False, **optional
    )
