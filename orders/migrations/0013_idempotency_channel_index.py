"""Drop the idempotency record's own index on channel_id: the unique (channel, scope, key)
index leads with it, and with both the claim's generic plan, made when the table was empty,
took the channel index and read every record of the channel for each order
(tests/integration/test_idempotency_plan.py; benchmarks/README.md, sixth session).

Only the index goes: Django's AlterField would also drop and re-add the foreign key, which
validates every row under a lock that stops intake; the foreign key stays as it is."""

from django.db import migrations
from django.db.models import CASCADE

from oms.migration_ops import field_index_drop, unindexed_foreign_key


class Migration(migrations.Migration):
    dependencies = [
        ("oms", "0012_channel_email_order_delayed"),
        ("orders", "0012_decision_log_lz4"),
    ]

    operations = [
        field_index_drop(
            "orders", "idempotencyrecord", "channel", unindexed_foreign_key("oms.channel", CASCADE)
        )
    ]
