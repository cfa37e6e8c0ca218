"""The outbox's own index on channel_id goes (outbox_feed_idx (channel, txid, id) leads with
it; each order writes about three messages). Only the index: the foreign key stays
(`oms.migration_ops.drop_field_index`)."""

import django.db.models.deletion
from django.db import migrations, models

from oms.migration_ops import field_index_drop


class Migration(migrations.Migration):
    dependencies = [("oms", "0012_channel_email_order_delayed")]

    operations = [
        field_index_drop(
            "oms",
            "outboxmessage",
            "channel",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="oms.channel",
            ),
        )
    ]
