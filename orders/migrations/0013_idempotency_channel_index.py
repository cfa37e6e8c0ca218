"""Drop the idempotency record's own index on channel_id: the unique (channel, scope, key)
index leads with it, and with both the claim's generic plan, made when the table was empty,
took the channel index and read every record of the channel for each order
(tests/integration/test_idempotency_plan.py; benchmarks/README.md, sixth session).

Only the index goes: Django's AlterField would also drop and re-add the foreign key, which
validates every row under a lock that stops intake; the foreign key stays as it is."""

import django.db.models.deletion
from django.db import migrations, models


def _channel_indexes(schema_editor, table):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in constraints.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] == ["channel_id"]
    ]


def drop_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    model = apps.get_model("orders", "IdempotencyRecord")
    for name in _channel_indexes(schema_editor, model._meta.db_table):
        schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    model = apps.get_model("orders", "IdempotencyRecord")
    if not _channel_indexes(schema_editor, model._meta.db_table):
        field = model._meta.get_field("channel")
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("oms", "0012_channel_email_order_delayed"),
        ("orders", "0012_decision_log_lz4"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="idempotencyrecord",
                    name="channel",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="oms.channel",
                    ),
                )
            ],
            database_operations=[migrations.RunPython(drop_index, create_index, elidable=False)],
        )
    ]
